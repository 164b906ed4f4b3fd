"""Receipts, naloxone handouts, the ledger listing and stock on hand through the API."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_lot, make_site, make_user, receipt_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Lot, NaloxoneHandout, StockMovement
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    naloxone = make_item("NALOKSON", "naloxone")
    staff = make_user("staff", [site])
    return {"site": site, "other": other, "naloxone": naloxone, "api": api_client(client, staff)}


def handout(site, **overrides):
    body = {
        "site": site.code,
        "date": today().isoformat(),
        "quantity": 1,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": True,
    }
    body.update(overrides)
    return body


def test_receipt_with_a_new_lot_creates_it_with_its_expiry(world):
    expiry = (today() + timedelta(days=400)).isoformat()
    body = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "lines": [{"item": "NALOKSON", "quantity": 20, "lot": "NX1", "expiry": expiry}],
    }
    response = world["api"].post("/receipts", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lines"] == [
        {"item": "NALOKSON", "lot": "NX1", "expiry": expiry, "quantity": 20}
    ]
    stored = db.session.scalar(select(Lot.expiry).where(Lot.lot_number == "NX1"))
    assert stored.isoformat() == expiry


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"item": "NALOKSON", "quantity": 5}, "lot"),
        ({"item": "NALOKSON", "quantity": 5, "lot": "NEW"}, "expiry"),
        ({"item": "SPR-2", "quantity": 5, "lot": "L1"}, "lot"),
        ({"item": "SPR-2", "quantity": 0}, "quantity"),
    ],
)
def test_receipt_lines_are_checked(world, line, field):
    response = world["api"].post(
        "/receipts", {"site": "OSL-MO", "date": today().isoformat(), "lines": [line]}
    )
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0


def test_naloxone_handout_takes_the_soonest_expiring_lot_with_stock(world):
    late = make_lot(world["naloxone"], "LATE", today() + timedelta(days=300))
    soon = make_lot(world["naloxone"], "SOON", today() + timedelta(days=30))
    make_lot(world["naloxone"], "EMPTY", today() + timedelta(days=10))
    for lot in (late, soon):
        world["api"].post(
            "/receipts",
            {
                "site": "OSL-MO",
                "date": today().isoformat(),
                "lines": [{"item": "NALOKSON", "quantity": 5, "lot": lot.lot_number}],
            },
        )
    response = world["api"].post("/naloxone-handouts", handout(world["site"]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lot"] == "SOON"
    assert ledger_check.verify() == []


def test_expired_lot_is_refused_for_handout(world):
    make_lot(world["naloxone"], "OLD", today() - timedelta(days=1))
    response = world["api"].post("/naloxone-handouts", handout(world["site"], lot="OLD"))
    assert response.status_code == 409
    assert response.get_json()["code"] == "lot-expired"
    assert "gikk ut på dato" in response.get_json()["detail"]
    assert db.session.scalar(select(func.count(NaloxoneHandout.id))) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_time": False}, "refill_reason"),
        ({"first_time": True, "refill_reason": "lost"}, "refill_reason"),
        ({"recipient_group": "neighbour"}, "recipient_group"),
        ({"quantity": 0}, "quantity"),
        ({"recipient_name": "Kari"}, "recipient_name"),
    ],
)
def test_naloxone_programme_fields_are_checked(world, overrides, field):
    make_lot(world["naloxone"], "NX")
    response = world["api"].post("/naloxone-handouts", handout(world["site"], **overrides))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(select(func.count(NaloxoneHandout.id))) == 0


def test_refill_after_an_overdose_is_recorded(world):
    make_lot(world["naloxone"], "NX")
    response = world["api"].post(
        "/naloxone-handouts",
        handout(world["site"], first_time=False, refill_reason="used_on_overdose", quantity=2),
    )
    assert response.status_code == 201
    assert response.get_json()["refill_reason"] == "used_on_overdose"


def test_stock_shows_negative_balance_as_discrepancy_and_days_left(world, client):
    api = world["api"]
    # Four weeks back is beyond what staff may date (BACKDATE_DAYS): the lead records it.
    lead = api_client(client, make_user("lead", [world["site"]]))
    received = lead.post(
        "/receipts", receipt_body(world["site"], {"SPR-2": 280}, day=today() - timedelta(days=28))
    )
    assert received.status_code == 201
    api.post(
        "/tallies",
        {
            "site": "OSL-MO",
            "date": (today() - timedelta(days=3)).isoformat(),
            "lines": [{"item": "SPR-2", "quantity": 140}],
        },
    )
    response = api.get("/stock?site=OSL-MO")
    assert response.status_code == 200
    line = next(row for row in response.get_json() if row["item"] == "SPR-2")
    assert line["quantity"] == 140
    assert line["daily_usage"] == pytest.approx(5.0)
    assert line["days_left"] == pytest.approx(28.0)
    assert line["discrepancy"] is False
    api.post(
        "/tallies",
        {
            "site": "OSL-MO",
            "date": today().isoformat(),
            "lines": [{"item": "SPR-2", "quantity": 200}],
        },
    )
    line = next(r for r in api.get("/stock?site=OSL-MO").get_json() if r["item"] == "SPR-2")
    assert line["quantity"] == -60
    assert line["discrepancy"] is True
    # nothing on hand: days left is null, never negative, and the line says it is empty
    assert line["days_left"] is None
    assert line["empty"] is True
    assert line["item_quantity"] == -60
    levels = api.get("/reorder?site=OSL-MO").get_json()
    assert all(row["days_left"] is None for row in levels if row["item"] == "SPR-2")


def test_stock_of_another_site_is_forbidden(world):
    assert world["api"].get("/stock?site=BGO-MO").status_code == 403
    assert world["api"].get("/stock?site=NOPE").status_code == 404


def test_movements_are_filtered_and_limited_to_own_sites(world, client):
    api = world["api"]
    api.post("/receipts", receipt_body(world["site"], {"SPR-2": 10}))
    admin = api_client(client, make_user("admin"))
    admin.post("/receipts", receipt_body(world["other"], {"SPR-2": 99}))
    rows = api.get("/movements").get_json()
    assert [(r["site"], r["kind"], r["quantity"]) for r in rows] == [("OSL-MO", "receipt", 10)]
    assert len(admin.get("/movements").get_json()) == 2
    assert admin.get("/movements?kind=distribution").get_json() == []
    assert api.get("/movements?site=BGO-MO").status_code == 403
    assert api.get("/movements?kind=nonsense").status_code == 422
