"""The municipalities page: admins list, add and rename municipalities."""

from sqlalchemy import select

from tests.factories import login, make_municipality, make_user
from tests.web.pages import form_post
from tracker.extensions import db
from tracker.models import Municipality


def test_an_admin_adds_and_renames_a_municipality_on_the_page(client, app):
    make_municipality("0301")
    login(client, make_user("admin"))
    assert "Oslo" in client.get("/kommuner").get_data(as_text=True)
    response = form_post(client, "/kommuner", {"number": "1103", "name": "Stavanger"})
    assert response.status_code == 302
    assert "Stavanger (1103)" in client.get("/kommuner").get_data(as_text=True)
    response = form_post(client, "/kommuner/1103/navn", {"name": "Stavanger kommune"}, "/kommuner")
    assert response.status_code == 302
    place = db.session.scalar(select(Municipality).where(Municipality.number == "1103"))
    db.session.refresh(place)
    assert place.name == "Stavanger kommune"


def test_a_duplicate_or_malformed_number_is_shown_on_the_form(client, app):
    make_municipality("0301")
    login(client, make_user("admin"))
    duplicate = form_post(client, "/kommuner", {"number": "0301", "name": "Oslo igjen"})
    assert duplicate.status_code == 409
    assert "Ugyldig verdi." in duplicate.get_data(as_text=True)
    malformed = form_post(client, "/kommuner", {"number": "301", "name": "Oslo"})
    assert malformed.status_code == 422
    assert "4 sifre" in malformed.get_data(as_text=True)


def test_coordinators_do_not_get_the_page(client, app):
    login(client, make_user("coordinator", municipality="0301"))
    assert client.get("/kommuner").status_code == 403
    assert "/kommuner" not in client.get("/").get_data(as_text=True)
