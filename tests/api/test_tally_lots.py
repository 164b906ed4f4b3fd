"""Tally lines of a lot-tracked item: first expiry, first out, split across lots; lots the
site never held are accepted and flagged; edits and deletes reverse per lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.stockops_helpers import receive_lot, stock_world
from tests.factories import make_item
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Discrepancy, Lot, Site, StockBalance
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    world = stock_world(client)
    make_item("KIT-L", "other", tracks_lots=True)
    for lot, quantity, days in (("K-SOON", 5, 30), ("K-LATE", 10, 300)):
        received = {  # ten days ago: the site's stock starts then (invariant 9)
            "site": "OSL-MO",
            "date": (today() - timedelta(days=10)).isoformat(),
            "lines": [
                {
                    "item": "KIT-L",
                    "quantity": quantity,
                    "lot": lot,
                    "expiry": (today() + timedelta(days=days)).isoformat(),
                }
            ],
        }
        assert world["lead_a"].post("/receipts", received).status_code == 201
    receive_lot(world["lead_b"], world["b"], "KIT-L", "K-THERE", 3, 200)
    return world


def body(quantity, lot=None, day=None):
    line = {"item": "KIT-L", "quantity": quantity, **({"lot": lot} if lot else {})}
    return {"site": "OSL-MO", "date": (day or today()).isoformat(), "contacts": 1, "lines": [line]}


def balances() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Lot.lot_number, StockBalance.quantity)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .join(Site, Site.id == StockBalance.site_id)
        .where(Site.code == "OSL-MO")
    ).all()
    db.session.commit()
    return dict(rows)


def test_a_tally_line_larger_than_the_first_lot_is_split(world):
    response = world["staff_a"].post("/tallies", body(8))
    assert response.status_code == 201, response.get_json()
    assert balances() == {"K-SOON": 0, "K-LATE": 7}
    assert ledger_check.verify() == []


def test_beyond_every_usable_lot_the_rest_goes_negative_on_the_latest(world):
    assert world["staff_a"].post("/tallies", body(20)).status_code == 201
    assert balances() == {"K-SOON": 0, "K-LATE": -5}


def test_editing_and_deleting_a_split_line_reverse_per_lot(world):
    created = world["staff_a"].post("/tallies", body(8)).get_json()
    path = f"/tallies/{created['id']}"
    patched = world["staff_a"].patch(path, {"lines": [{"item": "KIT-L", "quantity": 3}]})
    assert patched.status_code == 200, patched.get_json()
    assert balances() == {"K-SOON": 2, "K-LATE": 10}
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert world["staff_a"].patch(path, {"date": yesterday}).status_code == 200
    assert balances() == {"K-SOON": 2, "K-LATE": 10}
    assert (
        world["staff_a"].patch(path, {"lines": [{"item": "KIT-L", "quantity": 12}]}).status_code
        == 200
    )
    assert balances() == {"K-SOON": 0, "K-LATE": 3}
    assert world["staff_a"].delete(path).status_code == 200
    assert balances() == {"K-SOON": 5, "K-LATE": 10}
    assert ledger_check.verify() == []


def test_a_tally_naming_a_lot_never_held_here_is_accepted_and_flagged(world):
    response = world["staff_a"].post("/tallies", body(2, lot="K-THERE"))
    assert response.status_code == 201
    flags = db.session.scalars(select(Discrepancy).where(Discrepancy.kind == "foreign_lot")).all()
    assert [(d.lot.lot_number, d.quantity) for d in flags] == [("K-THERE", 2)]
    assert world["staff_a"].post("/tallies", body(1, lot="K-LATE")).status_code == 201
    kinds = sorted(db.session.scalars(select(Discrepancy.kind)))
    assert kinds == ["foreign_lot", "negative_balance"]  # K-THERE went to -2 here, too
