"""Each input a reviewer found giving a 500 now gets a clear 400/404/422 (DESIGN.md invariant 6).

Several of these were 500s only on PostgreSQL (NUL in text, ids beyond int32): run with
TEST_DB=postgres too.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.factories import (
    api_client,
    login,
    make_item,
    make_site,
    make_user,
    tally_body,
)
from tests.web.pages import form_post, hidden
from tracker.extensions import db
from tracker.models import DistributionDaily, ImportBatch, TallyEntry
from tracker.schemas import common

HUGE_IDS = [0, 2**31, 2**63, 10**30]
BAD_DIGITS = ["1²", "١٢", "１２", "9" * 5000]
PROBLEM = "application/problem+json"


@pytest.fixture
def world(app, client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    make_item("NAL", "naloxone")
    admin = make_user("admin")
    staff = make_user("staff", [site])
    api = api_client(client, admin)
    tally = api.post("/tallies", json=tally_body(site, {"SPR-2": 3}))
    assert tally.status_code == 201, tally.json
    return {"site": site, "admin": admin, "staff": staff, "api": api, "tally": tally.json["id"]}


def tallies() -> int:
    return db.session.scalar(select(func.count(TallyEntry.id)))


# Ids beyond the 32-bit range: a plain 404, whichever route or page names them.


@pytest.mark.parametrize("tally_id", [*HUGE_IDS, -1, "١", "1²"])
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_tally_id_out_of_range_is_not_found(world, method, tally_id):
    response = getattr(world["api"], method)(f"/tallies/{tally_id}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM


@pytest.mark.parametrize("page", ["utdeling", "nalokson"])
@pytest.mark.parametrize("receipt", [*map(str, HUGE_IDS), "-1", *BAD_DIGITS])
def test_a_receipt_id_out_of_range_shows_the_page_without_a_receipt(client, world, page, receipt):
    login(client, world["staff"])
    response = client.get(f"/steder/OSL-MO/{page}", query_string={"kvittering": receipt})
    assert response.status_code == 200


# NUL and other control characters: refused wherever text comes in.


@pytest.mark.parametrize("text", ["a\x00b", "\x07", "a\x1bb", "\x7f", "\x85"])
def test_a_control_character_in_a_query_filter_is_a_400(world, text):
    response = world["api"].get("/tallies", query_string={"site": text})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM
    assert "Kontrolltegn" in response.json["detail"]


def test_a_nul_in_a_query_argument_name_is_a_400(world):
    response = world["api"].get("/movements?si%00te=OSL-MO")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/sites/OSL%00MO", "/items/SPR%002", "/sites/OSL-MO/items/%00/levels"]
)
def test_a_nul_in_a_path_segment_is_a_400(world, path):
    response = world["api"].get(path) if "levels" not in path else world["api"].put(path, json={})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM


def test_a_nul_in_a_page_path_is_the_error_page(client, world):
    login(client, world["staff"])
    response = client.get("/steder/OSL%00MO/utdeling")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("note", ["a\x00b", "\x00", "\ud800", "bell\x07"])
def test_a_control_character_in_a_json_note_is_a_422_and_nothing_is_saved(world, note):
    before = tallies()
    body = {**tally_body(world["site"], {"SPR-2": 1}), "note": note}
    response = world["api"].post("/tallies", json=body)
    assert response.status_code == 422
    assert response.json["errors"] == {"note": ["Kontrolltegn (som NUL) er ikke tillatt."]}
    assert tallies() == before


def test_a_control_character_in_a_nested_json_string_names_its_place(world):
    body = tally_body(world["site"], {"SPR-2": 1})
    body["lines"][0]["lot"] = "L\x001"
    response = world["api"].patch(f"/tallies/{world['tally']}", json={"lines": body["lines"]})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["lines.0.lot"]


def test_a_nul_in_a_json_key_is_refused(world):
    response = world["api"].post("/tallies", json={"no\x00te": "x"})
    assert response.status_code == 422


def test_tabs_and_newlines_in_free_text_are_kept(world):
    body = {**tally_body(world["site"], {"SPR-2": 1}), "note": "line one\r\n\tline two"}
    response = world["api"].post("/tallies", json=body)
    assert response.status_code == 201, response.json
    assert response.json["note"] == "line one\r\n\tline two"


def test_a_nul_in_the_idempotency_key_is_a_400(world):
    response = world["api"].post(
        "/tallies",
        json=tally_body(world["site"], {"SPR-2": 1}),
        headers={"Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM


def test_a_nul_in_a_web_form_note_is_refused_and_nothing_is_saved(client, world):
    login(client, world["staff"])
    before = tallies()
    response = form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {"entry_date": "", "contacts": "1", "note": "a\x00b"},
    )
    assert response.status_code == 400
    assert tallies() == before


def test_a_nul_in_an_uploaded_file_name_is_refused(world):
    response = world["api"].post(
        "/imports",
        json=None,
        data={"file": (io.BytesIO(b"sted;dato;vare;antall\n"), "a\x00.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


# JSON bodies: depth and integer size are bounded before parsing.


def test_json_nested_ten_thousand_deep_is_a_400(world):
    body = "[" * 10_000 + "]" * 10_000
    response = world["api"].post(
        "/tallies", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json["detail"] == "JSON er nøstet for dypt."


def test_brackets_inside_strings_do_not_count_as_nesting(world):
    body = {**tally_body(world["site"], {"SPR-2": 1}), "note": "[[[{{{" * 100}
    response = world["api"].post("/tallies", json=body)
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("digits", [5000, 25])
def test_a_huge_json_integer_is_a_400(world, digits):
    body = '{"site": "OSL-MO", "contacts": ' + "9" * digits + ', "lines": []}'
    response = world["api"].post(
        "/tallies", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["detail"] == "Et tall i JSON er for stort."


def test_a_quantity_beyond_64_bits_that_parses_is_a_422(world):
    body = tally_body(world["site"], {"SPR-2": 2**63})
    response = world["api"].post("/tallies", json=body)
    assert response.status_code == 422
    assert "lines" in response.json["errors"]


def test_invalid_json_is_still_a_400_that_says_so(world):
    response = world["api"].post(
        "/tallies", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["detail"] == "Innholdet er ikke gyldig JSON."


def _input_schemas():
    import importlib
    import pkgutil

    import tracker.schemas

    for module in pkgutil.iter_modules(tracker.schemas.__path__):
        importlib.import_module(f"tracker.schemas.{module.name}")
    seen, todo = set(), [common.InSchema, common.QuerySchema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(seen, key=lambda c: c.__qualname__)


def test_every_integer_in_an_input_schema_has_a_range_within_64_bits():
    from marshmallow import fields, validate

    unbounded = []
    for schema in _input_schemas():
        for name, field in schema().fields.items():
            if isinstance(field, fields.Integer):
                ranges = [v for v in field.validators if isinstance(v, validate.Range)]
                bounded = any(
                    r.min is not None and r.max is not None and -(2**63) <= r.min <= r.max < 2**63
                    for r in ranges
                )
                if not bounded:
                    unbounded.append(f"{schema.__qualname__}.{name}")
    assert unbounded == []


# Import count cells: ASCII digits only, in the dry run and the real run.

HEADER = "sted;dato;vare;antall;kontakter\n"


def _upload(api, count: str, dry_run: bool):
    data = (HEADER + f"OSL-MO;05.06.2025;SPR-2;{count};1\n").encode()
    form = {"dry_run": "true"} if dry_run else {}
    return api.post(
        "/imports",
        json=None,
        data={"file": (io.BytesIO(data), "hist.csv"), **form},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("count", BAD_DIGITS)
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_import_count_in_other_digits_is_a_row_error(world, count, dry_run):
    daily_rows = db.session.scalar(select(func.count(DistributionDaily.quantity)))
    response = _upload(world["api"], count, dry_run)
    rows = response.json["errors"]["rows"] if not dry_run else response.json["errors"]
    if dry_run:
        assert (response.status_code, response.json["ok"]) == (200, False)
    else:
        assert response.status_code == 422
    assert [(r["row"], r["column"]) for r in rows] == [(2, "antall")]
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
    assert db.session.scalar(select(func.count(DistributionDaily.quantity))) == daily_rows


@pytest.mark.parametrize("count", ["1 234", "1\u00a0234", "1\u202f234", "1\u2009234"])
def test_an_import_count_with_norwegian_thousands_spaces_is_read(world, count):
    response = _upload(world["api"], count, dry_run=True)
    assert response.json["ok"] is True, response.json
    assert response.json["preview"][0]["quantity"] == 1234


# The pages' own number fields, the documented id range and the guard's own parts.


@pytest.mark.parametrize("contacts", ["9" * 5000, "١٢", "1²"])
def test_a_daily_form_number_in_other_digits_or_too_long_is_a_422(client, world, contacts):
    login(client, world["staff"])
    before = tallies()
    response = form_post(client, "/steder/OSL-MO/utdeling", {"contacts": contacts})
    assert response.status_code == 422
    assert tallies() == before


def test_the_document_gives_path_ids_their_range(world):
    doc = world["api"].get("/openapi.json").json
    parameters = doc["paths"]["/api/v1/tallies/{tally_id}"]["parameters"]
    assert parameters[0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_an_import_page_upload_may_exceed_the_request_limit_with_csrf_on(
    app, client, world, tmp_path, monkeypatch
):
    """The import limit is raised before any hook (CSRF, the input check) reads the form."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    login(client, world["admin"])
    rows = "".join(
        f"OSL-MO;{day:02d}.{month:02d}.2025;SPR-2;1;1\n"
        for month in (4, 5, 6)
        for day in range(1, 29)
    )
    data = (HEADER + rows).encode()
    assert len(data) > 2048
    html = client.get("/import").get_data(as_text=True)
    response = client.post(
        "/import",
        data={"csrf_token": hidden(html, "csrf_token"), "file": (io.BytesIO(data), "h.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ('"' + "[" * 100 + '"', False),
        ('["\\"' + "[" * 100 + '"]', False),
        ("[" * 33 + "]" * 33, True),
        ('{"a": ' * 33 + "1" + "}" * 33, True),
        ("[" * 32 + "]" * 32, False),
    ],
)
def test_json_depth_counts_brackets_outside_strings_only(text, deep):
    from tracker.inputs import JSONLimitError, check_json_depth

    if deep:
        with pytest.raises(JSONLimitError):
            check_json_depth(text)
    else:
        check_json_depth(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("2147483647", 2**31 - 1), ("2147483648", None), ("0", None), ("-1", None),
     ("١", None), ("1²", None), ("", None), (None, None), ("9" * 5000, None)],
)  # fmt: skip
def test_an_id_in_text_is_ascii_digits_in_range(raw, expected):
    from tracker.services.unit import parse_id

    assert parse_id(raw) == expected
