"""The catalogue page: admins add, change and retire items; coordinators get 403."""

from sqlalchemy import func, select

from tests.factories import login, make_item, make_site, make_user, tally_body
from tests.web.pages import form_post
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Category, Item, KitContent
from tracker.services import categories, tallies
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


def test_an_admin_adds_and_renames_a_category_and_it_is_offered_for_items(client, app):
    login(client, make_user("admin"))
    page = client.get("/varer/kategorier").get_data(as_text=True)
    assert "Sprøyter" in page
    assert "fast" in page
    data = {"code": "condom", "name_nb": "Kondomer", "name_en": "Condoms"}
    assert form_post(client, "/varer/kategorier", data).status_code == 302
    assert db.session.get(Category, "condom").name_nb == "Kondomer"
    assert 'value="condom"' in client.get("/varer").get_data(as_text=True)  # a choice for items
    renamed = {"name_nb": "Kondomer og glidemiddel", "name_en": "Condoms and lube"}
    assert form_post(client, "/varer/kategorier/condom", renamed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, "condom").name_en == "Condoms and lube"
    item = {**ITEM, "code": "KOND", "category": "condom", "name_nb": "Kondom"}
    assert form_post(client, "/varer", item).status_code == 302
    assert "Kondomer og glidemiddel" in client.get("/varer").get_data(as_text=True)


def test_bad_and_fixed_categories_are_refused_on_the_page(client, app):
    login(client, make_user("admin"))
    bad = {"code": "Kondom!", "name_nb": "Kondomer", "name_en": "Condoms"}
    assert form_post(client, "/varer/kategorier", bad).status_code == 422
    taken = {"code": "syringe", "name_nb": "Pumper", "name_en": "Pumps"}
    response = form_post(client, "/varer/kategorier", taken)
    assert response.status_code == 409
    response = form_post(client, "/varer/kategorier/syringe", {"name_nb": "X", "name_en": "Y"})
    assert response.status_code == 409
    assert "fast rapportkategori" in response.get_data(as_text=True)
    assert db.session.get(Category, "syringe").name_nb == "Sprøyter"
    assert db.session.scalar(select(func.count()).select_from(Category)) == 6


def test_an_admin_sets_a_kits_contents_on_the_page_until_it_is_used(client, app):
    site = make_site("OSL-MO")
    make_item("SPR", category="syringe")
    make_item("FOL", category="foil")
    make_item("NAL", category="naloxone")
    make_item("PAKKE", category="other")
    admin = make_user("admin")
    login(client, admin)
    page = client.get("/varer/PAKKE").get_data(as_text=True)
    assert 'name="q_SPR"' in page
    assert 'name="q_NAL"' not in page  # naloxone is handed out one by one, not in kits
    data = {"q_SPR": "10", "q_FOL": "1"}
    response = form_post(client, "/varer/PAKKE/innhold", data, page_url="/varer/PAKKE")
    assert response.status_code == 302
    contents = db.session.execute(select(KitContent.quantity)).scalars().all()
    assert sorted(contents) == [1, 10]
    assert "Brukerpakke: SPR, FOL" in client.get("/varer").get_data(as_text=True)

    bad = form_post(client, "/varer/PAKKE/innhold", {"q_SPR": "-3"}, page_url="/varer/PAKKE")
    assert bad.status_code == 422
    assert "helt antall" in bad.get_data(as_text=True)

    body = tally_body(site, {"PAKKE": 2})
    tallies.create_tally(
        Actor(admin), site_code=site.code, entry_date=today(), contacts=1, lines=body["lines"]
    )
    page = client.get("/varer/PAKKE").get_data(as_text=True)
    assert "innholdet kan ikke endres" in page
    assert 'name="q_SPR"' not in page
    late = form_post(client, "/varer/PAKKE/innhold", {"q_SPR": "20"}, page_url="/varer/PAKKE")
    assert late.status_code == 409
    db.session.expire_all()
    assert sorted(db.session.execute(select(KitContent.quantity)).scalars().all()) == [1, 10]


def test_coordinators_cannot_open_categories_or_set_kit_contents(client, app):
    make_item("PAKKE", category="other")
    login(client, make_user("coordinator", municipality="0301"))
    assert client.get("/varer/kategorier").status_code == 403
    assert client.get("/varer/kategorier/syringe").status_code == 403
    response = client.post("/varer/PAKKE/innhold", data={"q_PAKKE": "1"})
    assert response.status_code in (400, 403)
    assert db.session.scalar(select(func.count()).select_from(KitContent)) == 0


def test_the_reports_page_shows_an_added_category_as_its_own_column(client, app):
    admin = make_user("admin")
    categories.create_category(Actor(admin), code="condom", name_nb="Kondomer", name_en="Condoms")
    site = make_site("OSL-MO")
    make_item("KOND", category="condom")
    body = tally_body(site, {"KOND": 7})
    tallies.create_tally(
        Actor(admin), site_code=site.code, entry_date=today(), contacts=1, lines=body["lines"]
    )
    login(client, admin)
    page = client.get(
        "/rapporter/", query_string={"periode": "custom", "fra": today(), "til": today()}
    ).get_data(as_text=True)
    assert '<th scope="col" class="num">Kondomer</th>' in page
    assert '<th scope="col" class="num">Annet</th>' in page
