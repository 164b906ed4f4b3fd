"""The import pages: upload, dry-run preview with row errors, confirm, batches, downloads."""

from __future__ import annotations

import hashlib
import io
import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from tests.factories import login, make_item, make_site, make_user
from tracker import config, create_app
from tracker.extensions import db
from tracker.models import DistributionDaily, ImportBatch, StockMovement, User
from tracker.web import imports as web_imports

GOOD = b"sted;dato;vare;antall;kontakter\nOSL-MO;05.06.2025;SPR-2;1 234;7\n"


@pytest.fixture
def page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    site = make_site("OSL-MO", municipality="0301")
    make_item("SPR-2", "syringe")
    coordinator = make_user("coordinator", municipality="0301")
    login(client, coordinator)
    return {"client": client, "site": site, "user": coordinator}


def post_file(client, data: bytes, name: str = "hist.csv"):
    return client.post(
        "/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def confirm_fields(html: str) -> dict[str, str]:
    """The confirm form's hidden fields on a checked file's page."""
    return dict(re.findall(r'name="(check)"[^>]*value="([^"]*)"', html))


def checked(client, data: bytes = GOOD) -> dict[str, str]:
    """Upload a file for its dry run and return the confirm form's hidden fields."""
    return confirm_fields(post_file(client, data).get_data(as_text=True))


def confirm(client, fields: dict[str, str], data: bytes = GOOD, name: str = "hist.csv", **kw):
    """Confirm a check by sending a file again, as the page asks."""
    return client.post(
        "/import/bekreft",
        data={**fields, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kw,
    )


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
    assert "Velg den samme filen en gang til" in html
    fields = confirm_fields(html)
    assert set(fields) == {"check"}
    confirmed = confirm(page["client"], fields)
    assert confirmed.status_code == 302
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234
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


def test_confirm_without_a_valid_check_sends_back_to_the_form(page):
    response = confirm(page["client"], {"check": "forged.token"}, follow_redirects=True)
    assert "Fant ikke kontrollen av filen" in response.get_data(as_text=True)
    assert movements() == 0


def test_confirm_without_the_file_imports_nothing(page):
    fields = checked(page["client"])
    response = page["client"].post("/import/bekreft", data=fields, follow_redirects=True)
    assert "Velg den samme filen som ble kontrollert" in response.get_data(as_text=True)
    assert movements() == 0


def test_confirm_with_a_different_file_is_refused_and_writes_nothing(page):
    fields = checked(page["client"])
    other = GOOD.replace(b"1 234", b"9 999")
    response = confirm(page["client"], fields, other, follow_redirects=True)
    assert "ikke den samme som ble kontrollert" in response.get_data(as_text=True)
    assert movements() == 0
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_a_check_by_another_user_cannot_be_confirmed(page, client):
    fields = checked(page["client"])
    login(client, make_user("coordinator", municipality="0301", email="other@test.no"))
    response = confirm(client, fields, follow_redirects=True)
    assert "Fant ikke kontrollen av filen" in response.get_data(as_text=True)
    assert movements() == 0


def test_an_expired_check_is_refused(page, app, monkeypatch):
    assert checked(page["client"])  # a fresh check; its token is remade a day older below
    day_old = int(time.time()) - 25 * 3600
    with monkeypatch.context() as patch, app.test_request_context():
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: day_old)
        token = web_imports._check_token(hashlib.sha256(GOOD).hexdigest(), page["user"].id)
    fields = {"check": token}
    response = confirm(page["client"], fields, follow_redirects=True)
    assert "Kontrollen er for gammel" in response.get_data(as_text=True)
    assert movements() == 0


def test_a_check_can_be_confirmed_on_another_host(page, app, database_uri):
    """No file waits on the checking host: a second app on the same database confirms it."""
    assert not any(name.startswith("IMPORT_UPLOAD") for name in app.config)
    fields = checked(page["client"])
    other_host = create_app(config.TestConfig(database_uri))
    other_host.config["WTF_CSRF_ENABLED"] = False
    try:
        other = other_host.test_client()
        user_id = page["user"].id
        db.session.rollback()  # this host holds no transaction (SQLite: no write lock) now
        with other_host.app_context():
            login(other, db.session.get(User, user_id))
        response = confirm(other, fields, follow_redirects=True)
        assert "Importerte 1 rader" in response.get_data(as_text=True)
    finally:
        with other_host.app_context():
            db.session.remove()
            db.engine.dispose()
    db.session.expire_all()
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234


def test_the_same_file_again_says_it_was_imported_before(page):
    confirm(page["client"], checked(page["client"]))
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


def test_cancel_goes_back_and_imports_nothing(page):
    html = post_file(page["client"], GOOD).get_data(as_text=True)
    assert re.search(r'<a href="/import" class="button secondary">Avbryt</a>', html)
    assert "/import/avbryt" not in html
    assert movements() == 0


def test_a_refused_confirmation_imports_nothing(page):
    fields = checked(page["client"])
    page["site"].active = False  # deactivated between the check and the confirmation
    db.session.commit()
    response = confirm(page["client"], fields, follow_redirects=True)
    assert "Importen ble avvist" in response.get_data(as_text=True)
    assert movements() == 0


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
