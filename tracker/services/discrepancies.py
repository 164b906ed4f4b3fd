"""Discrepancies for the site lead: negative balances, count variances, transfer shortfalls,
and handouts booked to a lot the site never held.

Negative balances are flagged by the ledger as it posts (distribution is never refused, so a
balance may go below zero; invariant 2). A handout or tally line booked to a lot the site
never held is accepted (the lot may be printed on the box, its transfer not yet received)
and flagged here the same way. A lead resolves a discrepancy with a note saying how; who
resolved it and when are kept.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, Select, exists, insert, literal, select

from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import Discrepancy
from tracker.models.base import UTCDateTime, utcnow
from tracker.privacy import check_free_text
from tracker.services import audit
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids
from tracker.services.unit import commit, get_by_id, lock_by_id, service


def discrepancies_query(
    actor: Actor, *, site: str | None = None, open_only: bool = False
) -> Select[tuple[Discrepancy]]:
    """Discrepancies at the sites the actor sees, open ones first, newest first."""
    ids = [require_site(actor, get_site(site)).id] if site else visible_site_ids(actor)
    query = select(Discrepancy).where(Discrepancy.site_id.in_(ids))
    if open_only:
        query = query.where(Discrepancy.resolved_at.is_(None))
    return query.order_by(Discrepancy.resolved_at.is_not(None), Discrepancy.id.desc())


def flag_foreign_lot(site_id: int, item_id: int, lot_id: int, quantity: int, on: date) -> None:
    """Open a foreign-lot discrepancy for the lead unless one is open for that lot.

    Call after ledger.post: the balance row is then locked by this transaction, so a racing
    booking of the same lot waits, and its NOT EXISTS sees this one's flag once committed.
    """
    d = Discrepancy
    open_one = exists().where(
        d.kind == "foreign_lot",
        d.resolved_at.is_(None),
        d.site_id == site_id,
        d.item_id == item_id,
        d.lot_id == lot_id,
    )
    values = select(
        literal(site_id, Integer),
        literal(item_id, Integer),
        literal(lot_id, Integer),
        literal("foreign_lot"),
        literal(quantity, Integer),
        literal(on, Date),
        literal(utcnow(), UTCDateTime),
    ).where(~open_one)
    db.session.execute(
        insert(Discrepancy).from_select(
            ["site_id", "item_id", "lot_id", "kind", "quantity", "detected_on", "detected_at"],
            values,
        )
    )


def recent(actor: Actor, limit: int = 200) -> list[Discrepancy]:
    """Discrepancies for the page: open ones first, then the latest resolved."""
    return list(db.session.scalars(discrepancies_query(actor).limit(limit)))


def get_discrepancy(actor: Actor, discrepancy_id: int, *, lock: bool = False) -> Discrepancy:
    """One discrepancy the actor may see; lock=True to change it (locked, read fresh)."""
    found = (lock_by_id if lock else get_by_id)(Discrepancy, discrepancy_id)
    if found is None or not can(actor, found.site):
        raise NotFound(_l("Det finnes ikke noe avvik %(id)s.", id=discrepancy_id))
    return found


@service
def resolve(actor: Actor, discrepancy_id: int, *, note: str) -> Discrepancy:
    """A lead says how the discrepancy was dealt with; it leaves the open list, once."""
    found = get_discrepancy(actor, discrepancy_id, lock=True)
    require_site(actor, found.site, "lead")
    note = (note or "").strip()
    if not note:
        raise ValidationError(_l("Skriv hva som ble gjort."), {"note": [_l("Må fylles ut.")]})
    check_free_text("note", note)
    if found.resolved_at is not None:
        raise Conflict(_l("Avvik %(id)s er allerede lukket.", id=found.id))
    found.resolved_at = utcnow()
    found.resolved_by_id = actor.user_id
    found.resolution = note
    audit.record(
        actor,
        "discrepancy",
        found.id,
        "resolve",
        site_id=found.site_id,
        before={"resolved": False},
        after={"resolved": True, "note": note},
    )
    commit()
    return found
