"""Readable test data: make_site(), make_item(), make_user(), api_client(), ..."""

from __future__ import annotations

import functools
import itertools
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tracker.dates import today
from tracker.extensions import db
from tracker.models import Item, Lot, Membership, Municipality, Site, User
from tracker.services import users
from tracker.services.access import Actor

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
MUNICIPALITY_NAMES = {"0301": "Oslo", "4601": "Bergen", "5001": "Trondheim"}


@functools.cache
def _password_hash() -> str:
    """Hash the shared test password once; scrypt is slow on purpose."""
    return generate_password_hash(PASSWORD, users.PASSWORD_METHOD)


def make_municipality(number: str = "0301") -> Municipality:
    found = db.session.scalar(select(Municipality).where(Municipality.number == number))
    if found is None:
        name = MUNICIPALITY_NAMES.get(number, f"Kommune {number}")
        found = Municipality(number=number, name=name)
        db.session.add(found)
        db.session.commit()
    return found


def make_site(
    code: str | None = None,
    municipality: str = "0301",
    kind: str = "mo_senter",
    active: bool = True,
) -> Site:
    site = Site(
        code=code or f"SITE-{next(_seq)}",
        name="Testsenter",
        kind=kind,
        municipality=make_municipality(municipality),
        active=active,
    )
    db.session.add(site)
    db.session.commit()
    return site


def make_item(
    code: str | None = None,
    category: str = "syringe",
    tracks_lots: bool | None = None,
    active: bool = True,
) -> Item:
    item = Item(
        code=code or f"ITEM-{next(_seq)}",
        name_nb=f"Vare {code}",
        name_en=f"Item {code}",
        category=category,
        unit="stk",
        tracks_lots=category == "naloxone" if tracks_lots is None else tracks_lots,
        active=active,
        sort_order=next(_seq),
    )
    db.session.add(item)
    db.session.commit()
    return item


def make_lot(item: Item, number: str | None = None, expiry: date | None = None) -> Lot:
    lot = Lot(
        item=item,
        lot_number=number or f"LOT{next(_seq)}",
        expiry=expiry or today() + timedelta(days=365),
    )
    db.session.add(lot)
    db.session.commit()
    return lot


def make_user(
    role: str = "staff",
    sites: list[Site] | None = None,
    email: str | None = None,
    municipality: str | None = None,
    active: bool = True,
) -> User:
    user = User(
        email=email or f"user{next(_seq)}@test.no",
        name="Test Bruker",
        password_hash=_password_hash(),
        active=active,
        global_role=role if role in ("coordinator", "admin") else None,
        municipality_id=make_municipality(municipality).id if municipality else None,
        session_version=1,
    )
    for site in sites or []:
        user.memberships.append(
            Membership(site=site, role=role if role in ("staff", "lead") else "lead")
        )
    db.session.add(user)
    db.session.commit()
    return user


def actor(user: User) -> Actor:
    return Actor(user)


class ApiClient:
    """A test client that sends the bearer token and JSON."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs: Any):
        return self.client.get(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(
            f"/api/v1{path}",
            json=json,
            headers=self._headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.patch(
            f"/api/v1{path}",
            json=json,
            headers=self._headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def put(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.put(
            f"/api/v1{path}",
            json=json,
            headers=self._headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def delete(self, path: str, **kwargs: Any):
        return self.client.delete(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )


def make_token(user: User, name: str = "test") -> str:
    _, raw = users.create_token(None, user.email, name)
    return raw


def api_client(client: FlaskClient, user: User | None) -> ApiClient:
    return ApiClient(client, make_token(user) if user else None)


def tally_body(
    site: Site, lines: dict[str, int], contacts: int = 10, day: date | None = None
) -> dict[str, Any]:
    return {
        "site": site.code,
        "date": (day or today()).isoformat(),
        "contacts": contacts,
        "lines": [{"item": code, "quantity": q} for code, q in lines.items()],
    }


def receipt_body(site: Site, lines: dict[str, int], day: date | None = None) -> dict[str, Any]:
    return {
        "site": site.code,
        "date": (day or today()).isoformat(),
        "lines": [{"item": code, "quantity": q} for code, q in lines.items()],
    }


def login(client: FlaskClient, user: User) -> None:
    """Log a user in to the web pages without going through the login form."""
    from tracker.auth import SESSION_KEY
    from tracker.services import sessions

    key = sessions.start(user, timedelta(days=31))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SESSION_KEY] = key


def make_training(
    site: Site,
    by: User,
    training_type: str = "cpr",
    held_on: date | None = None,
    attendees: list[User] | None = None,
    **counts: int,
):
    """Record a training session through the service (attendees are certified)."""
    from tracker.services import training

    return training.record_session(
        Actor(by),
        site_code=site.code,
        held_on=held_on or today(),
        training_type=training_type,
        counts=counts or {"pwud": 4},
        attendees=[u.email for u in attendees or []],
    )


def make_world() -> tuple[User, dict[str, Any]]:
    """An admin, and a record of every kind a URL names, as the URL rules' values.

    Two sites with a tally, stock, a transfer, an open count and a training session, for the
    tests that walk every rule of the URL map.
    """
    from tracker.services import (
        counts,
        day_counts,
        overdoses,
        stock,
        tallies,
        training,
        transfers,
    )

    site, other = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    make_item("SPR-2")
    make_lot(make_item("NAL-1", category="naloxone"), "L1")
    admin = make_user("admin")
    boss = Actor(admin)
    tally = tallies.create_tally(
        boss, site_code=site.code, entry_date=today(), contacts=1,
        lines=[{"item": "SPR-2", "quantity": 1}],
    )  # fmt: skip
    stock.receive(
        boss, site_code=site.code, received_on=today(), lines=[{"item": "SPR-2", "quantity": 50}]
    )
    shipped = transfers.ship(
        boss, from_code=site.code, to_code=other.code, shipped_on=today(),
        lines=[{"item": "SPR-2", "quantity": 2}],
    )  # fmt: skip
    session = training.record_session(
        boss, site_code=site.code, held_on=today(), training_type="cpr", counts={"pwud": 2}
    )
    count = counts.open_count(boss, site_code=site.code)
    event = overdoses.record(
        boss, site_code=site.code, event_date=today(), place="outreach", outcome="to_hospital"
    )
    day_counts.add_referral(boss, site_code=site.code, day=today(), to="lar_tsb", count=1)
    day_counts.add_return(boss, site_code=site.code, day=today(), kind="pieces", count=4)
    values = {
        "code": "OSL-MO", "item": "SPR-2", "kind": "csv", "tally_id": tally.id,
        "transfer_id": shipped.id, "session_id": session.id, "count_id": count.id,
        "user_id": make_user("staff", [site]).id, "discrepancy_id": 1, "event_id": event.id,
    }  # fmt: skip
    return admin, values
