"""The import pages: upload, dry-run preview with row errors, confirm, batches, downloads."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import DistributionDaily, ImportBatch, StockMovement

GOOD = b"sted;dato;vare;antall;kontakter\nOSL-MO;05.06.2025;SPR-2;1 234;7\n"


@pytest.fixture
def page(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    site = make_site("OSL-MO", municipality="0301")
    make_item("SPR-2", "syringe")
    coordinator = make_user("coordinator", municipality="0301")
    login(client, coordinator)
    return {"client": client, "site": site, "dir": tmp_path, "user": coordinator}


def post_file(client, data: bytes, name: str = "hist.csv"):
    return client.post(
        "/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def confirm_fields(html: str) -> dict[str, str]:
    """The confirm form's hidden fields on a checked file's page."""
    return dict(re.findall(r'name="(file_hash|filename|kind)"[^>]*value="([^"]*)"', html))


def checked(client, data: bytes = GOOD) -> dict[str, str]:
    """Upload a file for its dry run and return the confirm form's hidden fields."""
    return confirm_fields(post_file(client, data).get_data(as_text=True))


def movements() -> int:
    return db.session.scalar(select(func.count(StockMovement.id)))


def test_the_page_shows_the_form_downloads_and_the_menu_entry(page):
    response = page["client"].get("/import")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert "/import/mal.xlsx" in html
    assert 'href="/import"' in html  # the menu entry
    assert "Ingen importer ennå" in html


def test_a_checked_file_is_previewed_then_imported_on_confirm(page):
    response = post_file(page["client"], GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1\u00a0234" in html or "1 234" in html
    assert "05.06.2025" in html
    assert movements() == 0
    fields = confirm_fields(html)
    assert fields["kind"] == "csv"
    confirmed = page["client"].post("/import/bekreft", data=fields)
    assert confirmed.status_code == 302
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234
    assert not list(page["dir"].iterdir())  # the stashed file is gone
    listing = page["client"].get("/import").get_data(as_text=True)
    assert "hist.csv" in listing
    assert "Importerte 1 rader" in listing
    assert db.session.scalar(select(ImportBatch.imported_by_id)) == page["user"].id


def test_bad_rows_are_listed_with_row_and_column_and_no_confirm_button(page):
    bad = b"sted;dato;vare;antall\nOSL-MO;05.06.2025;SPR-2;12,5\nOSL-MO;32.01.2025;SPR-2;1\n"
    response = post_file(page["client"], bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "D2" in html
    assert "B3" in html
    assert "/import/bekreft" not in html
    assert movements() == 0


def test_a_fnr_in_a_note_is_refused_without_echoing_it(page):
    bad = b"sted;dato;vare;antall;merknad\nOSL-MO;05.06.2025;SPR-2;1;31129956715\n"
    html = post_file(page["client"], bad).get_data(as_text=True)
    assert "merknad" in html
    assert "31129956715" not in html


def test_confirm_without_a_checked_file_sends_back_to_the_form(page):
    response = page["client"].post(
        "/import/bekreft", data={"file_hash": "a" * 64, "filename": "x.csv", "kind": "csv"}
    )
    assert response.status_code == 302
    assert movements() == 0


def test_the_same_file_again_says_it_was_imported_before(page):
    page["client"].post("/import/bekreft", data=checked(page["client"]))
    again = post_file(page["client"], GOOD).get_data(as_text=True)
    assert "importert før" in again
    assert "/import/bekreft" not in again


def test_templates_and_export_download(page):
    assert page["client"].get("/import/mal.csv").mimetype == "text/csv"
    assert page["client"].get("/import/mal.xlsx").data[:2] == b"PK"
    assert page["client"].get("/import/mal.pdf").status_code == 404
    export = page["client"].get("/import/eksport.csv?fra=2025-01-01&til=2025-12-31")
    assert export.status_code == 200
    assert export.get_data(as_text=True).lstrip("\ufeff").startswith("sted;dato")
    assert page["client"].get("/import/eksport.csv?fra=nope").status_code == 400


def test_cancel_deletes_the_checked_file_and_imports_nothing(page):
    html = post_file(page["client"], GOOD).get_data(as_text=True)
    assert 'formaction="/import/avbryt"' in html
    fields = confirm_fields(html)
    assert len(list(page["dir"].iterdir())) == 1
    response = page["client"].post("/import/avbryt", data=fields, follow_redirects=True)
    assert "Importen ble avbrutt" in response.get_data(as_text=True)
    assert not list(page["dir"].iterdir())
    assert movements() == 0
    assert page["client"].post("/import/bekreft", data=fields).status_code == 302
    assert movements() == 0  # nothing left to confirm


def test_a_refused_confirmation_deletes_the_checked_file(page):
    fields = checked(page["client"])
    page["site"].active = False  # deactivated between the check and the confirmation
    db.session.commit()
    response = page["client"].post("/import/bekreft", data=fields, follow_redirects=True)
    assert "Importen ble avvist" in response.get_data(as_text=True)
    assert not list(page["dir"].iterdir())
    assert movements() == 0


def test_checked_files_left_for_a_day_are_deleted_on_the_next_check(page):
    stale = page["dir"] / f"{page['user'].id}-{'b' * 64}.csv"
    stale.write_bytes(GOOD)
    day_old = time.time() - 25 * 3600
    os.utime(stale, (day_old, day_old))
    fresh = page["dir"] / f"{page['user'].id}-{'c' * 64}.csv"
    fresh.write_bytes(GOOD)
    checked(page["client"])
    left = {path.name for path in page["dir"].iterdir()}
    assert stale.name not in left
    assert fresh.name in left
    assert len(left) == 2  # the fresh one and the file just checked


@pytest.mark.parametrize("role", ["staff", "lead"])
def test_staff_and_leads_get_403_and_no_menu_entry(app, client, role):
    site = make_site("OSL-MO")
    login(client, make_user(role, sites=[site]))
    assert client.get("/import").status_code == 403
    assert post_file(client, GOOD).status_code in (400, 403)
    assert client.get("/import/mal.csv").status_code == 403
    assert 'href="/import"' not in client.get("/").get_data(as_text=True)
    assert movements() == 0


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    response = client.get("/import")
    assert response.status_code in (302, 401)
