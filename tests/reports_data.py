"""A small hand-made data set for the report and export tests; every figure is known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tests.factories import make_item, make_lot, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Certification, Site, TrainingSession, User
from tracker.services import naloxone, stock, tallies
from tracker.services.access import Actor


@dataclass
class Dataset:
    a: Site  # Oslo, busy
    b: Site  # Oslo, some activity
    c: Site  # Oslo, inactive, no activity at all
    d: Site  # Bergen
    admin: User
    coordinator: User  # Oslo only
    lead_a: User
    staff_a: User


def tally(who: User, site: Site, on: date, contacts: int, **lines: int) -> int:
    entry = tallies.create_tally(
        Actor(who),
        site_code=site.code,
        entry_date=on,
        contacts=contacts,
        lines=[{"item": code, "quantity": q} for code, q in lines.items()],
    )
    return entry.id


def handout(who: User, site: Site, on: date, kits: int, group: str, reason: str | None = None):
    naloxone.hand_out(
        Actor(who),
        site_code=site.code,
        handed_out_on=on,
        quantity=kits,
        recipient_group=group,
        first_time=reason is None,
        refill_reason=reason,
        training_given=False,
    )


def session(site: Site, on: date, kind: str, by: User, **counts: int) -> TrainingSession:
    row = TrainingSession(
        site_id=site.id,
        held_on=on,
        training_type=kind,
        pwud_count=counts.get("pwud", 0),
        relative_count=counts.get("relative", 0),
        staff_count=counts.get("staff", 0),
        other_count=counts.get("other", 0),
        created_by_id=by.id,
    )
    db.session.add(row)
    db.session.commit()
    return row


def build() -> Dataset:
    """Oslo: A (busy), B, C (inactive, empty); Bergen: D. All activity in 2025."""
    a = make_site("OSL-A", "0301")
    b = make_site("OSL-B", "0301")
    c = make_site("OSL-C", "0301", active=False)
    d = make_site("BGO-D", "4601")
    for code, category in (
        ("SYR", "syringe"),
        ("NDL", "needle"),
        ("FOIL", "foil"),
        ("NAL", "naloxone"),
        ("CARD", "overdose_card"),
    ):
        make_item(code, category)
    admin = make_user("admin", email="admin@test.no")
    coordinator = make_user("coordinator", municipality="0301", email="koord@test.no")
    lead_a = make_user("lead", [a], email="lead-a@test.no")
    staff_a = make_user("staff", [a], email="staff-a@test.no")
    from tracker.models import Item

    nal = db.session.query(Item).filter_by(code="NAL").one()
    lot = make_lot(nal, "N1", today() + timedelta(days=30))
    stock.receive(
        Actor(admin),
        site_code=a.code,
        received_on=date(2025, 1, 2),
        lines=[{"item": "SYR", "quantity": 500}, {"item": "NAL", "quantity": 40, "lot": "N1"}],
    )
    del lot
    # Distribution (tallies): A in May, July and November; B in January and May; D in May.
    tally(admin, a, date(2025, 5, 3), 12, SYR=40, NDL=60, FOIL=20)
    tally(admin, a, date(2025, 7, 10), 5, SYR=10, FOIL=30)
    tally(admin, a, date(2025, 11, 2), 9, SYR=100)
    tally(admin, b, date(2025, 1, 15), 2, NDL=5)
    entry = tally(admin, b, date(2025, 5, 20), 4, SYR=7, CARD=3)
    # A change is a correction in the ledger; the reports must see the corrected figure.
    tallies.update_tally(
        Actor(admin),
        entry,
        changes={
            "contacts": 6,
            "lines": [{"item": "SYR", "quantity": 8}, {"item": "CARD", "quantity": 3}],
        },
    )
    tally(admin, d, date(2025, 5, 4), 1, SYR=1000)
    # Naloxone at A: May 1+2(refill after overdose), June 1 relative + 6 pwud; B: August 3.
    handout(admin, a, date(2025, 5, 5), 1, "pwud")
    handout(admin, a, date(2025, 5, 6), 2, "pwud", "used_on_overdose")
    handout(admin, a, date(2025, 6, 1), 1, "relative")
    handout(admin, a, date(2025, 6, 10), 6, "pwud")
    handout(admin, b, date(2025, 8, 1), 3, "staff", "lost")
    # Training: A in May (CPR), B in August (naloxone); D in May (not in Oslo reports).
    session(a, date(2025, 5, 12), "cpr", admin, pwud=3, staff=2)
    session(b, date(2025, 8, 1), "naloxone", admin, pwud=7, relative=1)
    session(d, date(2025, 5, 12), "cpr", admin, pwud=9)
    cpr = session(a, date(2025, 3, 1), "cpr", admin, staff=1)
    db.session.add(
        Certification(
            user_id=lead_a.id,
            training_type="cpr",
            session_id=cpr.id,
            certified_on=date(2025, 3, 1),
            valid_until=date(2026, 3, 1),
        )
    )
    db.session.commit()
    return Dataset(a, b, c, d, admin, coordinator, lead_a, staff_a)
