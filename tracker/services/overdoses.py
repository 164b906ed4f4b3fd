"""Overdoses staff attended; naloxone they gave moves stock as `used_on_site`, not distribution.

An event is anonymous (no person). Editing and deleting work like tallies: the row is
locked and read fresh (invariant 8), its version checked against If-Match, and the ledger
gets corrections that reference the event, computed from the committed state.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from tracker.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from tracker.extensions import db
from tracker.models import Item, Lot, OverdoseEvent, Site, StockMovement
from tracker.models.base import utcnow
from tracker.models.events import OVERDOSE_OUTCOMES, OVERDOSE_PLACES
from tracker.privacy import check_free_text
from tracker.services import audit, catalog, day_counts, ledger, naloxone, stock, stock_start
from tracker.services.access import Actor, get_site, require_site, visible_site_ids
from tracker.services.unit import (
    Idempotency,
    commit,
    get_by_id,
    lock_by_id,
    replayed,
    service,
)

MAX_DOSES = 20
USED = "used_on_site"
FIELDS = ("place", "naloxone_doses", "oxygen_given", "cpr_given", "ambulance_called", "outcome")


def snapshot(event: OverdoseEvent) -> dict[str, Any]:
    return {
        "site": event.site.code,
        "date": event.event_date.isoformat(),
        "place": event.place,
        "naloxone_doses": event.naloxone_doses,
        "item": event.item.code if event.item else None,
        "lot": event.lot.lot_number if event.lot else None,
        "oxygen_given": event.oxygen_given,
        "cpr_given": event.cpr_given,
        "ambulance_called": event.ambulance_called,
        "outcome": event.outcome,
        "note": event.note,
    }


def _check_fields(values: dict[str, Any]) -> None:
    if values["place"] not in OVERDOSE_PLACES:
        raise ValidationError(_l("Ukjent sted for overdosen."), {"place": [_l("Ukjent.")]})
    if values["outcome"] not in OVERDOSE_OUTCOMES:
        raise ValidationError(_l("Ukjent utfall."), {"outcome": [_l("Ukjent.")]})
    doses = values["naloxone_doses"]
    if isinstance(doses, bool) or not isinstance(doses, int) or not 0 <= doses <= MAX_DOSES:
        raise ValidationError(
            _l("Antall doser nalokson må være fra 0 til %(max)s.", max=MAX_DOSES),
            {"naloxone_doses": [_l("Utenfor tillatt område.")]},
        )
    check_free_text("note", values.get("note"))


def _naloxone(
    site: Site, day: date, doses: int, item_code: str | None, lot_number: str | None
) -> tuple[Item | None, Lot | None]:
    """The naloxone item and lot the doses came from (FEFO unless a lot is named).

    An expired lot is accepted: in an emergency staff use what they have, and what was
    used is recorded, never refused (as invariant 2 for distribution).
    """
    if doses == 0:
        if item_code or lot_number:
            raise ValidationError(
                _l("Parti og vare gjelder bare når det er gitt nalokson."),
                {"lot": [_l("Ingen doser gitt.")]},
            )
        return None, None
    product = catalog.get_item(item_code) if item_code else naloxone.default_item(site.id)
    if product.category != "naloxone":
        raise ValidationError(
            _l("%(item)s er ikke nalokson.", item=product.code), {"item": [_l("Ikke nalokson.")]}
        )
    if product.id in catalog.off_item_ids(site.id):
        raise ValidationError(
            _l("Stedet deler ikke ut %(item)s (slått av i stedets varer).", item=product.code),
            {"item": [_l("Stedet deler ikke ut denne varen.")]},
            code="item-off-at-site",
        )
    if not lot_number:
        return product, stock.pick_lot(site.id, product, day)
    chosen = catalog.find_lot(product, lot_number)
    if chosen is None:
        raise ValidationError(
            _l("Det finnes ikke noe parti %(lot)s av %(item)s.", lot=lot_number, item=product.code),
            {"lot": [_l("Ukjent parti.")]},
        )
    return product, chosen


def _moves(event: OverdoseEvent, sign: int, kind: str, reason: str | None) -> list[ledger.Move]:
    """The event's use of stock (or its reversal); none for history before the stock start."""
    if not event.naloxone_doses or event.item_id is None or event.before_stock_start:
        return []
    return [
        ledger.Move(
            event.site_id,
            event.item_id,
            event.lot_id,
            kind,
            sign * event.naloxone_doses,
            event.event_date,
            reason,
            refs={"overdose_event_id": event.id, **_corrects(event, kind)},
        )
    ]


def _corrects(event: OverdoseEvent, kind: str) -> dict[str, Any]:
    if kind != "correction":
        return {}
    first = db.session.scalar(
        select(StockMovement.id)
        .where(StockMovement.overdose_event_id == event.id, StockMovement.kind == USED)
        .order_by(StockMovement.id)
        .limit(1)
    )
    return {"corrects_id": first}


@service
def record(
    actor: Actor,
    *,
    site_code: str,
    event_date: date,
    place: str,
    outcome: str,
    naloxone_doses: int = 0,
    oxygen_given: bool = False,
    cpr_given: bool = False,
    ambulance_called: bool = False,
    item: str | None = None,
    lot: str | None = None,
    note: str | None = None,
    made_at: datetime | None = None,
    idem: Idempotency | None = None,
) -> OverdoseEvent:
    """Record an attended overdose; doses given move stock out as `used_on_site`."""
    site = require_site(actor, get_site(site_code))
    day_counts.check_day(actor, site, event_date, made_at=made_at)
    values = {"place": place, "outcome": outcome, "naloxone_doses": naloxone_doses, "note": note}
    _check_fields(values)
    product, chosen = _naloxone(site, event_date, naloxone_doses, item, lot)
    event = OverdoseEvent(
        site=site,
        event_date=event_date,
        place=place,
        naloxone_doses=naloxone_doses,
        item=product,
        lot=chosen,
        oxygen_given=oxygen_given,
        cpr_given=cpr_given,
        ambulance_called=ambulance_called,
        outcome=outcome,
        note=note or None,
        created_by_id=actor.user_id,
        before_stock_start=stock_start.is_before(site, event_date),
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        actor, "overdose_event", event.id, "create", site_id=site.id, after=snapshot(event)
    )
    ledger.post(actor, _moves(event, -1, USED, None))
    commit(idem, event)
    return event


def get_event(actor: Actor, event_id: int) -> OverdoseEvent:
    event = get_by_id(OverdoseEvent, event_id)
    if event is None:
        raise NotFound(_l("Det finnes ingen overdose med id %(id)s.", id=event_id))
    require_site(actor, event.site)
    return event


def _lock(
    actor: Actor, event_id: int, expected: Collection[int] | None, idem: Idempotency | None
) -> OverdoseEvent:
    """The event locked and read fresh, for a change (invariant 8); If-Match checked."""
    event = lock_by_id(OverdoseEvent, event_id)
    if event is None:
        raise NotFound(_l("Det finnes ingen overdose med id %(id)s.", id=event_id))
    require_site(actor, event.site)
    replayed(idem)
    if event.deleted_at is not None:
        raise Conflict(
            _l("Overdose %(id)s er allerede slettet.", id=event.id),
            {"id": [_l("Allerede slettet.")]},
        )
    if expected is not None and event.version not in expected:
        raise PreconditionFailed(
            _l(
                "Overdose %(id)s er endret av noen andre (den er nå i versjon %(version)s); "
                "hent den på nytt og send endringen igjen.",
                id=event.id,
                version=event.version,
            ),
            {"If-Match": [_l('Gjeldende versjon er "%(version)s".', version=event.version)]},
        )
    return event


@service
def update(
    actor: Actor,
    event_id: int,
    *,
    changes: dict[str, Any],
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
) -> OverdoseEvent:
    """Change an event; a change of doses, lot or date reverses the old use and writes the new."""
    event = _lock(actor, event_id, expected, idem)
    before = snapshot(event)
    site = event.site
    day_counts.check_date(actor, site, event.event_date)
    new_date = changes.get("date", event.event_date)
    if new_date != event.event_date:
        day_counts.check_date(actor, site, new_date)
    values = {name: changes.get(name, getattr(event, name)) for name in FIELDS}
    values["note"] = changes.get("note", event.note)
    _check_fields(values)
    doses = values["naloxone_doses"]
    stock_changes = "naloxone_doses" in changes or "lot" in changes or "item" in changes
    if doses and stock_changes:
        item_code = changes.get("item") or (event.item.code if event.item else None)
        lot_number = changes.get("lot") if "lot" in changes else None
        if "lot" not in changes and event.lot is not None and "item" not in changes:
            lot_number = event.lot.lot_number
        product, chosen = _naloxone(site, new_date, doses, item_code, lot_number)
    elif doses:
        product, chosen = event.item, event.lot
    else:
        product, chosen = _naloxone(site, new_date, 0, changes.get("item"), changes.get("lot"))
    reverse = _moves(event, +1, "correction", f"Overdose {event.id} changed")
    was_history = event.before_stock_start
    for name in FIELDS:
        setattr(event, name, values[name])
    event.note = values["note"] or None
    event.event_date, event.item, event.lot = new_date, product, chosen
    event.before_stock_start = stock_start.is_before(site, new_date)
    event.updated_by_id, event.updated_at = actor.user_id, utcnow()
    event.version += 1
    db.session.flush()
    after = _moves(event, -1, "correction", f"Overdose {event.id} changed")
    if was_history and not event.before_stock_start:  # out of the history, into stock
        after = stock_start.bring_in(site.id, overdose_ids=[event.id]) + after
    if before != snapshot(event):
        audit.record(
            actor,
            "overdose_event",
            event.id,
            "update",
            site_id=site.id,
            before=before,
            after=snapshot(event),
        )
    ledger.post(actor, _net(reverse + after))
    commit(idem, event)
    return event


def _net(moves: list[ledger.Move]) -> list[ledger.Move]:
    """A reversal and its re-use on the same day, item and lot cancel out: no rows for them."""
    totals: dict[tuple[int, int | None, date], int] = {}
    first: dict[tuple[int, int | None, date], ledger.Move] = {}
    for move in moves:
        key = (move.item_id, move.lot_id, move.occurred_on)
        totals[key] = totals.get(key, 0) + move.quantity
        first.setdefault(key, move)
    return [
        ledger.Move(
            m.site_id, m.item_id, m.lot_id, m.kind, totals[k], m.occurred_on, m.reason, m.refs
        )
        for k, m in first.items()
        if totals[k]
    ]


@service
def delete(
    actor: Actor,
    event_id: int,
    *,
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
) -> OverdoseEvent:
    """Mark an event deleted and give its doses back to stock with a correction, once."""
    event = _lock(actor, event_id, expected, idem)
    day_counts.check_date(actor, event.site, event.event_date)
    before = snapshot(event)
    ledger.post(actor, _moves(event, +1, "correction", f"Overdose {event.id} deleted"))
    event.deleted_by_id, event.deleted_at = actor.user_id, utcnow()
    event.version += 1
    audit.record(actor, "overdose_event", event.id, "delete", site_id=event.site_id, before=before)
    commit(idem, event)
    return event


def events_query(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_deleted: bool = False,
) -> Select[tuple[OverdoseEvent]]:
    query = select(OverdoseEvent).order_by(OverdoseEvent.event_date.desc(), OverdoseEvent.id.desc())
    if site:
        query = query.where(OverdoseEvent.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(OverdoseEvent.site_id.in_(visible_site_ids(actor)))
    if date_from:
        query = query.where(OverdoseEvent.event_date >= date_from)
    if date_to:
        query = query.where(OverdoseEvent.event_date <= date_to)
    if not include_deleted:
        query = query.where(OverdoseEvent.deleted_at.is_(None))
    return query


@dataclass
class EventScreen:
    """The phone page's data: the site, its naloxone lots and the recent events."""

    site: Site
    day: date
    lots: list[tuple[Lot, int | None]]
    events: list[OverdoseEvent]


def screen(actor: Actor, site_code: str, day: date, date_from: date) -> EventScreen:
    site = require_site(actor, get_site(site_code))
    try:
        item: Item | None = naloxone.default_item(site.id)
    except Conflict:
        item = None
    events = list(
        db.session.scalars(events_query(actor, site=site.code, date_from=date_from).limit(100))
    )
    lots = naloxone.site_lots(site.id, item, day) if item else []
    return EventScreen(site=site, day=day, lots=lots, events=events)
