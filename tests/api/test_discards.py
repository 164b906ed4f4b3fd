"""Discards and lots: FEFO, expired lots refused for handout but accepted for discard."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import balance, receive, receive_lot, stock_world
from tests.factories import make_lot
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Item, StockMovement
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    world = stock_world(client)
    # the stock start is a month back, so the expired lot can be received 30 days ago
    receive(world["lead_a"], world["a"], {"SPR-2": 100}, day=today() - timedelta(days=31))
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "LATE", 5, 400)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "SOON", 5, 40)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "EMPTY", 1, 10)
    return world


def expired_lot(world, quantity=3):
    """A lot received while good that has since expired."""
    naloxone = db.session.scalar(select(Item).where(Item.code == "NALOKSON"))
    make_lot(naloxone, "OLD", today() - timedelta(days=2))
    received = (today() - timedelta(days=30)).isoformat()
    # A receipt cannot be dated before the site's stock start: move it back if one is set.
    moved = world["lead_a"].patch("/sites/OSL-MO", {"stock_start": received})
    assert moved.status_code in (200, 409), moved.get_json()
    world["lead_a"].post(
        "/receipts",
        {
            "site": "OSL-MO",
            "date": (today() - timedelta(days=30)).isoformat(),
            "lines": [{"item": "NALOKSON", "quantity": quantity, "lot": "OLD"}],
        },
    )


def handout(**extra):
    return {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "quantity": 1,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": True,
        **extra,
    }


def discard(**extra):
    return {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "item": "SPR-2",
        "quantity": 10,
        "reason": "damaged",
        **extra,
    }


def test_fefo_picks_the_unexpired_lot_with_stock_that_expires_first(world):
    expired_lot(world)
    world["lead_a"].post(
        "/discards", discard(item="NALOKSON", lot="EMPTY", quantity=1, reason="lost")
    )
    response = world["staff_a"].post("/naloxone-handouts", handout())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lot"] == "SOON"


def test_an_expired_lot_is_refused_for_handout(world):
    expired_lot(world)
    response = world["staff_a"].post("/naloxone-handouts", handout(lot="OLD"))
    assert response.status_code == 409
    assert response.get_json()["code"] == "lot-expired"
    assert balance(world["a"], "NALOKSON") == 14


def test_an_expired_lot_is_accepted_for_discard(world):
    expired_lot(world)
    response = world["lead_a"].post(
        "/discards", discard(item="NALOKSON", lot="OLD", quantity=3, reason="expired")
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["quantity"] == 3
    assert balance(world["a"], "NALOKSON") == 11
    movement = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == "discard")
    ).one()
    assert (movement.quantity, movement.reason) == (-3, "expired")
    assert ledger_check.verify() == []


def test_a_discard_beyond_on_hand_is_refused(world):
    response = world["lead_a"].post("/discards", discard(quantity=101))
    assert response.status_code == 409
    assert balance(world["a"], "SPR-2") == 100
    assert world["lead_a"].post("/discards", discard(quantity=100)).status_code == 201
    assert balance(world["a"], "SPR-2") == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("lead_a", 201), ("coord_oslo", 201), ("staff_a", 403), ("lead_b", 403), ("lead_c", 403)],
)
def test_only_the_sites_lead_discards(world, who, status):
    assert world[who].post("/discards", discard()).status_code == status


@pytest.mark.parametrize(
    "body",
    [
        discard(reason=None),
        discard(reason="bored"),
        discard(reason="other"),
        discard(quantity=0),
        discard(quantity=2.5),
        discard(item="NALOKSON"),
        discard(item="NALOKSON", lot="NOPE"),
        discard(lot="X"),
        discard(note="31129956715"),
        discard(site="NOWHERE"),
        discard(date="2099-01-01"),
    ],
)
def test_bad_discards_get_4xx_and_write_nothing(world, body):
    body = {k: v for k, v in body.items() if v is not None}
    before = db.session.scalar(select(func.count()).select_from(StockMovement))
    response = world["lead_a"].post("/discards", body)
    assert 400 <= response.status_code < 500, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == before
