"""Site pages: coordinators create and change their municipality's sites; leads set levels."""

from sqlalchemy import select

from tests.factories import login, make_item, make_municipality, make_site, make_user
from tests.web.pages import form_post
from tracker.extensions import db
from tracker.models import Site, SiteItem


def test_a_coordinator_creates_a_site_in_their_municipality_from_the_page(client, app):
    make_municipality("0301")
    make_municipality("4601")
    login(client, make_user("coordinator", municipality="0301"))
    html = client.get("/steder").get_data(as_text=True)
    assert "0301 Oslo" in html
    assert "4601 Bergen" not in html
    body = {"code": "OSL-NY", "name": "Nytt senter", "municipality": "0301", "kind": "sproyterom"}
    assert form_post(client, "/steder", body).status_code == 302
    site = db.session.scalar(select(Site).where(Site.code == "OSL-NY"))
    assert (site.name, site.kind, site.municipality.number) == ("Nytt senter", "sproyterom", "0301")
    assert "OSL-NY" in client.get("/steder").get_data(as_text=True)
    elsewhere = form_post(client, "/steder", {**body, "code": "BGO-NY", "municipality": "4601"})
    assert elsewhere.status_code == 422
    taken = form_post(client, "/steder", body)
    assert taken.status_code == 409


def test_a_coordinator_renames_rekinds_and_deactivates_a_site(client, app):
    site = make_site("OSL-MO", "0301")
    login(client, make_user("coordinator", municipality="0301"))
    url = f"/steder/{site.code}/rediger"
    assert "Testsenter" in client.get(url).get_data(as_text=True)
    response = form_post(client, url, {"name": "Nytt navn", "kind": "apotek"})  # active unticked
    assert response.status_code == 302
    db.session.expire_all()
    site = db.session.get(Site, site.id)
    assert (site.name, site.kind, site.active) == ("Nytt navn", "apotek", False)


def test_another_municipality_s_site_and_leads_are_refused(client, app):
    bergen = make_site("BGO-MO", "4601")
    oslo = make_site("OSL-MO", "0301")
    login(client, make_user("coordinator", municipality="0301"))
    assert client.get(f"/steder/{bergen.code}/rediger").status_code == 403
    login(client, make_user("lead", [oslo]))
    assert client.get(f"/steder/{oslo.code}/rediger").status_code == 403
    assert client.get("/steder").status_code == 403


def test_a_lead_sets_the_levels_of_their_site_and_staff_only_see_them(client, app):
    site = make_site("OSL-MO")
    make_item("SPR")
    make_item("KAN", category="needle")
    login(client, make_user("lead", [site]))
    url = f"/steder/{site.code}/nivaer"
    body = {"reorder_SPR": "100", "target_SPR": "300", "reorder_KAN": "0", "target_KAN": "0"}
    assert form_post(client, url, body).status_code == 302
    row = db.session.scalars(select(SiteItem)).one()
    assert (row.reorder_level, row.target_level) == (100, 300)
    bad = form_post(client, url, {**body, "target_SPR": "50"})
    assert bad.status_code == 422
    assert "minst bestillingsnivået" in bad.get_data(as_text=True)
    assert form_post(client, url, {**body, "reorder_SPR": "-1"}).status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(SiteItem)).one().target_level == 300
    login(client, make_user("staff", [site]))
    html = client.get(url).get_data(as_text=True)
    assert "300" in html
    assert 'name="target_SPR"' not in html
    assert form_post(client, url, body).status_code == 403


def test_a_lead_sets_the_opening_weekdays_on_the_sites_page(client, app):
    site = make_site("OSL-MO")
    login(client, make_user("lead", [site]))
    html = client.get("/steder/OSL-MO/apningsdager").get_data(as_text=True)
    assert "mandag" in html
    assert "søndag" in html
    assert html.count("checked") == 5  # Monday to Friday by default
    response = form_post(
        client, "/steder/OSL-MO/apningsdager", {"day_2": "y", "day_4": "y", "day_6": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert site.opening_weekdays == "246"
    refused = form_post(client, "/steder/OSL-MO/apningsdager", {})  # no day at all
    assert refused.status_code == 422
    assert "minst én" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert site.opening_weekdays == "246"


def test_staff_see_the_opening_weekdays_without_a_form(client, app):
    site = make_site("OSL-MO")
    login(client, make_user("staff", [site]))
    html = client.get("/steder/OSL-MO/apningsdager").get_data(as_text=True)
    assert "<li>mandag</li>" in html
    assert "<li>lørdag</li>" not in html
    assert 'name="day_1"' not in html


def test_a_site_s_operator_is_chosen_on_creation_and_changed_on_its_page(client, app):
    make_municipality("0301")
    login(client, make_user("coordinator", municipality="0301"))
    html = client.get("/steder").get_data(as_text=True)
    assert "Frivillig organisasjon" in html
    body = {
        "code": "OSL-KIRKE",
        "name": "Kirkens bymisjon",
        "municipality": "0301",
        "kind": "lavterskel_helsesenter",
        "operator": "ngo",
    }
    assert form_post(client, "/steder", body).status_code == 302
    site = db.session.scalar(select(Site).where(Site.code == "OSL-KIRKE"))
    assert site.operator == "ngo"
    assert "Frivillig organisasjon</td>" in client.get("/steder").get_data(as_text=True)
    url = "/steder/OSL-KIRKE/rediger"
    changed = {"name": "Kirkens bymisjon", "kind": "annet", "operator": "other", "active": "y"}
    assert form_post(client, url, changed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, site.id).operator == "other"
    refused = form_post(client, url, {**changed, "operator": "private"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Site, site.id).operator == "other"
