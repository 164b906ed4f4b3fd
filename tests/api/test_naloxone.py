"""Naloxone handouts through the API: FEFO split across lots, lots never held, edit and delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import receive_lot, stock_world
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Discrepancy, Lot, StockBalance, StockMovement
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    """OSL-MO holds SOON (5, expires in 40 days) and LATE (10, in 300); OLD has expired."""
    world = stock_world(client)
    for lot, quantity, days in (("SOON", 5, 40), ("LATE", 10, 300), ("OLD", 3, 1)):
        received = {  # ten days ago: the site's stock starts then (invariant 9)
            "site": "OSL-MO",
            "date": (today() - timedelta(days=10)).isoformat(),
            "lines": [
                {
                    "item": "NALOKSON",
                    "quantity": quantity,
                    "lot": lot,
                    "expiry": (today() + timedelta(days=days)).isoformat(),
                }
            ],
        }
        assert world["lead_a"].post("/receipts", received).status_code == 201
    receive_lot(world["lead_b"], world["b"], "NALOKSON", "ELSEWHERE", 4, 200)
    old = db.session.scalar(select(Lot).where(Lot.lot_number == "OLD"))
    old.expiry = today() - timedelta(days=1)  # received before it expired, expired now
    db.session.commit()
    return world


def body(quantity: int, **extra):
    return {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "quantity": quantity,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
        **extra,
    }


def balances(site) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Lot.lot_number, StockBalance.quantity)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.site_id == site.id)
    ).all()
    db.session.commit()
    return dict(rows)


def open_discrepancies(kind: str) -> list[Discrepancy]:
    db.session.expire_all()
    found = list(
        db.session.scalars(
            select(Discrepancy).where(Discrepancy.kind == kind, Discrepancy.resolved_at.is_(None))
        )
    )
    return found


def test_a_handout_larger_than_the_first_lot_takes_the_next_skipping_expired(world):
    response = world["staff_a"].post("/naloxone-handouts", body(8))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert [(x["lot"], x["quantity"]) for x in data["lots"]] == [("SOON", 5), ("LATE", 3)]
    assert data["lot"] == "SOON"
    assert balances(world["a"]) == {"SOON": 0, "LATE": 7, "OLD": 3}
    moves = db.session.scalars(
        select(StockMovement).where(StockMovement.naloxone_handout_id == data["id"])
    ).all()
    assert sorted(m.quantity for m in moves) == [-5, -3]
    assert ledger_check.verify() == []


def test_what_remains_when_usable_lots_run_out_goes_on_the_latest_expiring(world):
    response = world["staff_a"].post("/naloxone-handouts", body(18))
    assert response.status_code == 201, response.get_json()  # never refused (invariant 2)
    lots = [(x["lot"], x["quantity"]) for x in response.get_json()["lots"]]
    assert lots == [("SOON", 5), ("LATE", 13)]
    assert balances(world["a"]) == {"SOON": 0, "LATE": -3, "OLD": 3}
    (flag,) = open_discrepancies("negative_balance")
    assert (flag.lot.lot_number, flag.quantity) == ("LATE", -3)


def test_a_named_lot_takes_all_the_kits(world):
    response = world["staff_a"].post("/naloxone-handouts", body(7, lot="LATE"))
    assert response.status_code == 201
    assert [(x["lot"], x["quantity"]) for x in response.get_json()["lots"]] == [("LATE", 7)]


def test_a_lot_the_site_never_held_is_accepted_and_flagged_for_the_lead(world):
    response = world["staff_a"].post("/naloxone-handouts", body(2, lot="ELSEWHERE"))
    assert response.status_code == 201
    (flag,) = open_discrepancies("foreign_lot")
    assert (flag.site.code, flag.lot.lot_number, flag.quantity) == ("OSL-MO", "ELSEWHERE", 2)
    listed = world["lead_a"].get("/discrepancies?site=OSL-MO&open=true").get_json()
    assert "foreign_lot" in {d["kind"] for d in listed}
    again = world["staff_a"].post("/naloxone-handouts", body(1, lot="ELSEWHERE"))
    assert again.status_code == 201
    assert len(open_discrepancies("foreign_lot")) == 1  # one open flag per lot


def test_a_lot_the_site_holds_is_not_flagged(world):
    assert world["staff_a"].post("/naloxone-handouts", body(2, lot="LATE")).status_code == 201
    assert open_discrepancies("foreign_lot") == []


def test_an_expired_named_lot_is_refused(world):
    response = world["staff_a"].post("/naloxone-handouts", body(1, lot="OLD"))
    assert response.status_code == 409
    assert balances(world["a"])["OLD"] == 3


def test_deleting_a_split_handout_gives_each_lot_back_once(world):
    created = world["staff_a"].post("/naloxone-handouts", body(8)).get_json()
    path = f"/naloxone-handouts/{created['id']}"
    deleted = world["staff_a"].delete(path)
    assert deleted.status_code == 200, deleted.get_json()
    assert deleted.get_json()["deleted"] is True
    assert deleted.get_json()["lots"] == []
    assert balances(world["a"]) == {"SOON": 5, "LATE": 10, "OLD": 3}
    assert world["staff_a"].delete(path).status_code == 409
    assert balances(world["a"]) == {"SOON": 5, "LATE": 10, "OLD": 3}
    assert ledger_check.verify() == []
    listed = world["staff_a"].get("/naloxone-handouts?site=OSL-MO").get_json()
    assert created["id"] not in {h["id"] for h in listed}


def test_fewer_kits_come_back_from_the_lot_taken_last(world):
    created = world["staff_a"].post("/naloxone-handouts", body(8)).get_json()
    changed = world["staff_a"].patch(f"/naloxone-handouts/{created['id']}", {"quantity": 4})
    assert changed.status_code == 200, changed.get_json()
    assert [(x["lot"], x["quantity"]) for x in changed.get_json()["lots"]] == [("SOON", 4)]
    assert balances(world["a"]) == {"SOON": 1, "LATE": 10, "OLD": 3}


def test_more_kits_are_split_from_what_is_left(world):
    created = world["staff_a"].post("/naloxone-handouts", body(3)).get_json()
    changed = world["staff_a"].patch(f"/naloxone-handouts/{created['id']}", {"quantity": 9})
    assert changed.status_code == 200
    assert [(x["lot"], x["quantity"]) for x in changed.get_json()["lots"]] == [
        ("SOON", 5),
        ("LATE", 4),
    ]
    assert balances(world["a"]) == {"SOON": 0, "LATE": 6, "OLD": 3}


def test_a_new_date_or_named_lot_is_split_anew_and_corrections_reference_the_handout(world):
    created = world["staff_a"].post("/naloxone-handouts", body(8)).get_json()
    path = f"/naloxone-handouts/{created['id']}"
    moved = world["staff_a"].patch(path, {"lot": "LATE"})
    assert [(x["lot"], x["quantity"]) for x in moved.get_json()["lots"]] == [("LATE", 8)]
    assert balances(world["a"]) == {"SOON": 5, "LATE": 2, "OLD": 3}
    yesterday = (today() - timedelta(days=1)).isoformat()
    dated = world["staff_a"].patch(path, {"date": yesterday, "quantity": 6})
    assert dated.status_code == 200
    assert dated.get_json()["date"] == yesterday
    # on the day before, OLD had not expired yet: first expiry, first out takes it first
    assert [(x["lot"], x["quantity"]) for x in dated.get_json()["lots"]] == [
        ("OLD", 3),
        ("SOON", 3),
    ]
    assert balances(world["a"]) == {"SOON": 2, "LATE": 10, "OLD": 0}
    corrections = db.session.scalars(
        select(StockMovement).where(
            StockMovement.naloxone_handout_id == created["id"], StockMovement.kind == "correction"
        )
    ).all()
    assert corrections
    assert all(m.corrects_id for m in corrections)
    net = db.session.scalar(
        select(func.sum(StockMovement.quantity)).where(
            StockMovement.naloxone_handout_id == created["id"]
        )
    )
    assert net == -6
    assert ledger_check.verify() == []


def test_programme_fields_change_without_moving_stock(world):
    created = world["staff_a"].post("/naloxone-handouts", body(8)).get_json()
    path = f"/naloxone-handouts/{created['id']}"
    changed = world["staff_a"].patch(
        path, {"first_time": False, "refill_reason": "used_on_overdose"}
    )
    assert changed.status_code == 200
    assert changed.get_json()["refill_reason"] == "used_on_overdose"
    assert changed.headers["ETag"] == '"2"'
    assert balances(world["a"]) == {"SOON": 0, "LATE": 7, "OLD": 3}
    bad = world["staff_a"].patch(path, {"first_time": True, "refill_reason": "lost"})
    assert bad.status_code == 422


def test_if_match_with_a_stale_version_is_refused_and_changes_nothing(world):
    created = world["staff_a"].post("/naloxone-handouts", body(2))
    path = f"/naloxone-handouts/{created.get_json()['id']}"
    assert world["staff_a"].get(path).headers["ETag"] == '"1"'
    assert (
        world["staff_a"].patch(path, {"quantity": 3}, headers={"If-Match": '"1"'}).status_code
        == 200
    )
    stale = world["staff_a"].patch(path, {"quantity": 1}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert world["staff_a"].delete(path, headers={"If-Match": '"1"'}).status_code == 412
    assert world["staff_a"].get(path).get_json()["quantity"] == 3
    assert world["staff_a"].delete(path, headers={"If-Match": '"2"'}).status_code == 200


def test_bad_input_and_other_sites_handouts(world):
    created = world["staff_a"].post("/naloxone-handouts", body(2)).get_json()
    path = f"/naloxone-handouts/{created['id']}"
    assert world["staff_a"].patch(path, {"quantity": 0}).status_code == 422
    assert world["staff_a"].patch(path, {"quantity": 2.5}).status_code == 422
    assert world["staff_a"].patch(path, {"site": "OSL-SR"}).status_code == 422
    assert world["staff_a"].patch(path, {"lot": "NOPE"}).status_code == 422
    assert world["staff_b"].get(path).status_code == 404
    assert world["staff_b"].patch(path, {"quantity": 1}).status_code == 404
    assert world["staff_b"].delete(path).status_code == 404
    assert world["staff_a"].get("/naloxone-handouts/99999999999").status_code == 404
    assert world["staff_a"].get(path).get_json()["quantity"] == 2
