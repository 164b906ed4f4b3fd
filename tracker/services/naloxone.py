"""Naloxone nasal spray handouts with the national programme's fields; anonymous by design."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from tracker.exports.person_tables import TOTAL, naloxone_table
from tracker.extensions import db
from tracker.models import (
    Discrepancy,
    Item,
    Lot,
    NaloxoneHandout,
    Site,
    StockBalance,
    StockMovement,
    User,
)
from tracker.models.base import utcnow
from tracker.models.distribution import RECIPIENT_GROUPS, REFILL_REASONS
from tracker.services import (
    audit,
    backdating,
    catalog,
    certifications,
    discrepancies,
    ledger,
    lots,
    period_locks,
    plausibility,
    reports,
    stock,
    stock_start,
    training,
)
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids
from tracker.services.unit import (
    Idempotency,
    commit,
    get_by_id,
    lock_by_id,
    replayed,
    service,
)

MAX_KITS = 50


def snapshot(handout: NaloxoneHandout) -> dict[str, object]:
    return {
        "site": handout.site.code,
        "date": handout.handed_out_on.isoformat(),
        "item": handout.item.code,
        "lots": {(lot.lot_number if lot else ""): q for lot, q in handout.lots},
        "quantity": handout.quantity,
        "recipient_group": handout.recipient_group,
        "first_time": handout.first_time,
        "refill_reason": handout.refill_reason,
        "training_given": handout.training_given,
        "handed_out_by": handout.handed_out_by_id,
    }


COURSE = "naloxone_course"


def _hander(actor: Actor, site: Site, user_id: int | None) -> User:
    """Who handed the kit over: the person entering, or one of the site's active staff."""
    if user_id is None or user_id == actor.user_id:
        return actor.user
    found = next((u for u in training.site_staff(site) if u.id == user_id), None)
    if found is None:
        raise ValidationError(
            _l("Den som delte ut må være ansatt ved %(site)s.", site=site.code),
            {"handed_out_by": [_l("Ikke ansatt ved stedet.")]},
            code="not-site-staff",
        )
    return found


def _flag_uncertified(handout: NaloxoneHandout, hander: User) -> Discrepancy | None:
    """A handout by someone without the naloxone course is kept (the kit is already handed
    out) and raised to the site lead as a discrepancy, like a negative balance."""
    if certifications.holds(hander.id, COURSE, handout.handed_out_on):
        return None
    flag = Discrepancy(
        site_id=handout.site_id,
        item_id=handout.item_id,
        lot_id=handout.lot_id,
        kind="uncertified_handout",
        quantity=handout.quantity,
        detected_on=handout.handed_out_on,
        naloxone_handout_id=handout.id,
    )
    db.session.add(flag)
    return flag


def default_item(site_id: int) -> Item:
    """The first naloxone item the site hands out."""
    items = catalog.site_items(site_id, category="naloxone")
    if not items:
        raise Conflict(_l("Stedet deler ikke ut noen nalokson fra varelisten."))
    return items[0]


def _check_programme_fields(
    recipient_group: str, first_time: bool, refill_reason: str | None
) -> None:
    if recipient_group not in RECIPIENT_GROUPS:
        raise ValidationError(_l("Ukjent mottakergruppe."), {"recipient_group": [_l("Ukjent.")]})
    if first_time and refill_reason:
        raise ValidationError(
            _l("En førstegangsutdeling har ingen påfyllsgrunn."),
            {"refill_reason": [_l("Bare for påfyll.")]},
        )
    if not first_time and refill_reason is None:
        raise ValidationError(
            _l("Et påfyll må ha en grunn (velg «ukjent» om den ikke er kjent)."),
            {"refill_reason": [_l("Må fylles ut for påfyll.")]},
        )
    if refill_reason is not None and refill_reason not in REFILL_REASONS:
        raise ValidationError(_l("Ukjent påfyllsgrunn."), {"refill_reason": [_l("Ukjent.")]})


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_KITS:
        raise ValidationError(
            _l("Antall sett må være fra 1 til %(max)s.", max=MAX_KITS),
            {"quantity": [_l("Utenfor tillatt område.")]},
        )


def _named_lot(product: Item, lot: str | None, on: date) -> Lot | None:
    """The lot the person named (printed on the box), refused if unknown or expired."""
    if not lot:
        return None
    chosen = catalog.find_lot(product, lot)
    if chosen is None:
        raise ValidationError(
            _l("Det finnes ikke noe parti %(lot)s av %(item)s.", lot=lot, item=product.code),
            {"lot": [_l("Ukjent parti.")]},
        )
    stock.check_lot_usable(product, chosen, on)
    return chosen


def _moves(
    handout: NaloxoneHandout, old: lots.Taken, new: lots.Taken, reason: str | None = None
) -> list[ledger.Move]:
    """Movements taking the handout from `old` to `new` per (lot, day): distribution for a
    new handout, corrections referencing its first movement of that lot for a change."""
    originals: dict[int | None, int] = {}
    for movement in handout.movements if old else []:
        originals.setdefault(movement.lot_id, movement.id)
    moves = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[1], k[0] or 0)):
        lot_id, day = key
        more = new.get(key, 0) - old.get(key, 0)
        if not more:
            continue
        refs: dict[str, object] = {"naloxone_handout_id": handout.id}
        if old:
            refs["corrects_id"] = originals.get(lot_id) or next(iter(originals.values()), None)
        kind = "correction" if old else "distribution"
        moves.append(
            ledger.Move(
                handout.site_id,
                handout.item_id,
                lot_id,
                kind,
                -more,
                day,
                reason,
                refs,
                # each side moves stock as its date lies (invariant 9), as tallies do
                stock=not stock_start.is_before(handout.site, day),
            )
        )
    return moves


def _post(
    actor: Actor,
    handout: NaloxoneHandout,
    old: lots.Taken,
    new: lots.Taken,
    foreign: list[Lot],
    reason: str | None = None,
    leaving: list[ledger.Move] | None = None,
) -> None:
    """Post the movements, flag lots the site never held, and reload what the handout took."""
    ledger.post(actor, (leaving or []) + _moves(handout, old, new, reason))
    for lot in foreign if not handout.before_stock_start else []:
        taken = sum(q for (lot_id, _), q in new.items() if lot_id == lot.id)
        discrepancies.flag_foreign_lot(handout.site_id, handout.item_id, lot.id, taken, today())
    db.session.flush()
    db.session.refresh(handout, ["movements"])


def _first_lot(allocation: lots.Allocation) -> Lot | None:
    return allocation.lots[0][0] if allocation.lots else None


@service
def hand_out(
    actor: Actor,
    *,
    site_code: str,
    handed_out_on: date,
    quantity: int,
    recipient_group: str,
    first_time: bool,
    training_given: bool,
    refill_reason: str | None = None,
    lot: str | None = None,
    item: str | None = None,
    handed_out_by: int | None = None,
    made_at: datetime | None = None,
    idem: Idempotency | None = None,
    unusual_confirmed: bool = True,
) -> NaloxoneHandout:
    """Record a handout and its distribution movements; never refused for stock on hand,
    nor for a hander without the naloxone course (that is flagged to the lead).

    Without a named lot the kits are taken first expiry, first out, split over as many lots
    as it takes (services/lots.py). An unusually high quantity (services.plausibility) is
    refused unless `unusual_confirmed` (the form asks once; the API takes it as given); a
    saved one is flagged for the lead.
    """
    site = require_site(actor, get_site(site_code))
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_entry_date(handed_out_on)
    backdating.check(actor, site, [handed_out_on], made_at)
    period_locks.ensure_open([site.id], [handed_out_on])
    _check_quantity(quantity)
    _check_programme_fields(recipient_group, first_time, refill_reason)
    product = catalog.get_item(item) if item else default_item(site.id)
    if product.category != "naloxone":
        raise ValidationError(
            _l("%(item)s er ikke nalokson.", item=product.code),
            {"item": [_l("Ikke nalokson.")]},
        )
    if product.id in catalog.off_item_ids(site.id):
        raise ValidationError(
            _l("Stedet deler ikke ut %(item)s (slått av i stedets varer).", item=product.code),
            {"item": [_l("Stedet deler ikke ut denne varen.")]},
            code="item-off-at-site",
        )
    named = _named_lot(product, lot, handed_out_on)
    hander = _hander(actor, site, handed_out_by)
    unusual = plausibility.find_unusual(
        site.id, handed_out_on, [(product, quantity)], plausibility.NALOXONE_FLOOR
    )
    if not unusual_confirmed:
        plausibility.refuse_unconfirmed(unusual, {product.id: "quantity"})
    allocation = lots.allocate(site.id, product, handed_out_on, quantity, lot=named)
    handout = NaloxoneHandout(
        site=site,
        handed_out_on=handed_out_on,
        item=product,
        lot=_first_lot(allocation),
        quantity=quantity,
        recipient_group=recipient_group,
        first_time=first_time,
        refill_reason=refill_reason,
        training_given=training_given,
        created_by_id=actor.user_id,
        handed_out_by_id=hander.id,
        before_stock_start=stock_start.is_before(site, handed_out_on),
    )
    db.session.add(handout)
    db.session.flush()
    _flag_uncertified(handout, hander)
    _post(actor, handout, {}, allocation.taken(handed_out_on), allocation.foreign)
    audit.record(
        actor, "naloxone_handout", handout.id, "create", site_id=site.id, after=snapshot(handout)
    )
    plausibility.flag(unusual, site.id)
    commit(idem, handout)
    return handout


def get_handout(actor: Actor, handout_id: int) -> NaloxoneHandout:
    handout = get_by_id(NaloxoneHandout, handout_id)
    if handout is None or not can(actor, handout.site):
        raise NotFound(_l("Det finnes ingen naloksonutdeling med id %(id)s.", id=handout_id))
    return handout


def _lock_handout(
    actor: Actor, handout_id: int, expected: Collection[int] | None, idem: Idempotency | None
) -> NaloxoneHandout:
    """The handout, locked and read fresh, for a change (invariant 8; as tallies._lock_tally).

    A racing change waits here for the other's commit and starts from its result; `expected`
    holds the versions the client's If-Match accepts (None: last writer wins).
    """
    handout = lock_by_id(NaloxoneHandout, handout_id)
    if handout is None or not can(actor, handout.site):
        raise NotFound(_l("Det finnes ingen naloksonutdeling med id %(id)s.", id=handout_id))
    require_site(actor, handout.site)
    replayed(idem)
    if handout.deleted_at is not None:
        raise Conflict(
            _l("Naloksonutdeling %(id)s er allerede slettet.", id=handout.id),
            {"id": [_l("Allerede slettet.")]},
        )
    if expected is not None and handout.version not in expected:
        raise PreconditionFailed(
            _l(
                "Naloksonutdeling %(id)s er endret av noen andre (den er nå i versjon "
                "%(version)s); hent den på nytt og send endringen igjen.",
                id=handout.id,
                version=handout.version,
            ),
            {"If-Match": [_l('Gjeldende versjon er "%(version)s".', version=handout.version)]},
        )
    db.session.refresh(handout, ["movements"])
    return handout


def _taken(handout: NaloxoneHandout) -> lots.Taken:
    """What the handout holds of each lot per day now, from its movements (a history
    handout, dated before the stock start, holds none: its row says what it counts)."""
    if handout.before_stock_start:
        return {(handout.lot_id, handout.handed_out_on): handout.quantity}
    taken: dict[tuple[int | None, date], int] = {}
    for m in handout.movements:
        taken[(m.lot_id, m.occurred_on)] = taken.get((m.lot_id, m.occurred_on), 0) - m.quantity
    return {key: q for key, q in taken.items() if q}


@service
def update_handout(
    actor: Actor,
    handout_id: int,
    *,
    changes: dict[str, Any],
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
) -> NaloxoneHandout:
    """Change a handout; the ledger gets per-lot corrections for the difference."""
    handout = _lock_handout(actor, handout_id, expected, idem)
    before = snapshot(handout)
    old = _taken(handout)
    day = check_entry_date(changes.get("date", handout.handed_out_on))
    backdating.check(actor, handout.site, [handout.handed_out_on, day])
    period_locks.ensure_open([handout.site_id], [handout.handed_out_on, day])
    quantity = changes.get("quantity", handout.quantity)
    _check_quantity(quantity)
    group = changes.get("recipient_group", handout.recipient_group)
    first_time = changes.get("first_time", handout.first_time)
    refill_reason = changes.get("refill_reason", handout.refill_reason)
    if first_time and "refill_reason" not in changes:
        refill_reason = None  # turned into a first handout: the old refill reason goes
    _check_programme_fields(group, first_time, refill_reason)
    named = _named_lot(handout.item, changes.get("lot"), day)
    was, now = (handout.handed_out_on, handout.quantity), (day, quantity)
    if named is not None or was != now:
        new, foreign = lots.rebook(handout.site_id, handout.item, old, was, now, named)
    else:
        new, foreign = old, []
    handout.handed_out_on, handout.quantity = day, quantity
    handout.recipient_group, handout.first_time = group, first_time
    handout.refill_reason = refill_reason
    handout.training_given = changes.get("training_given", handout.training_given)
    handout.lot_id = lots.first_lot(new)
    handout.updated_by_id, handout.updated_at = actor.user_id, utcnow()
    handout.version += 1  # the row is locked: no other change can bump it meanwhile
    was_history = handout.before_stock_start
    handout.before_stock_start = stock_start.is_before(handout.site, day)
    db.session.flush()
    leaving = (
        stock_start.bring_in(handout.site_id, handout_ids=[handout.id])
        if was_history and not handout.before_stock_start
        else []
    )
    reason = f"Naloxone handout {handout.id} changed"
    _post(actor, handout, old, new, foreign, reason, leaving)
    db.session.refresh(handout, ["lot"])
    audit.record(
        actor,
        "naloxone_handout",
        handout.id,
        "update",
        site_id=handout.site_id,
        before=before,
        after=snapshot(handout),
    )
    commit(idem, handout)
    return handout


@service
def delete_handout(
    actor: Actor,
    handout_id: int,
    *,
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
) -> NaloxoneHandout:
    """Mark a handout deleted and give its kits back to each lot they came from, once."""
    handout = _lock_handout(actor, handout_id, expected, idem)
    backdating.check(actor, handout.site, [handout.handed_out_on])
    period_locks.ensure_open([handout.site_id], [handout.handed_out_on])
    before = snapshot(handout)
    _post(actor, handout, _taken(handout), {}, [], f"Naloxone handout {handout.id} deleted")
    handout.deleted_by_id, handout.deleted_at = actor.user_id, utcnow()
    handout.version += 1
    audit.record(
        actor, "naloxone_handout", handout.id, "delete", site_id=handout.site_id, before=before
    )
    commit(idem, handout)
    return handout


def handouts_query(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[NaloxoneHandout]]:
    """Handouts the actor may see, newest first, deleted ones left out, with their lots."""
    query = (
        select(NaloxoneHandout)
        .where(NaloxoneHandout.deleted_at.is_(None))
        .order_by(NaloxoneHandout.handed_out_on.desc(), NaloxoneHandout.id.desc())
        .options(selectinload(NaloxoneHandout.movements).joinedload(StockMovement.lot))
    )
    if site:
        query = query.where(NaloxoneHandout.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(NaloxoneHandout.site_id.in_(visible_site_ids(actor)))
    if date_from:
        query = query.where(NaloxoneHandout.handed_out_on >= date_from)
    if date_to:
        query = query.where(NaloxoneHandout.handed_out_on <= date_to)
    return query


# --- What the web handout form reads -----------------------------------------------------------


@dataclass
class HandoutScreen:
    """The handout form's data: the site, its unexpired lots (soonest expiry first), today's."""

    site: Site
    day: date
    item: Item | None
    lots: list[tuple[Lot, int | None]]
    handouts: list[NaloxoneHandout]
    receipt: NaloxoneHandout | None = None
    staff: list[User] = field(default_factory=list)  # who can be named as handing out
    course: certifications.SiteCertifications | None = None  # the naloxone course standing


def site_lots(site_id: int, item: Item, on: date) -> list[tuple[Lot, int | None]]:
    """The item's unexpired lots for the form's picker: those with stock here first (soonest
    expiry first, with on hand), then the others, so a handout can still name the lot printed
    on the box: on hand 0 for a lot held here before, None for one never held here (booking
    it is flagged; the form never picks it by default: automatic FEFO is the default).
    """
    unexpired = (Lot.expiry.is_(None)) | (Lot.expiry >= on)
    rows = db.session.execute(
        select(StockBalance.lot_id, StockBalance.quantity).where(
            StockBalance.site_id == site_id, StockBalance.item_id == item.id
        )
    ).tuples()
    held: dict[int | None, int] = {lot_id: quantity for lot_id, quantity in rows}
    lots = db.session.scalars(
        select(Lot)
        .where(Lot.item_id == item.id, unexpired)
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    ).all()
    with_stock = [(lot, held[lot.id]) for lot in lots if held.get(lot.id, 0) > 0]
    rest = [(lot, held.get(lot.id)) for lot in lots if held.get(lot.id, 0) <= 0]
    return with_stock + rest


def handout_screen(
    actor: Actor, site_code: str, day: date, receipt_id: int | None = None
) -> HandoutScreen:
    site = require_site(actor, get_site(site_code))
    try:
        item: Item | None = default_item(site.id)
    except Conflict:
        item = None
    receipt = get_by_id(NaloxoneHandout, receipt_id) if receipt_id else None
    if receipt is not None and receipt.site_id != site.id:
        receipt = None
    handouts = list(
        db.session.scalars(handouts_query(actor, site=site.code, date_from=day, date_to=day))
    )
    return HandoutScreen(
        site=site,
        day=day,
        item=item,
        lots=site_lots(site.id, item, day) if item else [],
        handouts=handouts,
        receipt=receipt,
        staff=training.site_staff(site),
        course=certifications.certification_status([site.id], day, COURSE)[0],
    )


def edit_screen(
    actor: Actor, site_code: str, handout_id: int
) -> tuple[NaloxoneHandout, HandoutScreen]:
    """A handout to change, with the form data of its site and day."""
    handout = get_handout(actor, handout_id)
    if handout.site.code != site_code:
        raise NotFound(_l("Det finnes ingen naloksonutdeling med id %(id)s.", id=handout_id))
    return handout, handout_screen(actor, site_code, handout.handed_out_on)


def suppression_threshold() -> int:
    """Person-level figures from 1 to this minus 1 are hidden in external outputs."""
    return int(current_app.config.get("SUPPRESSION_THRESHOLD", 5))


def naloxone_figures(scope: reports.Scope) -> dict[int, dict[str, int]]:
    """Kits per site by recipient group, first vs refill, and refill reason, and the number
    of handouts with training given (one query)."""
    h = NaloxoneHandout
    rows = db.session.execute(
        select(
            h.site_id,
            h.recipient_group,
            h.first_time,
            h.refill_reason,
            h.training_given,
            func.sum(h.quantity),
            func.count(h.id),
        )
        .where(
            h.site_id.in_(scope.site_ids),
            h.deleted_at.is_(None),
            h.handed_out_on >= scope.start,
            h.handed_out_on <= scope.end,
        )
        .group_by(h.site_id, h.recipient_group, h.first_time, h.refill_reason, h.training_given)
    )
    result: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, group, first, reason, trained, kits, handouts in rows:
        figures = result[site_id]
        figures["kits"] += int(kits)
        figures[f"group.{group}"] += int(kits)
        figures["first" if first else "refill"] += int(kits)
        if not first:
            figures[f"reason.{reason or 'unknown'}"] += int(kits)
        if trained:
            figures["training_given"] += int(handouts)
    return {site: dict(f) for site, f in result.items()}


def naloxone_report(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    external: bool = False,
) -> dict[str, Any]:
    """GET /reports/naloxone: the workbook's naloxone table per site and in total; with
    `external` its small figures are protected exactly as in the external workbook."""
    scope = reports.resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=sites, municipality=municipality
    )
    threshold = suppression_threshold()
    shown = naloxone_table(naloxone_figures(scope), scope.site_ids, external, threshold)
    return {
        "date_from": scope.start,
        "date_to": scope.end,
        "external": external,
        "threshold": threshold if external else None,
        "sites": [
            {
                "site": s.code,
                "name": s.name,
                "municipality": s.municipality_number,
                "figures": shown[s.id],
            }
            for s in scope.sites
        ],
        "totals": shown[TOTAL],
    }
