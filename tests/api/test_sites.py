"""Sites and the catalogue through the API: who may create, change and see them."""

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_municipality, make_site, make_user
from tracker.extensions import db
from tracker.models import AuditEvent, Item, Site


def test_coordinator_creates_a_site_in_their_municipality_only(client):
    make_municipality("0301")
    make_municipality("4601")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    body = {"code": "OSL-NY", "name": "Nytt senter", "municipality": "0301", "kind": "mo_senter"}
    response = api.post("/sites", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["municipality_name"] == "Oslo"
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "site")) == 1
    )
    elsewhere = api.post("/sites", {**body, "code": "BGO-NY", "municipality": "4601"})
    assert elsewhere.status_code == 422
    assert api.post("/sites", body).status_code == 409


def test_staff_cannot_create_sites_and_see_only_their_own(client):
    own = make_site("OSL-MO")
    make_site("BGO-MO", municipality="4601")
    api = api_client(client, make_user("staff", [own]))
    assert [s["code"] for s in api.get("/sites").get_json()] == ["OSL-MO"]
    body = {"code": "X-1", "name": "X", "municipality": "0301", "kind": "annet"}
    assert api.post("/sites", body).status_code == 403
    assert api.get("/sites/BGO-MO").status_code == 403


def test_a_site_is_deactivated_not_deleted_and_refuses_new_entries(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    admin = api_client(client, make_user("admin"))
    response = admin.patch("/sites/OSL-MO", {"active": False})
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert db.session.get(Site, site.id) is not None
    tally = admin.post(
        "/tallies",
        {"site": "OSL-MO", "date": "2026-01-05", "lines": [{"item": "SPR-2", "quantity": 1}]},
    )
    assert tally.status_code == 409


def test_the_catalogue_is_national_and_managed_by_admins(client):
    staff = api_client(client, make_user("staff", [make_site()]))
    admin = api_client(client, make_user("admin"))
    body = {"code": "FOLIE", "name_nb": "Røykefolie", "name_en": "Foil", "category": "foil"}
    assert staff.post("/items", body).status_code == 403
    created = admin.post("/items", body)
    assert created.status_code == 201
    assert [i["code"] for i in staff.get("/items").get_json()] == ["FOLIE"]
    assert admin.patch("/items/FOLIE", {"active": False}).get_json()["active"] is False
    assert staff.get("/items?active=true").get_json() == []
    assert admin.post("/items", {**body, "category": "drugs"}).status_code == 422


def test_a_coordinator_cannot_add_retire_or_recategorise_items(client):
    make_item("FOLIE", category="foil")
    for coordinator in (make_user("coordinator"), make_user("coordinator", municipality="1103")):
        api = api_client(client, coordinator)
        body = {"code": "NY", "name_nb": "Ny", "name_en": "New", "category": "other"}
        assert api.post("/items", body).status_code == 403
        assert api.patch("/items/FOLIE", {"active": False}).status_code == 403
        assert api.patch("/items/FOLIE", {"category": "syringe"}).status_code == 403
    item = api_client(client, make_user("admin")).get("/items/FOLIE").get_json()
    assert (item["active"], item["category"]) == (True, "foil")
    assert db.session.scalar(select(func.count(Item.id))) == 1


def test_an_item_with_movements_keeps_its_category(client):
    site = make_site("OSL-MO")
    make_item("SPRIT", category="other")
    make_item("UBRUKT", category="other")
    admin = api_client(client, make_user("admin"))
    tally = {"site": site.code, "date": "2026-01-05", "lines": [{"item": "SPRIT", "quantity": 3}]}
    assert admin.post("/tallies", tally).status_code == 201
    refused = admin.patch("/items/SPRIT", {"category": "syringe"})
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["code"] == "category-locked"
    assert "ta den ut av bruk og legg til en ny vare" in refused.get_json()["detail"]
    assert "category" in refused.get_json()["errors"]
    assert admin.get("/items/SPRIT").get_json()["category"] == "other"
    # The same category again, other fields, and an unused item: all fine.
    assert admin.patch("/items/SPRIT", {"category": "other", "name_nb": "Sprit"}).status_code == 200
    assert admin.patch("/items/SPRIT", {"active": False}).status_code == 200
    assert admin.patch("/items/UBRUKT", {"category": "syringe"}).status_code == 200


def test_naloxone_items_always_track_lots(client):
    admin = api_client(client, make_user("admin"))
    body = {
        "code": "NX",
        "name_nb": "Nalokson",
        "name_en": "Naloxone",
        "category": "naloxone",
        "tracks_lots": False,
    }
    assert admin.post("/items", body).get_json()["tracks_lots"] is True
    assert admin.patch("/items/NX", {"tracks_lots": False}).status_code == 422


def test_levels_are_set_by_the_site_lead(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    lead = api_client(client, make_user("lead", [site]))
    staff = api_client(client, make_user("staff", [site]))
    body = {"reorder_level": 100, "target_level": 300}
    assert staff.put("/sites/OSL-MO/items/SPR-2/levels", body).status_code == 403
    assert lead.put("/sites/OSL-MO/items/SPR-2/levels", body).status_code == 200
    bad = lead.put("/sites/OSL-MO/items/SPR-2/levels", {"reorder_level": 300, "target_level": 1})
    assert bad.status_code == 422
    line = next(r for r in lead.get("/stock?site=OSL-MO").get_json() if r["item"] == "SPR-2")
    assert (line["reorder_level"], line["target_level"]) == (100, 300)
    assert line["below_reorder"] is True


def test_unknown_route_and_wrong_method_are_problem_json(client):
    api = api_client(client, make_user("admin"))
    missing = api.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    wrong = api.client.put("/api/v1/sites", headers={"Authorization": f"Bearer {api.token}"})
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["Allow"]


def test_a_site_has_an_operator_set_on_creation_and_changed_by_patch(client):
    make_municipality("0301")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    body = {"code": "OSL-NY", "name": "Nytt", "municipality": "0301", "kind": "annet"}
    plain = api.post("/sites", body)
    assert plain.get_json()["operator"] == "municipal"  # the default
    ngo = api.post("/sites", {**body, "code": "OSL-KIRKE", "operator": "ngo"})
    assert ngo.status_code == 201
    assert ngo.get_json()["operator"] == "ngo"
    changed = api.patch("/sites/OSL-NY", {"operator": "other"})
    assert changed.get_json()["operator"] == "other"
    assert db.session.scalar(select(Site.operator).where(Site.code == "OSL-NY")) == "other"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity == "site")
    ).one()
    assert (event.before["operator"], event.after["operator"]) == ("municipal", "other")


@pytest.mark.parametrize("operator", ["private", "", "NGO", 1, None])
def test_an_unknown_operator_is_refused_and_nothing_changes(client, operator):
    make_site("OSL-MO")
    api = api_client(client, make_user("admin"))
    body = {"code": "OSL-NY", "name": "Nytt", "municipality": "0301", "kind": "annet"}
    assert api.post("/sites", {**body, "operator": operator}).status_code == 422
    assert api.patch("/sites/OSL-MO", {"operator": operator}).status_code == 422
    assert db.session.scalar(select(func.count(Site.id))) == 1
    assert db.session.scalar(select(Site.operator)) == "municipal"


def test_a_coordinator_of_another_municipality_cannot_change_the_operator(client):
    make_site("BGO-MO", municipality="4601")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    assert api.patch("/sites/BGO-MO", {"operator": "ngo"}).status_code == 403
    assert db.session.scalar(select(Site.operator)) == "municipal"
