"""The catalogue page: admins add, change and retire items; coordinators get 403."""

from sqlalchemy import select

from tests.factories import login, make_item, make_site, make_user, tally_body
from tests.web.pages import form_post
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Item
from tracker.services import tallies
from tracker.services.access import Actor

ITEM = {"name_nb": "Røykefolie", "name_en": "Smoking foil", "category": "foil", "unit": "ark"}


def test_an_admin_adds_and_retires_an_item_on_the_page(client, app):
    login(client, make_user("admin"))
    assert (
        form_post(client, "/varer", {"code": "FOLIE", **ITEM, "sort_order": "5"}).status_code == 302
    )
    item = db.session.scalar(select(Item).where(Item.code == "FOLIE"))
    assert (item.category, item.unit, item.active) == ("foil", "ark", True)
    assert "FOLIE" in client.get("/varer").get_data(as_text=True)
    response = form_post(client, "/varer/FOLIE", ITEM)  # "I bruk" unticked: retired
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, item.id).active is False


def test_an_item_with_history_keeps_its_category_on_the_page(client, app):
    site = make_site("OSL-MO")
    make_item("SPRIT", category="other")
    admin = make_user("admin")
    body = tally_body(site, {"SPRIT": 4})
    tallies.create_tally(
        Actor(admin), site_code=site.code, entry_date=today(), contacts=1, lines=body["lines"]
    )
    login(client, admin)
    changed = {**ITEM, "name_nb": "Sprit", "category": "syringe", "active": "y"}
    response = form_post(client, "/varer/SPRIT", changed)
    assert response.status_code == 409
    assert "ta den ut av bruk og legg til en ny vare" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Item.category).where(Item.code == "SPRIT")) == "other"


def test_coordinators_cannot_open_or_post_the_catalogue_pages(client, app):
    make_item("FOLIE", category="foil")
    login(client, make_user("coordinator", municipality="0301"))
    assert client.get("/varer").status_code == 403
    assert client.get("/varer/FOLIE").status_code == 403
    assert "/varer" not in client.get("/").get_data(as_text=True)
