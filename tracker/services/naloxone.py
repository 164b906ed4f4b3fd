"""Naloxone nasal spray handouts with the national programme's fields; anonymous by design."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from tracker.dates import check_entry_date
from tracker.errors import Conflict, ValidationError
from tracker.exports.person_tables import TOTAL, naloxone_table
from tracker.extensions import db
from tracker.models import Discrepancy, Item, Lot, NaloxoneHandout, Site, StockBalance, User
from tracker.models.distribution import RECIPIENT_GROUPS, REFILL_REASONS
from tracker.services import (
    audit,
    backdating,
    catalog,
    certifications,
    ledger,
    period_locks,
    plausibility,
    reports,
    stock,
    stock_start,
    training,
)
from tracker.services.access import Actor, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, get_by_id, service

MAX_KITS = 50


def snapshot(handout: NaloxoneHandout) -> dict[str, object]:
    return {
        "site": handout.site.code,
        "date": handout.handed_out_on.isoformat(),
        "item": handout.item.code,
        "lot": handout.lot.lot_number if handout.lot else None,
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
    """Record a handout and its distribution movement; never refused for stock on hand,
    nor for a hander without the naloxone course (that is flagged to the lead).

    An unusually high quantity (services.plausibility) is refused unless `unusual_confirmed`
    (the form asks once; the API takes it as given); a saved one is flagged for the lead.
    """
    site = require_site(actor, get_site(site_code))
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_entry_date(handed_out_on)
    backdating.check(actor, site, [handed_out_on], made_at)
    period_locks.ensure_open([site.id], [handed_out_on])
    if not 1 <= quantity <= MAX_KITS:
        raise ValidationError(
            _l("Antall sett må være fra 1 til %(max)s.", max=MAX_KITS),
            {"quantity": [_l("Utenfor tillatt område.")]},
        )
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
    if lot:
        chosen = catalog.find_lot(product, lot)
        if chosen is None:
            raise ValidationError(
                _l("Det finnes ikke noe parti %(lot)s av %(item)s.", lot=lot, item=product.code),
                {"lot": [_l("Ukjent parti.")]},
            )
    else:
        chosen = stock.pick_lot(site.id, product, handed_out_on)
    stock.check_lot_usable(product, chosen, handed_out_on)
    hander = _hander(actor, site, handed_out_by)
    unusual = plausibility.find_unusual(
        site.id, handed_out_on, [(product, quantity)], plausibility.NALOXONE_FLOOR
    )
    if not unusual_confirmed:
        plausibility.refuse_unconfirmed(unusual, {product.id: "quantity"})
    handout = NaloxoneHandout(
        site=site,
        handed_out_on=handed_out_on,
        item=product,
        lot=chosen,
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
    ledger.post(
        actor,
        [
            ledger.Move(
                site.id,
                product.id,
                chosen.id if chosen else None,
                "distribution",
                -quantity,
                handed_out_on,
                refs={"naloxone_handout_id": handout.id},
                stock=not handout.before_stock_start,
            )
        ],
    )
    audit.record(
        actor, "naloxone_handout", handout.id, "create", site_id=site.id, after=snapshot(handout)
    )
    plausibility.flag(unusual, site.id)
    commit(idem, handout)
    return handout


def handouts_query(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[NaloxoneHandout]]:
    query = select(NaloxoneHandout).order_by(
        NaloxoneHandout.handed_out_on.desc(), NaloxoneHandout.id.desc()
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
    lots: list[tuple[Lot, int]]
    handouts: list[NaloxoneHandout]
    receipt: NaloxoneHandout | None = None
    staff: list[User] = field(default_factory=list)  # who can be named as handing out
    course: certifications.SiteCertifications | None = None  # the naloxone course standing


def site_lots(site_id: int, item: Item, on: date) -> list[tuple[Lot, int]]:
    """The item's unexpired lots the site holds, with on hand, soonest expiry first.

    When the site holds none, every unexpired lot of the item (on hand 0), so a handout can
    still name the lot printed on the box.
    """
    unexpired = (Lot.expiry.is_(None)) | (Lot.expiry >= on)
    held = db.session.execute(
        select(Lot, StockBalance.quantity)
        .join(StockBalance, StockBalance.lot_id == Lot.id)
        .where(
            Lot.item_id == item.id,
            unexpired,
            StockBalance.site_id == site_id,
            StockBalance.quantity > 0,
        )
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    ).all()
    if held:
        return [(lot, quantity) for lot, quantity in held]
    others = db.session.scalars(
        select(Lot)
        .where(Lot.item_id == item.id, unexpired)
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    )
    return [(lot, 0) for lot in others]


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
