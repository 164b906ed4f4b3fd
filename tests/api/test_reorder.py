"""Days of stock left, reorder suggestions and expiry warnings against hand-computed values."""

from datetime import timedelta

import pytest

from tests.api.stockops_helpers import receive, receive_lot, stock_world
from tests.factories import tally_body
from tracker.dates import today


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
