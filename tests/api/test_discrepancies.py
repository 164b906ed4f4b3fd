"""Negative balances raise a discrepancy for the lead, who resolves it with a note."""

import pytest
from sqlalchemy import select

from tests.api.stockops_helpers import receive, stock_world
from tests.factories import tally_body
from tracker.extensions import db
from tracker.models import AuditEvent, Discrepancy


@pytest.fixture
def world(client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 10})
    return world


def hand_out(world, quantity):
    response = world["staff_a"].post("/tallies", tally_body(world["a"], {"SPR-2": quantity}))
    assert response.status_code == 201, response.get_json()


def test_distribution_below_zero_is_recorded_and_raises_one_open_discrepancy(world):
    hand_out(world, 8)
    assert world["lead_a"].get("/discrepancies").get_json() == []
    hand_out(world, 5)
    hand_out(world, 1)
    listed = world["lead_a"].get("/discrepancies?open=true").get_json()
    assert [(d["kind"], d["item"], d["quantity"]) for d in listed] == [
        ("negative_balance", "SPR-2", -3)
    ]
    stock = world["lead_a"].get("/stock?site=OSL-MO").get_json()
    assert next(line for line in stock if line["item"] == "SPR-2")["discrepancy"] is True


def test_a_lead_resolves_a_discrepancy_with_a_note(world):
    hand_out(world, 12)
    (found,) = world["lead_a"].get("/discrepancies").get_json()
    response = world["lead_a"].post(
        f"/discrepancies/{found['id']}/resolve", {"note": "Telt opp, varemottak manglet"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["resolved"] is True
    assert body["resolution"] == "Telt opp, varemottak manglet"
    assert body["resolved_by"] == "Test Bruker"
    assert world["lead_a"].get("/discrepancies?open=true").get_json() == []
    again = world["lead_a"].post(f"/discrepancies/{found['id']}/resolve", {"note": "igjen"})
    assert again.status_code == 409
    # a fresh shortfall after resolving opens a new one
    hand_out(world, 1)
    assert len(world["lead_a"].get("/discrepancies?open=true").get_json()) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("lead_a", 200), ("coord_oslo", 200), ("staff_a", 403), ("lead_b", 404), ("lead_c", 404)],
)
def test_only_the_sites_lead_resolves(world, who, status):
    hand_out(world, 12)
    found = db.session.scalars(select(Discrepancy)).one()
    response = world[who].post(f"/discrepancies/{found.id}/resolve", {"note": "Sjekket"})
    assert response.status_code == status


@pytest.mark.parametrize("note", ["", "   ", "Gjelder 31129956715", None])
def test_a_resolution_needs_a_clean_note(world, note):
    hand_out(world, 12)
    found = db.session.scalars(select(Discrepancy)).one()
    body = {} if note is None else {"note": note}
    response = world["lead_a"].post(f"/discrepancies/{found.id}/resolve", body)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Discrepancy, found.id).resolved_at is None
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "discrepancy")).all() == []
    )
