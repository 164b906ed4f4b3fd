"""Per-site item lists (issue 19): a site chooses which catalogue items it hands out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import api_client, login, make_item, make_site, make_user, tally_body
from tests.web.pages import form_post
from tracker.extensions import db
from tracker.models import AuditEvent, Site, SiteItem
from tracker.services import catalog


@pytest.fixture
def shop(app):
    site = make_site("OSL-MO")
    return {
        "site": site,
        "syringes": make_item("SPR-2", "syringe"),
        "foil": make_item("FOLIE", "foil"),
        "naloxone": make_item("NAL", "naloxone"),
        "lead": make_user("lead", [site]),
        "staff": make_user("staff", [site]),
    }


def test_a_lead_turns_an_item_off_and_on_with_patch_and_put(client, shop):
    api = api_client(client, shop["lead"])
    response = api.patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "site": "OSL-MO",
        "item": "FOLIE",
        "active": False,
        "reorder_level": 0,
        "target_level": 0,
    }
    response = api.put(
        "/sites/OSL-MO/items/FOLIE", {"active": True, "reorder_level": 5, "target_level": 9}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is True
    assert response.get_json()["reorder_level"] == 5
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "site_item").order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_id, e.action) for e in events] == [("OSL-MO/FOLIE", "update")] * 2


def test_levels_below_reorder_are_refused_and_the_levels_alias_still_works(client, shop):
    api = api_client(client, shop["lead"])
    refused = api.patch("/sites/OSL-MO/items/FOLIE", {"reorder_level": 5, "target_level": 2})
    assert refused.status_code == 422
    alias = api.put("/sites/OSL-MO/items/FOLIE/levels", {"reorder_level": 1, "target_level": 2})
    assert alias.status_code == 200
    row = db.session.scalars(select(SiteItem)).one()
    assert (row.active, row.reorder_level, row.target_level) == (True, 1, 2)


def test_staff_and_other_sites_leads_are_refused(client, shop):
    other = make_site("BGO-MO", municipality="4601")
    assert (
        api_client(client, shop["staff"])
        .patch("/sites/OSL-MO/items/FOLIE", {"active": False})
        .status_code
        == 403
    )
    outsider = api_client(client, make_user("lead", [other]))
    assert outsider.patch("/sites/OSL-MO/items/FOLIE", {"active": False}).status_code == 403
    bergen = api_client(client, make_user("coordinator", municipality="4601"))
    assert bergen.put("/sites/OSL-MO/items/FOLIE", {"active": False}).status_code == 403
    oslo = api_client(client, make_user("coordinator", municipality="0301"))
    assert oslo.put("/sites/OSL-MO/items/FOLIE", {"active": False}).status_code == 200
    assert db.session.scalars(select(SiteItem)).one().active is False


def test_an_unknown_item_or_site_is_404(client, shop):
    api = api_client(client, make_user("admin"))
    assert api.patch("/sites/OSL-MO/items/NOPE", {"active": False}).status_code == 404
    assert api.patch("/sites/NOPE/items/FOLIE", {"active": False}).status_code == 404
    assert api.patch("/sites/OSL-MO/items/FOLIE", {"active": "nei"}).status_code == 422


def test_a_tally_line_for_an_item_turned_off_is_refused_naming_the_line(client, shop):
    api = api_client(client, shop["lead"])
    api.patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    response = api.post("/tallies", tally_body(shop["site"], {"SPR-2": 3, "FOLIE": 2}))
    assert response.status_code == 422
    problem = response.get_json()
    assert "FOLIE" in problem["detail"]
    assert "2" in problem["detail"]
    assert "1" in problem["errors"]["lines"]
    assert api.post("/tallies", tally_body(shop["site"], {"SPR-2": 3})).status_code == 201


def test_an_entry_made_before_the_item_was_turned_off_can_still_be_corrected(client, shop):
    api = api_client(client, shop["lead"])
    created = api.post("/tallies", tally_body(shop["site"], {"FOLIE": 2}))
    assert created.status_code == 201
    api.patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    tally_id = created.get_json()["id"]
    changed = api.patch(f"/tallies/{tally_id}", {"lines": [{"item": "FOLIE", "quantity": 1}]})
    assert changed.status_code == 200, changed.get_json()


def test_a_naloxone_handout_of_an_item_turned_off_is_refused(client, shop):
    api = api_client(client, shop["lead"])
    api.patch("/sites/OSL-MO/items/NAL", {"active": False})
    body = {
        "site": "OSL-MO",
        "date": tally_body(shop["site"], {})["date"],
        "quantity": 1,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
        "item": "NAL",
    }
    response = api.post("/naloxone-handouts", body)
    assert response.status_code in (409, 422)


def test_a_new_site_starts_with_the_five_reporting_categories_on(client, shop):
    other = make_item("ANNET", "other")
    card = make_item("KORT", "overdose_card")
    retired = make_item("GAMMEL", "syringe", active=False)
    api = api_client(client, make_user("admin"))
    body = {"code": "OSL-NY", "name": "Nytt", "municipality": "0301", "kind": "mo_senter"}
    assert api.post("/sites", body).status_code == 201
    site_id = db.session.scalar(select(Site.id).where(Site.code == "OSL-NY"))
    on = {i.code for i in catalog.site_items(site_id)}
    assert on == {"SPR-2", "FOLIE", "NAL", card.code}
    off = catalog.off_item_ids(site_id)
    assert {other.id, retired.id} <= off


def test_a_new_catalogue_item_is_off_at_existing_sites_until_a_lead_turns_it_on(client, shop):
    admin = api_client(client, make_user("admin"))
    body = {"code": "FOLIE-2", "name_nb": "Folie 2", "name_en": "Foil 2", "category": "foil"}
    assert admin.post("/items", body).status_code == 201
    login(client, shop["staff"])
    assert "FOLIE-2" not in client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    lead = api_client(client, shop["lead"])
    refused = lead.post("/tallies", tally_body(shop["site"], {"FOLIE-2": 1}))
    assert refused.status_code == 422
    assert lead.patch("/sites/OSL-MO/items/FOLIE-2", {"active": True}).status_code == 200
    assert lead.post("/tallies", tally_body(shop["site"], {"FOLIE-2": 1})).status_code == 201


def test_the_entry_form_shows_only_the_sites_items(client, shop):
    login(client, shop["staff"])
    before = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert f'name="item_{shop["foil"].id}"' in before
    api_client(client, shop["lead"]).patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    after = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert f'name="item_{shop["foil"].id}"' not in after
    assert f'name="item_{shop["syringes"].id}"' in after


def test_the_naloxone_form_shows_only_the_sites_naloxone(client, shop):
    login(client, shop["staff"])
    assert 'name="quantity"' in client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    api_client(client, shop["lead"]).patch("/sites/OSL-MO/items/NAL", {"active": False})
    html = client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    assert 'name="quantity"' not in html
    assert "Stedet deler ikke ut noen nalokson" in html


def test_staff_see_the_sites_items_page_without_buttons(client, shop):
    login(client, shop["staff"])
    response = client.get("/steder/OSL-MO/varer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vare FOLIE" in html
    assert "Slå av" not in html
    refused = form_post(client, "/steder/OSL-MO/varer", {"item": "FOLIE", "active": "0"})
    assert refused.status_code in (302, 403)
    assert catalog.off_item_ids(shop["site"].id) == set()


def test_a_lead_turns_an_item_off_on_the_sites_page(client, shop):
    login(client, shop["lead"])
    html = client.get("/steder/OSL-MO/varer").get_data(as_text=True)
    assert "Slå av" in html
    response = form_post(client, "/steder/OSL-MO/varer", {"item": "FOLIE", "active": "0"})
    assert response.status_code == 302
    assert catalog.off_item_ids(shop["site"].id) == {shop["foil"].id}
    assert "Slå på" in client.get("/steder/OSL-MO/varer").get_data(as_text=True)
    unknown = form_post(client, "/steder/OSL-MO/varer", {"item": "NOPE", "active": "0"})
    assert unknown.status_code == 404


def test_the_stock_page_keeps_an_item_turned_off_only_while_it_has_stock(client, shop):
    api = api_client(client, shop["lead"])
    receipt = {"site": "OSL-MO", "date": tally_body(shop["site"], {})["date"]}
    assert (
        api.post("/receipts", {**receipt, "lines": [{"item": "FOLIE", "quantity": 4}]}).status_code
        == 201
    )
    api.patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    api.patch("/sites/OSL-MO/items/SPR-2", {"active": False})
    shown = {line["item"] for line in api.get("/stock?site=OSL-MO").get_json()}
    assert "FOLIE" in shown
    assert "SPR-2" not in shown


def test_an_empty_change_answers_the_state_and_writes_nothing(client, shop):
    response = api_client(client, shop["lead"]).patch("/sites/OSL-MO/items/FOLIE", {})
    assert response.status_code == 200
    assert response.get_json()["active"] is True
    assert db.session.scalars(select(SiteItem)).all() == []
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "site_item")).all() == []
    )


def test_get_lists_the_site_s_items_with_state_and_levels(client, shop):
    lead = api_client(client, shop["lead"])
    lead.patch("/sites/OSL-MO/items/FOLIE", {"active": False})
    lead.patch("/sites/OSL-MO/items/SPR-2", {"reorder_level": 100, "target_level": 300})
    staff = api_client(client, shop["staff"])
    listed = staff.get("/sites/OSL-MO/items")
    assert listed.status_code == 200
    by_item = {row["item"]: row for row in listed.get_json()}
    assert set(by_item) == {"SPR-2", "FOLIE", "NAL"}
    assert by_item["FOLIE"]["active"] is False
    assert by_item["SPR-2"] == {
        "site": "OSL-MO",
        "item": "SPR-2",
        "active": True,
        "reorder_level": 100,
        "target_level": 300,
    }
    assert staff.get("/sites/OSL-MO/items/FOLIE").get_json() == by_item["FOLIE"]


def test_get_of_another_site_s_items_is_refused_and_unknown_names_are_404(client, shop):
    make_site("BGO-MO", municipality="4601")
    staff = api_client(client, shop["staff"])
    assert staff.get("/sites/BGO-MO/items").status_code == 403
    assert staff.get("/sites/BGO-MO/items/FOLIE").status_code == 403
    assert staff.get("/sites/NOWHERE/items").status_code == 404
    assert staff.get("/sites/OSL-MO/items/NOTHING").status_code == 404
