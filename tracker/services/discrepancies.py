"""Discrepancies for the site lead: negative balances, count variances, transfer shortfalls.

Negative balances are flagged by the ledger as it posts (distribution is never refused, so a
balance may go below zero; invariant 2). A lead resolves a discrepancy with a note saying
how; who resolved it and when are kept.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import Discrepancy
from tracker.models.base import utcnow
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
