"""Days of stock left, reorder suggestions and expiry warnings against hand-computed values."""

import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.stockops_helpers import receive, receive_lot, stock_world
from tests.factories import login, make_user, tally_body
from tracker.dates import today
from tracker.extensions import db


@pytest.fixture
def world(client):
    """OSL-MO: 1000 syringes 40 days ago; 168 handed out in the last 28 days (6 a day)."""
    world = stock_world(client)
    lead = world["lead_a"]
    receive(lead, world["a"], {"SPR-2": 1000}, today() - timedelta(days=40))
    for days_ago, quantity in [(29, 500), (27, 84), (10, 56), (1, 28), (0, 20)]:
        body = tally_body(world["a"], {"SPR-2": quantity}, day=today() - timedelta(days=days_ago))
        # a month back is beyond what staff may date (BACKDATE_DAYS): the lead enters it
        assert world["lead_a"].post("/tallies", body).status_code == 201
    # on hand: 1000 - 500 - 84 - 56 - 28 - 20 = 312; usage counts days -28..-1 only: 168/28 = 6
    return world


def set_levels(world, reorder, target, site="OSL-MO", item="SPR-2", who="lead_a"):
    response = world[who].put(
        f"/sites/{site}/items/{item}/levels", {"reorder_level": reorder, "target_level": target}
    )
    assert response.status_code == 200, response.get_json()


def line_for(lines, site="OSL-MO", item="SPR-2"):
    return next(line for line in lines if line["site"] == site and line["item"] == item)


def test_days_left_is_usable_stock_over_the_last_28_days_usage(world):
    set_levels(world, 400, 1000)
    line = line_for(world["lead_a"].get("/reorder?site=OSL-MO").get_json())
    assert line["on_hand"] == 312
    assert line["daily_usage"] == 6.0
    assert line["days_left"] == 52.0  # 312 / 6
    assert line["suggested"] == 688  # 1000 - 312


def test_reorder_suggestion_counts_stock_in_transit(world):
    set_levels(world, 450, 1000)
    receive(world["lead_b"], world["b"], {"SPR-2": 300})
    shipped = world["lead_b"].post(
        "/transfers",
        {
            "from": "OSL-SR",
            "to": "OSL-MO",
            "date": today().isoformat(),
            "lines": [{"item": "SPR-2", "quantity": 100}],
        },
    )
    assert shipped.status_code == 201
    line = line_for(world["lead_a"].get("/reorder?site=OSL-MO").get_json())
    assert (line["usable"], line["in_transit"]) == (312, 100)
    assert line["suggested"] == 588  # 1000 - (312 + 100)


def test_above_reorder_level_nothing_is_suggested(world):
    set_levels(world, 300, 1000)
    assert world["lead_a"].get("/reorder?site=OSL-MO").get_json() == []


def test_expired_lots_are_not_usable_stock(world):
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "GOOD", 6, 100)
    set_levels(world, 10, 20, item="NALOKSON")
    from tests.api.test_discards import expired_lot

    expired_lot(world, quantity=4)
    line = line_for(world["lead_a"].get("/reorder?site=OSL-MO").get_json(), item="NALOKSON")
    assert (line["on_hand"], line["usable"], line["suggested"]) == (10, 6, 14)


def test_a_coordinator_sees_the_reorder_list_across_sites(world):
    set_levels(world, 400, 1000)
    set_levels(world, 50, 100, site="OSL-SR", who="lead_b")
    set_levels(world, 50, 100, site="BGO-MO", who="lead_c")
    sites = {line["site"] for line in world["coord_oslo"].get("/reorder").get_json()}
    assert sites == {"OSL-MO", "OSL-SR"}
    assert {line["site"] for line in world["lead_a"].get("/reorder").get_json()} == {"OSL-MO"}
    assert world["lead_c"].get("/reorder?site=OSL-MO").status_code == 403


def test_expiring_lots_within_30_and_90_days_and_where_they_would_be_used(world):
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "N20", 50, 20)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "N80", 2, 80)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "N200", 5, 200)
    # OSL-SR hands out 28 kits in the window: 1 a day
    receive_lot(world["lead_b"], world["b"], "NALOKSON", "B1", 40, 300)
    for n in range(28):
        body = {
            "site": "OSL-SR",
            "date": (today() - timedelta(days=n + 1)).isoformat(),
            "quantity": 1,
            "recipient_group": "pwud",
            "first_time": True,
            "training_given": False,
        }
        # up to four weeks back: beyond staff's BACKDATE_DAYS, so the lead enters them
        assert world["lead_b"].post("/naloxone-handouts", body).status_code == 201
    rows = world["coord_oslo"].get("/expiring?days=90").get_json()
    assert [(r["site"], r["lot"], r["within"]) for r in rows] == [
        ("OSL-MO", "N20", 30),
        ("OSL-MO", "N80", 90),
    ]
    n20 = rows[0]
    assert (n20["days_to_expiry"], n20["quantity"], n20["used_before_expiry"]) == (20, 50, False)
    assert n20["faster_sites"] == ["OSL-SR"]
    only30 = world["lead_a"].get("/expiring?site=OSL-MO&days=30").get_json()
    assert [r["lot"] for r in only30] == ["N20"]
    assert world["lead_a"].get("/expiring?days=0").status_code == 422
    assert world["lead_c"].get("/expiring?site=OSL-MO").status_code == 403


def test_the_reorder_list_downloads_as_xlsx_with_numbers_as_numbers(world):
    import io

    from openpyxl import load_workbook

    set_levels(world, 400, 1000)
    response = world["lead_a"].get("/reorder.xlsx?site=OSL-MO")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Sted", "Vare")
    assert rows[1][0:2] == ("OSL-MO", "SPR-2")
    assert (rows[1][3], rows[1][8], rows[1][9]) == (312, 52.0, 688)
    assert sheet.freeze_panes == "A2"
    assert world["lead_c"].get("/reorder.xlsx?site=OSL-MO").status_code == 403


def _naloxone_handouts(world, site="OSL-SR", who="lead_b", days=28):
    for n in range(days):
        body = {
            "site": site,
            "date": (today() - timedelta(days=n + 1)).isoformat(),
            "quantity": 1,
            "recipient_group": "pwud",
            "first_time": True,
            "training_given": False,
        }
        assert world[who].post("/naloxone-handouts", body).status_code == 201


@pytest.fixture
def expiring_world(world):
    """OSL-MO: N20 50 kits expiring in 20 days, N200 7 in 200 (57 usable), uses none.
    OSL-SR: 1 kit a day for 28 days (from B300), then B10 6 kits expiring in 10 days."""
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "N20", 50, 20)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "N200", 7, 200)
    receive_lot(world["lead_b"], world["b"], "NALOKSON", "B300", 40, 300)
    _naloxone_handouts(world)
    receive_lot(world["lead_b"], world["b"], "NALOKSON", "B10", 6, 10)
    set_levels(world, 10, 30, item="NALOKSON")
    return world


def test_the_expiry_suggestion_says_how_much_to_move(expiring_world):
    world = expiring_world
    (n20,) = [
        r for r in world["coord_oslo"].get("/expiring?days=30").get_json() if r["lot"] == "N20"
    ]
    # OSL-SR uses 1 a day: 20 kits before N20 expires; it holds 6 (B10) expiring no later
    # (B300 expires later and does not count): floor(20 - 6) = 14; OSL-MO can spare 57 - 10
    assert n20["moves"] == [{"site": "OSL-SR", "quantity": 14, "will_use": 20.0, "holds": 6}]
    assert n20["suggestion"]["quantity"] == 14


def test_the_suggestion_never_takes_the_sender_below_its_reorder_level(expiring_world):
    world = expiring_world
    set_levels(world, 50, 60, item="NALOKSON")  # 57 usable: 7 to spare
    (n20,) = [
        r for r in world["coord_oslo"].get("/expiring?site=OSL-MO").get_json() if r["lot"] == "N20"
    ]
    assert n20["suggestion"]["quantity"] == 7
    set_levels(world, 57, 60, item="NALOKSON")  # nothing to spare: no suggestion
    (n20,) = [
        r for r in world["coord_oslo"].get("/expiring?site=OSL-MO").get_json() if r["lot"] == "N20"
    ]
    assert n20["moves"][0]["quantity"] == 0
    assert n20["suggestion"] is None


def test_a_site_holding_enough_expiring_no_later_gets_nothing(expiring_world):
    world = expiring_world
    receive_lot(world["lead_b"], world["b"], "NALOKSON", "B15", 20, 15)  # 26 before N20 ends
    (n20,) = [
        r for r in world["coord_oslo"].get("/expiring?site=OSL-MO").get_json() if r["lot"] == "N20"
    ]
    assert (n20["moves"][0]["holds"], n20["moves"][0]["quantity"]) == (26, 0)


def test_the_suggestion_links_to_a_prefilled_transfer(client, expiring_world):
    page_client = client.application.test_client()
    # a lead at both sites: suggestions name the sites you see
    login(page_client, make_user("lead", [expiring_world["a"], expiring_world["b"]]))
    html = page_client.get("/bestilling?sted=OSL-MO").get_data(as_text=True)
    link = re.search(r'<a class="suggestion" href="([^"]+)">Flytt 14 til OSL-SR</a>', html)
    assert link, html
    href = link.group(1).replace("&amp;", "&")
    assert "til=OSL-SR" in href
    assert "antall=14" in href
    assert "parti=N20" in href
    form = page_client.get(href).get_data(as_text=True)
    assert 'value="14"' in form
    assert 'value="N20"' in form


def test_suggested_quantities_on_the_demo_data_follow_the_rule(app):
    """Every suggestion on the demo data: floor(rate x days - held no later), within the
    sender's spare above its reorder level and the lot; recomputed here from the ledger."""
    from tests.factories import actor
    from tracker.models import Lot, Site, SiteItem, StockBalance, User
    from tracker.services import demo, reorder, stock

    demo.seed(days=60)
    # the demo's lots expire in over a year: a demo-like delivery that expires sooner
    admin = actor(db.session.scalars(select(User).where(User.email == "admin@tracker.local")).one())
    for n, code in enumerate(sorted(s.code for s in db.session.scalars(select(Site)))[:6]):
        stock.receive(
            admin,
            site_code=code,
            received_on=today(),
            lines=[
                {
                    "item": "NALOKSON",
                    "quantity": 20 + 25 * n,
                    "lot": "NXSOON",
                    "expiry": today() + timedelta(days=25),
                }
            ],
        )
    found = reorder.expiring(None, days=120)
    on = today()
    sites = {s.code: s.id for s in db.session.scalars(select(Site))}
    usage = stock.usage_per_day(list(sites.values()), on)
    checked, moved, held = 0, 0, 0
    for entry in found:
        sender, item_id = entry.site.id, entry.item.id
        usable = sum(
            q
            for q, expiry in db.session.execute(
                select(StockBalance.quantity, Lot.expiry)
                .outerjoin(Lot, Lot.id == StockBalance.lot_id)
                .where(StockBalance.site_id == sender, StockBalance.item_id == item_id)
            )
            if expiry is None or expiry >= on
        )
        level = (
            db.session.scalar(
                select(SiteItem.reorder_level).where(
                    SiteItem.site_id == sender, SiteItem.item_id == item_id
                )
            )
            or 0
        )
        for move in entry.moves:
            there = sites[move.site]
            holds = sum(
                db.session.scalars(
                    select(StockBalance.quantity)
                    .join(Lot, Lot.id == StockBalance.lot_id)
                    .where(
                        StockBalance.site_id == there,
                        StockBalance.item_id == item_id,
                        StockBalance.quantity > 0,
                        Lot.expiry >= on,
                        Lot.expiry <= entry.lot.expiry,
                    )
                )
            )
            will_use = usage[(there, item_id)] * entry.days_to_expiry
            expected = min(math.floor(will_use - holds), usable - level, entry.quantity)
            assert move.holds == holds
            assert move.quantity == max(0, expected)
            assert usable - move.quantity >= min(level, usable)  # never below its level
            checked += 1
            moved += move.quantity > 0
            held += move.holds > 0
    assert moved, "the demo-like data should have a lot to move"
    assert held, "and a site that already holds some expiring no later"
