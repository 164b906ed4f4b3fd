"""Issue 22: receiving a lot that already expired asks to confirm (it may be taken in to be
discarded); the API refuses it with 422 lot-expired-on-receipt unless confirm_expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, login, make_item, make_lot, make_site, make_user
from tests.web.pages import hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, Receipt


@pytest.fixture
def depot(app):
    site = make_site("OSL-MO")
    naloxone = make_item("NAL", "naloxone")
    return site, naloxone, make_user("lead", [site])


def receipts() -> int:
    return db.session.scalar(select(func.count()).select_from(Receipt))


def body(lot: str, expiry, **extra):
    line = {"item": "NAL", "quantity": 5, "lot": lot, "expiry": expiry.isoformat()}
    return {"site": "OSL-MO", "date": today().isoformat(), "lines": [line], **extra}


def test_the_api_refuses_a_lot_that_expired_11_months_ago_unless_confirmed(client, depot):
    _site, _item, lead = depot
    api = api_client(client, lead)
    long_ago = today() - timedelta(days=335)
    refused = api.post("/receipts", json=body("OLD-1", long_ago))
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["code"] == "lot-expired-on-receipt"
    assert "confirm_expired" in problem["errors"]
    assert receipts() == 0
    taken = api.post("/receipts", json=body("OLD-1", long_ago, confirm_expired=True))
    assert taken.status_code == 201, taken.get_json()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "receipt"))
    assert event.after["expired_lots"] == ["OLD-1"]


def test_a_known_lot_that_has_expired_is_asked_about_too(client, depot):
    _site, item, lead = depot
    make_lot(item, "KNOWN", today() - timedelta(days=3))
    api = api_client(client, lead)
    refused = api.post("/receipts", json=body("KNOWN", today() - timedelta(days=3)))
    assert refused.get_json()["code"] == "lot-expired-on-receipt"


def test_a_lot_expiring_on_the_day_received_is_not_asked_about(client, depot):
    api = api_client(client, depot[2])
    assert api.post("/receipts", json=body("TODAY", today())).status_code == 201


def test_the_receipt_form_warns_and_saves_only_when_ticked(client, depot):
    _site, item, lead = depot
    login(client, lead)
    html = client.get("/steder/OSL-MO/mottak").get_data(as_text=True)
    fields = {
        f"item_{item.id}": "5",
        f"lot_{item.id}": "OLD-2",
        f"expiry_{item.id}": (today() - timedelta(days=335)).isoformat(),
    }

    def send(page: str, **extra: str):
        data = {"csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key")}
        return client.post("/steder/OSL-MO/mottak", data={**data, **fields, **extra})

    asked = send(html)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "gikk ut på dato" in page
    assert 'name="confirm_expired"' in page
    assert receipts() == 0
    assert send(page, confirm_expired="y").status_code == 302
    assert receipts() == 1
