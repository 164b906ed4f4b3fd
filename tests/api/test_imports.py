"""/api/v1/imports: upload with dry run, batches, template and export, access per role."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_site, make_user
from tracker import config
from tracker.extensions import db
from tracker.models import DistributionDaily, ImportBatch, StockMovement

GOOD = b"sted;dato;vare;antall;kontakter\nOSL-MO;05.06.2025;SPR-2;1 234;7\n"
BAD = b"sted;dato;vare;antall\nOSL-MO;05.06.2025;SPR-2;12,5\nNOPE;05.06.2025;SPR-2;1\n"


@pytest.fixture
def setup(app, client):
    site = make_site("OSL-MO", municipality="0301")
    make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    coordinator = make_user("coordinator", municipality="0301")
    return {"site": site, "api": api_client(client, coordinator), "client": client}


def upload(api, data: bytes, name: str = "hist.csv", **form):
    return api.post(
        "/imports",
        json=None,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def movements() -> int:
    return db.session.scalar(select(func.count(StockMovement.id)))


def test_a_dry_run_shows_what_would_be_imported_and_writes_nothing(setup):
    response = upload(setup["api"], GOOD, dry_run="true")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["ok"], body["dry_run"], body["imported"]) == (True, True, 1)
    assert body["preview"][0] == {
        "row": 2,
        "site": "OSL-MO",
        "date": "2025-06-05",
        "granularity": "day",
        "item": "SPR-2",
        "quantity": 1234,
        "contacts": 7,
    }
    assert body["totals"][0]["quantity"] == 1234
    assert movements() == 0


def test_an_import_writes_and_a_second_upload_of_the_same_file_is_a_no_op(setup):
    first = upload(setup["api"], GOOD)
    assert first.status_code == 201, first.json
    assert first.json["batch_id"]
    again = upload(setup["api"], GOOD, "copy.csv")
    assert again.status_code == 200
    assert again.json["already_imported"] is True
    assert movements() == 1
    batches = setup["api"].get("/imports")
    assert [b["filename"] for b in batches.json] == ["hist.csv"]
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234


def test_the_checked_file_sent_again_with_its_hash_is_imported(setup):
    checked = upload(setup["api"], GOOD, dry_run="true").json["file_hash"]
    response = upload(setup["api"], GOOD, expected_sha256=checked)
    assert response.status_code == 201, response.json
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234


def test_a_different_file_than_the_checked_one_gets_409_and_nothing_is_written(setup):
    checked = upload(setup["api"], GOOD, dry_run="true").json["file_hash"]
    response = upload(setup["api"], GOOD.replace(b"1 234", b"9 999"), expected_sha256=checked)
    assert response.status_code == 409
    assert response.json["type"] == "/problems/import-file-changed"
    assert "file" in response.json["errors"]
    assert movements() == 0
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
    assert upload(setup["api"], GOOD, expected_sha256="x" * 64).status_code == 422


def test_bad_rows_give_422_with_row_and_column_and_nothing_is_written(setup):
    response = upload(setup["api"], BAD)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    rows = response.json["errors"]["rows"]
    assert [(r["row"], r["column"], r["cell"]) for r in rows] == [
        (2, "antall", "D2"),
        (3, "sted", "A3"),
    ]
    assert movements() == 0
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_a_dry_run_of_bad_rows_answers_200_with_the_errors(setup):
    response = upload(setup["api"], BAD, dry_run="true")
    assert response.status_code == 200
    assert response.json["ok"] is False
    assert response.json["error_count"] == 2


def test_an_edited_file_gets_409_with_the_rows_that_differ(setup):
    upload(setup["api"], GOOD)
    edited = GOOD.replace(b"1 234", b"1 235")
    response = upload(setup["api"], edited)
    assert response.status_code == 409
    assert response.json["errors"]["rows"] == [
        {"row": 2, "column": "antall", "before": 1234, "now": 1235}
    ]


def test_the_upload_needs_a_file(setup):
    response = setup["api"].post(
        "/imports", data={"dry_run": "true"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_json_is_not_an_upload(setup):
    assert setup["api"].post("/imports", json={"file": "x"}).status_code == 422


def test_a_fnr_in_a_free_text_column_is_refused(setup):
    data = "sted;dato;vare;antall;merknad\nOSL-MO;05.06.2025;SPR-2;1;ring 311299 56715\n"
    response = upload(setup["api"], data.encode())
    assert response.status_code == 422
    assert response.json["errors"]["rows"][0]["column"] == "merknad"
    assert "56715" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "lead"])
def test_staff_and_leads_may_not_import_or_export(setup, client, role):
    api = api_client(client, make_user(role, sites=[setup["site"]]))
    assert upload(api, GOOD).status_code == 403
    assert api.get("/imports").status_code == 403
    assert api.get("/imports/template.csv").status_code == 403
    assert api.get("/imports/export.csv").status_code == 403
    assert movements() == 0


def test_without_a_token_it_is_401(setup, client):
    response = client.post("/api/v1/imports", data={"file": (io.BytesIO(GOOD), "a.csv")})
    assert response.status_code == 401


def test_a_coordinator_cannot_import_for_another_municipality(setup):
    data = b"sted;dato;vare;antall\nBGO-MO;05.06.2025;SPR-2;1\n"
    response = upload(setup["api"], data)
    assert response.status_code == 422
    assert response.json["errors"]["rows"][0]["column"] == "sted"


def test_templates_download_as_csv_and_xlsx(setup):
    csv_response = setup["api"].get("/imports/template.csv")
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    text = csv_response.get_data(as_text=True)
    assert text.lstrip("\ufeff").startswith("sted;dato;måned;vare;antall")
    xlsx = setup["api"].get("/imports/template.xlsx?lang=en")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert rows[0][:5] == ("site", "date", "month", "item", "quantity")
    assert isinstance(rows[1][4], int)
    assert setup["api"].get("/imports/template.csv?lang=xx").status_code == 422


def test_export_is_csv_in_the_import_format_for_the_coordinators_sites(setup, client):
    admin = api_client(client, make_user("admin"))
    for site in ("OSL-MO", "BGO-MO"):
        body = {
            "site": site,
            "date": "2025-06-05",
            "contacts": 2,
            "lines": [{"item": "SPR-2", "quantity": 3}],
        }
        assert admin.post("/tallies", json=body).status_code == 201
    response = setup["api"].get("/imports/export.csv?from=2025-06-01&to=2025-06-30")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1:] == ["OSL-MO;05.06.2025;;SPR-2;3;2;;;;;;"]
    bad = setup["api"].get("/imports/export.csv?from=2025-07-01&to=2025-06-01")
    assert bad.status_code == 422


def test_the_openapi_document_lists_the_import_endpoints(setup, client):
    paths = set(client.get("/api/v1/openapi.json").json["paths"])
    assert "/api/v1/imports" in paths
    assert "/api/v1/imports/export.csv" in paths
    assert "/api/v1/imports/template.xlsx" in paths


def test_an_imported_day_reads_back_through_the_tallies_api(setup):
    upload(setup["api"], GOOD)
    listed = setup["api"].get("/tallies?site=OSL-MO")
    assert listed.status_code == 200
    assert listed.json[0]["date"] == date(2025, 6, 5).isoformat()
    assert listed.json[0]["lines"][0]["quantity"] == 1234


def test_imports_have_their_own_upload_limit_set_from_the_environment(app, setup, monkeypatch):
    monkeypatch.setenv("IMPORT_MAX_BYTES", "4096")
    monkeypatch.setenv("IMPORT_CHECK_MAX_AGE", "600")
    settings = config.TestConfig("sqlite://")
    assert (settings.IMPORT_MAX_BYTES, settings.IMPORT_CHECK_MAX_AGE) == (4096, 600)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 512)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", settings.IMPORT_MAX_BYTES)
    padded = GOOD + b"\n" * 1000  # over the app's limit, under the import's
    assert upload(setup["api"], padded, dry_run="true").status_code == 200
    too_big = GOOD + b"\n" * 5000
    response = upload(setup["api"], too_big, dry_run="true")
    assert response.status_code == 413
    assert movements() == 0
