"""Stock counts: closing writes exactly the variance, with distribution entered during the count."""

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import balance, receive, receive_lot, stock_world
from tests.factories import tally_body
from tracker.extensions import db
from tracker.models import Discrepancy, StockCount, StockMovement
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 100})
    return world


def open_count(world, **extra):
    response = world["lead_a"].post("/stock-counts", {"site": "OSL-MO", **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def close(world, count_id, reason="counting_error", who="lead_a"):
    """Close as a lead does: ask, and if lines differ, give each listed line a reason."""
    path = f"/stock-counts/{count_id}/close"
    first = world[who].post(path, {})
    if first.status_code != 409 or first.get_json().get("code") != "count-reasons-required":
        return first
    reasons = dict.fromkeys(first.get_json()["errors"]["reasons"], reason)
    return world[who].post(path, {"reasons": reasons})


def adjustments():
    return db.session.scalars(
        select(StockMovement.quantity).where(StockMovement.kind == "count_adjustment")
    ).all()


def test_closing_writes_exactly_the_variance(world):
    count = open_count(world)
    put = world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 93}]}
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["lines"][0]["expected"] is None  # hidden until closed
    closed = close(world, count["id"])
    assert closed.status_code == 200, closed.get_json()
    line = closed.get_json()["lines"][0]
    assert (line["counted"], line["expected"], line["variance"]) == (93, 100, -7)
    assert adjustments() == [-7]
    assert balance(world["a"], "SPR-2") == 93
    found = db.session.scalars(select(Discrepancy)).one()
    assert (found.kind, found.quantity, found.stock_count_id) == ("count_variance", -7, count["id"])
    assert ledger_check.verify() == []


def test_distribution_during_the_count_counts_after_it(world):
    """Rule: the shelf is counted at the snapshot; what is handed out later comes off after."""
    count = open_count(world)
    tally = world["staff_a"].post("/tallies", tally_body(world["a"], {"SPR-2": 12}))
    assert tally.status_code == 201
    receive(world["lead_a"], world["a"], {"SPR-2": 5})
    world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 97}]}
    )
    closed = close(world, count["id"]).get_json()
    assert closed["lines"][0]["expected"] == 100
    assert closed["lines"][0]["variance"] == -3
    assert adjustments() == [-3]
    # balance = counted + movements recorded after the snapshot = 97 - 12 + 5
    assert balance(world["a"], "SPR-2") == 90
    assert ledger_check.verify() == []


def test_a_count_with_no_variance_writes_nothing(world):
    count = open_count(world)
    world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 100}]}
    )
    assert world["lead_a"].post(f"/stock-counts/{count['id']}/close", {}).status_code == 200
    assert adjustments() == []
    assert db.session.scalar(select(func.count()).select_from(Discrepancy)) == 0


def test_lot_items_are_counted_per_lot(world):
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "NX1", 10, 100)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "NX2", 4, 200)
    count = open_count(world, show_expected=True)
    lines = [
        {"item": "NALOKSON", "lot": "NX1", "quantity": 8},
        {"item": "NALOKSON", "lot": "NX2", "quantity": 5},
    ]
    world["lead_a"].put(f"/stock-counts/{count['id']}/lines", {"lines": lines})
    closed = close(world, count["id"]).get_json()
    assert [line["variance"] for line in closed["lines"]] == [-2, 1]
    assert balance(world["a"], "NALOKSON") == 13
    assert sorted(adjustments()) == [-2, 1]


def test_a_count_closes_once_and_a_second_cannot_open_meanwhile(world):
    count = open_count(world)
    assert world["lead_a"].post("/stock-counts", {"site": "OSL-MO"}).status_code == 409
    world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 90}]}
    )
    assert close(world, count["id"]).status_code == 200
    assert world["lead_a"].post(f"/stock-counts/{count['id']}/close", {}).status_code == 409
    changed = world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 1}]}
    )
    assert changed.status_code == 409
    assert adjustments() == [-10]


def test_closing_an_empty_count_is_refused(world):
    count = open_count(world)
    assert world["lead_a"].post(f"/stock-counts/{count['id']}/close", {}).status_code == 422
    db.session.expire_all()
    assert db.session.get(StockCount, count["id"]).status == "open"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead_a", 201),
        ("coord_oslo", 201),
        ("admin", 201),
        ("staff_a", 403),
        ("lead_b", 403),
        ("lead_c", 403),
    ],
)
def test_only_leads_of_the_site_count(world, who, status):
    assert world[who].post("/stock-counts", {"site": "OSL-MO"}).status_code == status


def test_other_sites_cannot_see_or_close_a_count(world):
    count = open_count(world)
    world["lead_a"].put(
        f"/stock-counts/{count['id']}/lines", {"lines": [{"item": "SPR-2", "quantity": 1}]}
    )
    assert world["lead_c"].get(f"/stock-counts/{count['id']}").status_code == 404
    assert world["lead_b"].post(f"/stock-counts/{count['id']}/close", {}).status_code == 404
    assert world["staff_a"].post(f"/stock-counts/{count['id']}/close", {}).status_code == 403
    assert world["staff_a"].get(f"/stock-counts/{count['id']}").status_code == 200
    assert adjustments() == []


@pytest.mark.parametrize(
    "lines",
    [
        [{"item": "SPR-2", "quantity": -1}],
        [{"item": "SPR-2", "quantity": 1.5}],
        [{"item": "NOPE", "quantity": 1}],
        [{"item": "NALOKSON", "quantity": 1}],
        [{"item": "SPR-2", "lot": "X", "quantity": 1}],
        [{"item": "SPR-2", "quantity": 1}, {"item": "SPR-2", "quantity": 2}],
        [{"item": "SPR-2", "quantity": 1, "extra": True}],
    ],
)
def test_bad_lines_get_4xx_and_keep_the_previous_lines(world, lines):
    count = open_count(world)
    path = f"/stock-counts/{count['id']}/lines"
    world["lead_a"].put(path, {"lines": [{"item": "SPR-2", "quantity": 50}]})
    response = world["lead_a"].put(path, {"lines": lines})
    assert 400 <= response.status_code < 500, response.get_json()
    shown = world["lead_a"].get(f"/stock-counts/{count['id']}").get_json()
    assert [(line["item"], line["counted"]) for line in shown["lines"]] == [("SPR-2", 50)]


def test_expected_quantities_show_during_the_count_only_if_the_lead_chose_so(world):
    hidden = open_count(world)
    path = f"/stock-counts/{hidden['id']}"
    world["lead_a"].put(f"{path}/lines", {"lines": [{"item": "SPR-2", "quantity": 99}]})
    assert world["lead_a"].get(path).get_json()["lines"][0]["expected"] is None
    close(world, hidden["id"])
    shown = open_count(world, show_expected=True)
    path = f"/stock-counts/{shown['id']}"
    world["lead_a"].put(f"{path}/lines", {"lines": [{"item": "SPR-2", "quantity": 99}]})
    assert world["lead_a"].get(path).get_json()["lines"][0]["expected"] == 99


def test_lines_that_differ_need_a_reason_the_409_lists_them_and_writes_nothing(world):
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "NX1", 10, 100)
    count = open_count(world)
    path = f"/stock-counts/{count['id']}"
    lines = [
        {"item": "SPR-2", "quantity": 96},
        {"item": "NALOKSON", "lot": "NX1", "quantity": 10},
    ]
    saved = world["lead_a"].put(f"{path}/lines", {"lines": lines}).get_json()
    assert [line["expected"] for line in saved["lines"]] == [None, None]  # counting is blind
    spr = saved["lines"][0]["id"]
    refused = world["lead_a"].post(f"{path}/close", {"note": "telt to ganger"})
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "count-reasons-required"
    assert list(problem["errors"]["reasons"]) == [str(spr)]  # only the line that differs
    assert "forventet 100" in problem["errors"]["reasons"][str(spr)][0]
    db.session.expire_all()
    assert db.session.get(StockCount, count["id"]).status == "open"
    assert adjustments() == []
    assert db.session.scalar(select(func.count()).select_from(Discrepancy)) == 0
    closed = world["lead_a"].post(
        f"{path}/close", {"note": "telt to ganger", "reasons": {str(spr): "damaged"}}
    )
    assert closed.status_code == 200, closed.get_json()
    assert [line["reason"] for line in closed.get_json()["lines"]] == ["damaged", None]
    found = db.session.scalars(select(Discrepancy)).one()
    assert (found.quantity, found.reason) == (-4, "damaged")
    listed = world["lead_a"].get("/discrepancies?site=OSL-MO").get_json()
    assert listed[0]["reason"] == "damaged"
    movement = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == "count_adjustment")
    ).one()
    assert movement.reason == "damaged"
    assert ledger_check.verify() == []


@pytest.mark.parametrize(
    "reasons",
    [{"LINE": "bored"}, {"LINE": ""}, {"999999": "lost"}, {"abc": "lost"}, {"0": "lost"}],
)
def test_a_bad_reason_or_line_gets_422_and_writes_nothing(world, reasons):
    count = open_count(world)
    path = f"/stock-counts/{count['id']}"
    saved = world["lead_a"].put(f"{path}/lines", {"lines": [{"item": "SPR-2", "quantity": 1}]})
    line = str(saved.get_json()["lines"][0]["id"])
    body = {"reasons": {(line if k == "LINE" else k): v for k, v in reasons.items()}}
    assert world["lead_a"].post(f"{path}/close", body).status_code == 422
    db.session.expire_all()
    assert db.session.get(StockCount, count["id"]).status == "open"
    assert adjustments() == []


def test_a_line_keeps_its_id_when_the_lines_are_saved_again(world):
    count = open_count(world)
    path = f"/stock-counts/{count['id']}/lines"
    first = world["lead_a"].put(path, {"lines": [{"item": "SPR-2", "quantity": 1}]}).get_json()
    again = world["lead_a"].put(path, {"lines": [{"item": "SPR-2", "quantity": 2}]}).get_json()
    assert first["lines"][0]["id"] == again["lines"][0]["id"]
    assert again["lines"][0]["counted"] == 2
