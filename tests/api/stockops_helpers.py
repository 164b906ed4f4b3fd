"""Shared set-up for the stock-in-depth API tests: two Oslo sites, one in Bergen, their people."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import StockBalance


def stock_world(client) -> dict[str, Any]:
    a = make_site("OSL-MO")
    b = make_site("OSL-SR", kind="sproyterom")
    c = make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    make_item("NALOKSON", "naloxone")
    people = {
        "lead_a": make_user("lead", [a]),
        "lead_b": make_user("lead", [b]),
        "lead_c": make_user("lead", [c]),
        "staff_a": make_user("staff", [a]),
        "staff_b": make_user("staff", [b]),
        "coord_oslo": make_user("coordinator", municipality="0301"),
        "admin": make_user("admin"),
    }
    world: dict[str, Any] = {"a": a, "b": b, "c": c}
    for name, user in people.items():
        world[name] = api_client(client, user)
    return world


def receive(api, site, lines: dict[str, int], day: date | None = None) -> None:
    response = api.post("/receipts", receipt_body(site, lines, day))
    assert response.status_code == 201, response.get_json()


def receive_lot(api, site, item: str, lot: str, quantity: int, expires_in: int) -> None:
    body = {
        "site": site.code,
        "date": today().isoformat(),
        "lines": [
            {
                "item": item,
                "quantity": quantity,
                "lot": lot,
                "expiry": (today() + timedelta(days=expires_in)).isoformat(),
            }
        ],
    }
    response = api.post("/receipts", body)
    assert response.status_code == 201, response.get_json()


def balance(site, item_code: str | None = None) -> int:
    """The site's on hand (all lots) of one item, or of everything."""
    from tracker.models import Item

    query = select(StockBalance.quantity).where(StockBalance.site_id == site.id)
    if item_code:
        query = query.join(Item, Item.id == StockBalance.item_id).where(Item.code == item_code)
    db.session.expire_all()
    total = sum(db.session.scalars(query))
    db.session.commit()  # end the read: a live server thread may want to write (SQLite)
    return total
