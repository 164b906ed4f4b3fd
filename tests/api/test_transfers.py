"""Transfers: ship out of one site, in transit in neither, received (with shortfall) at another."""

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import balance, receive, receive_lot, stock_world
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, Discrepancy, StockMovement, Transfer
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 100})
    return world


def ship_body(to="OSL-SR", quantity=40, item="SPR-2", **extra):
    body = {
        "from": "OSL-MO",
        "to": to,
        "date": today().isoformat(),
        "lines": [{"item": item, "quantity": quantity}],
    }
    body.update(extra)
    return body


def ship(world, **kwargs):
    response = world["lead_a"].post("/transfers", ship_body(**kwargs))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_shipped_transfer_is_in_transit_and_in_neither_sites_on_hand(world):
    transfer = ship(world)
    assert transfer["status"] == "shipped"
    assert transfer["in_transit"] is True
    assert balance(world["a"], "SPR-2") == 60
    assert balance(world["b"], "SPR-2") == 0
    listed = world["lead_b"].get("/transfers?status=shipped").get_json()
    assert [t["id"] for t in listed] == [transfer["id"]]
    stock_b = world["lead_b"].get("/stock?site=OSL-SR").get_json()
    assert sum(line["quantity"] for line in stock_b if line["item"] == "SPR-2") == 0
    reorder_b = world["lead_b"].get("/reorder?site=OSL-SR").get_json()
    assert reorder_b == []  # no levels set: nothing to reorder, but transit is known
    assert ledger_check.verify() == []


def test_receiving_everything_puts_it_into_the_receiver(world):
    transfer = ship(world)
    response = world["lead_b"].post(
        f"/transfers/{transfer['id']}/receive", {"date": today().isoformat()}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "received"
    assert body["lines"][0]["quantity_received"] == 40
    assert body["lines"][0]["shortfall"] == 0
    assert balance(world["a"], "SPR-2") == 60
    assert balance(world["b"], "SPR-2") == 40
    assert db.session.scalar(select(func.count()).select_from(Discrepancy)) == 0
    assert ledger_check.verify() == []


def test_a_shortfall_on_receipt_is_recorded_as_a_discrepancy(world):
    transfer = ship(world)
    line_id = transfer["lines"][0]["id"]
    response = world["lead_b"].post(
        f"/transfers/{transfer['id']}/receive",
        {"date": today().isoformat(), "lines": [{"line_id": line_id, "quantity": 35}]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["lines"][0]["shortfall"] == 5
    assert balance(world["b"], "SPR-2") == 35
    found = db.session.scalars(select(Discrepancy)).one()
    assert (found.kind, found.quantity, found.site_id) == ("transfer_shortfall", 5, world["b"].id)
    assert found.transfer_id == transfer["id"]
    listed = world["lead_b"].get("/discrepancies?site=OSL-SR&open=true").get_json()
    assert [d["kind"] for d in listed] == ["transfer_shortfall"]


def test_a_transfer_is_received_only_once(world):
    transfer = ship(world)
    path = f"/transfers/{transfer['id']}/receive"
    assert world["lead_b"].post(path, {"date": today().isoformat()}).status_code == 200
    again = world["lead_b"].post(path, {"date": today().isoformat()})
    assert again.status_code == 409
    assert balance(world["b"], "SPR-2") == 40


def test_shipping_more_than_on_hand_is_refused_and_writes_nothing(world):
    response = world["lead_a"].post("/transfers", ship_body(quantity=101))
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/insufficient-stock"
    assert balance(world["a"], "SPR-2") == 100
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "transfer")
        )
        == 0
    )


def test_one_short_line_refuses_the_whole_transfer(world):
    body = ship_body()
    body["lines"].append({"item": "NALOKSON", "quantity": 1, "lot": "NOPE"})
    assert world["lead_a"].post("/transfers", body).status_code == 422
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "NX1", 2, 200)
    body["lines"][1] = {"item": "NALOKSON", "quantity": 3, "lot": "NX1"}
    assert world["lead_a"].post("/transfers", body).status_code == 409
    assert balance(world["a"], "SPR-2") == 100
    assert balance(world["a"], "NALOKSON") == 2


def test_lot_items_ship_the_first_expiring_lot_by_default(world):
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "LATE", 10, 300)
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "SOON", 10, 60)
    transfer = ship(world, item="NALOKSON", quantity=4)
    assert transfer["lines"][0]["lot"] == "SOON"


def test_cancelling_puts_the_stock_back_at_the_sender(world):
    transfer = ship(world)
    response = world["lead_a"].post(
        f"/transfers/{transfer['id']}/cancel", {"reason": "Feil mottaker"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    assert balance(world["a"], "SPR-2") == 100
    late = world["lead_b"].post(
        f"/transfers/{transfer['id']}/receive", {"date": today().isoformat()}
    )
    assert late.status_code == 409
    kinds = db.session.scalars(select(StockMovement.kind).order_by(StockMovement.id)).all()
    assert kinds == ["receipt", "transfer_out", "correction"]
    assert ledger_check.verify() == []


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
def test_only_leads_of_the_sender_ship(world, who, status):
    assert world[who].post("/transfers", ship_body()).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead_b", 200),
        ("coord_oslo", 200),
        ("staff_b", 403),
        ("lead_a", 403),
        ("lead_c", 404),
    ],
)
def test_only_leads_of_the_receiver_receive(world, who, status):
    transfer = ship(world)
    response = world[who].post(
        f"/transfers/{transfer['id']}/receive", {"date": today().isoformat()}
    )
    assert response.status_code == status, response.get_json()
    assert balance(world["b"], "SPR-2") == (40 if status == 200 else 0)


def test_other_sites_do_not_see_a_transfer(world):
    transfer = ship(world)
    assert world["lead_c"].get(f"/transfers/{transfer['id']}").status_code == 404
    assert world["staff_b"].get(f"/transfers/{transfer['id']}").status_code == 200
    assert world["lead_c"].get("/transfers").get_json() == []


@pytest.mark.parametrize(
    "body",
    [
        ship_body(to="OSL-MO"),
        ship_body(to="NOWHERE"),
        ship_body(quantity=0),
        ship_body(quantity=2.5),
        ship_body(item="UNKNOWN"),
        ship_body(lines=[]),
        ship_body(date="2099-01-01"),
        ship_body(surprise=1),
        ship_body(note="Pasient 31129956715"),
        ship_body(lines=[{"item": "SPR-2", "quantity": 1}, {"item": "SPR-2", "quantity": 2}]),
    ],
)
def test_bad_transfers_get_4xx_and_write_nothing(world, body):
    response = world["lead_a"].post("/transfers", body)
    assert 400 <= response.status_code < 500, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 0
    assert balance(world["a"], "SPR-2") == 100


@pytest.mark.parametrize(
    "lines",
    [
        [{"line_id": 999, "quantity": 1}],
        "over",
        "dup",
    ],
)
def test_bad_receipts_get_422_and_leave_it_in_transit(world, lines):
    transfer = ship(world)
    line_id = transfer["lines"][0]["id"]
    if lines == "over":
        lines = [{"line_id": line_id, "quantity": 41}]
    elif lines == "dup":
        lines = [{"line_id": line_id, "quantity": 1}, {"line_id": line_id, "quantity": 1}]
    response = world["lead_b"].post(
        f"/transfers/{transfer['id']}/receive", {"date": today().isoformat(), "lines": lines}
    )
    assert response.status_code == 422, response.get_json()
    db.session.expire_all()
    assert db.session.get(Transfer, transfer["id"]).status == "shipped"
    assert balance(world["b"], "SPR-2") == 0
