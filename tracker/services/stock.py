"""Stock at a site: receipts (mottak), lot choice (FEFO), on hand and days of stock left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.dates import check_entry_date, today
from tracker.errors import (
    Conflict,
    Forbidden,
    LotExpiredOnReceipt,
    LotLooksLikeNationalId,
    ValidationError,
)
from tracker.extensions import db
from tracker.models import (
    DistributionDaily,
    Item,
    KitContent,
    Lot,
    Receipt,
    Site,
    StockBalance,
    StockMovement,
)
from tracker.privacy import check_free_text, contains_national_id
from tracker.services import (
    audit,
    backdating,
    catalog,
    deliveries,
    ledger,
    period_locks,
    stock_start,
    unmet_demand,
)
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, insert_on_conflict, service

USAGE_DAYS = 28


def check_lines_unique(lines: list[dict[str, Any]], key: str = "item") -> None:
    seen: set[Any] = set()
    for index, line in enumerate(lines):
        ident = (line[key], line.get("lot"))
        if ident in seen:
            raise ValidationError(
                _l("Varen %(item)s står to ganger; før den én gang med summen.", item=line[key]),
                {"lines": {str(index): {key: [_l("Varen står to ganger.")]}}},
                code="duplicate-item",
            )
        seen.add(ident)


def resolve_lot(item: Item, lot_number: str | None, expiry: date | None, index: int) -> Lot | None:
    """The lot a line names, created on first sight with its expiry."""
    return _resolve_lot(item, lot_number, expiry, index)[0]


def _resolve_lot(
    item: Item,
    lot_number: str | None,
    expiry: date | None,
    index: int,
    *,
    confirmed: bool = False,
) -> tuple[Lot | None, bool]:
    """The lot, and whether it is new with a number that a site lead confirmed as printed.

    A lot number is an identifier, not free text: a known lot is used as it is. A new one
    that validates as a national ID number is refused with LotLooksLikeNationalId unless
    `confirmed` (a site lead has checked the box).
    """
    where: dict[str, dict[str, dict[str, list[str]]]] = {"lines": {str(index): {}}}
    if not item.tracks_lots:
        if lot_number or expiry:
            where["lines"][str(index)]["lot"] = [_l("Varen føres ikke med parti.")]
            raise ValidationError(
                _l("Varen %(item)s føres ikke med parti.", item=item.code), where, code="no-lots"
            )
        return None, False
    if not lot_number:
        where["lines"][str(index)]["lot"] = [_l("Må fylles ut for denne varen.")]
        raise ValidationError(
            _l("Varen %(item)s må ha partinummer.", item=item.code), where, code="lot-required"
        )
    lot = catalog.find_lot(item, lot_number)
    if lot is None:
        if expiry is None:
            where["lines"][str(index)]["expiry"] = [_l("Må fylles ut for et nytt parti.")]
            raise ValidationError(
                _l("Det nye partiet %(lot)s må ha utløpsdato.", lot=lot_number),
                where,
                code="expiry-required",
            )
        questioned = contains_national_id(lot_number)
        if questioned and not confirmed:
            where["lines"][str(index)]["lot"] = [_l("Ser ut som et fødselsnummer.")]
            raise LotLooksLikeNationalId(
                _l(
                    "Det nye partinummeret til %(item)s (linje %(line)s) ser ut som et "
                    "fødselsnummer (eller D- eller H-nummer). Står det på esken, sender en "
                    "stedsleder mottaket på nytt med confirm_lot_number: true.",
                    item=item.code,
                    line=index + 1,
                ),
                {**where, "confirm_lot_number": [_l("Må fylles ut for dette partinummeret.")]},
            )
        # Two receipts naming the same new lot at once: one inserts, the other finds it.
        db.session.execute(
            insert_on_conflict(Lot)
            .values(item_id=item.id, lot_number=lot_number, expiry=expiry)
            .on_conflict_do_nothing()
        )
        lot = catalog.find_lot(item, lot_number)
        assert lot is not None
    else:
        questioned = False
    if expiry is not None and lot.expiry != expiry:
        where["lines"][str(index)]["expiry"] = [_l("Avviker fra partiets kjente utløpsdato.")]
        raise ValidationError(
            _l(
                "Partiet %(lot)s er kjent med utløpsdato %(known)s, ikke %(given)s.",
                lot=lot_number,
                known=lot.expiry,
                given=expiry,
            ),
            where,
        )
    return lot, questioned


def pick_lot(site_id: int, item: Item, on: date) -> Lot | None:
    """First expiry, first out: the unexpired lot with stock at the site that expires soonest.

    When no unexpired lot has stock, the soonest-expiring unexpired lot of the item; None if
    the item has no unexpired lot at all.
    """
    if not item.tracks_lots:
        return None
    unexpired = select(Lot).where(
        Lot.item_id == item.id, (Lot.expiry.is_(None)) | (Lot.expiry >= on)
    )
    with_stock = (
        unexpired.join(StockBalance, StockBalance.lot_id == Lot.id)
        .where(StockBalance.site_id == site_id, StockBalance.quantity > 0)
        .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    )
    lot = db.session.scalars(with_stock.limit(1)).first()
    if lot is None:
        lot = db.session.scalars(
            unexpired.order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id).limit(1)
        ).first()
    return lot


def check_lot_usable(item: Item, lot: Lot | None, on: date) -> None:
    """Expired lots cannot be handed out (409); they can still be discarded."""
    if lot is not None and lot.expiry is not None and lot.expiry < on:
        raise Conflict(
            _l(
                "Partiet %(lot)s av %(item)s gikk ut på dato %(expiry)s og kan ikke deles ut; "
                "kasser det i stedet.",
                lot=lot.lot_number,
                item=item.code,
                expiry=lot.expiry.isoformat(),
            ),
            {"lot": [_l("Utløpt.")]},
            code="lot-expired",
        )


def can_confirm_lot_numbers(actor: Actor, site: Site) -> bool:
    """A site lead (or above) confirms that a lot number like a national ID is on the box."""
    return can(actor, site, "lead")


@service
def receive(
    actor: Actor,
    *,
    site_code: str,
    received_on: date,
    lines: list[dict[str, Any]],
    note: str | None = None,
    confirm_lot_number: bool = False,
    confirm_expired: bool = False,
    idem: Idempotency | None = None,
) -> Receipt:
    """Record goods received at a site: one receipt movement per line.

    `confirm_lot_number`: a site lead confirms that a new lot number which looks like a
    national ID number is printed on the box; each such confirmation is audited.
    `confirm_expired`: a lot already past its expiry date on the day received is refused
    (422 lot-expired-on-receipt) unless confirmed: expired goods may be received to be
    discarded, but not by a slip of the expiry date.
    """
    site = require_site(actor, get_site(site_code))
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_entry_date(received_on)
    backdating.check(actor, site, [received_on])
    period_locks.ensure_open([site.id], [received_on], exclusive=site.stock_start is None)
    check_free_text("note", note)
    stock_start.begin(actor, site, received_on)
    if not lines:
        raise ValidationError(_l("Et mottak må ha minst én linje."), {"lines": [_l("Tom.")]})
    check_lines_unique(lines)
    receipt = Receipt(site=site, received_on=received_on, note=note, created_by_id=actor.user_id)
    db.session.add(receipt)
    db.session.flush()
    moves = []
    confirmed_lots: list[tuple[Item, Lot]] = []
    expired: list[tuple[int, Item, Lot]] = []
    items = catalog.items_by_code([line["item"] for line in lines])  # one query, not one a line
    for index, line in enumerate(lines):
        item = items.get(line["item"]) or catalog.get_item(
            line["item"], field=f"lines.{index}.item"
        )
        lot, questioned = _resolve_lot(
            item, line.get("lot"), line.get("expiry"), index, confirmed=confirm_lot_number
        )
        if lot is not None and lot.expiry is not None and lot.expiry < received_on:
            expired.append((index, item, lot))
        if questioned and lot is not None:
            if not can_confirm_lot_numbers(actor, site):
                raise Forbidden(
                    _l(
                        "Bare en stedsleder kan bekrefte at et partinummer som ser ut som et "
                        "fødselsnummer står på esken."
                    ),
                    {"confirm_lot_number": [_l("Krever en stedsleder.")]},
                )
            confirmed_lots.append((item, lot))
        moves.append(
            ledger.Move(
                site.id,
                item.id,
                lot.id if lot else None,
                "receipt",
                line["quantity"],
                received_on,
                refs={"receipt_id": receipt.id},
            )
        )
    if expired and not confirm_expired:
        _refuse_expired(expired, received_on)
    ledger.post(actor, moves)
    for item, lot in confirmed_lots:
        audit.record(
            actor,
            "lot",
            lot.id,
            "confirm-lot-number",
            site_id=site.id,
            after={"item": item.code, "receipt_id": receipt.id, "printed_on_box": True},
        )
    _load_lines(receipt)
    audit.record(
        actor,
        "receipt",
        receipt.id,
        "create",
        site_id=site.id,
        after={
            "date": received_on.isoformat(),
            **({"expired_lots": [lot.lot_number for _, _, lot in expired]} if expired else {}),
            "lines": [
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in line.items()}
                for line in lines
            ],
        },
    )
    commit(idem, receipt)
    return receipt


def _refuse_expired(expired: list[tuple[int, Item, Lot]], received_on: date) -> None:
    """Ask to confirm receiving lots that expired before the day they came in."""
    _, item, lot = expired[0]
    assert lot.expiry is not None
    lines: dict[str, Any] = {
        str(i): {"expiry": [_l("Utløpt før mottaksdatoen.")]} for i, _, _ in expired
    }
    raise LotExpiredOnReceipt(
        _l(
            "Partiet %(lot)s av %(item)s gikk ut på dato %(expiry)s, før det ble mottatt "
            "%(received)s. Tas det imot for å kasseres, send mottaket på nytt med "
            "confirm_expired: true.",
            lot=lot.lot_number,
            item=item.code,
            expiry=lot.expiry.isoformat(),
            received=received_on.isoformat(),
        ),
        {"lines": lines, "confirm_expired": [_l("Må bekreftes for et utløpt parti.")]},
        code="lot-expired-on-receipt",
    )


def _load_lines(receipt: Receipt) -> None:
    """The receipt's movements with their items and lots in one query, for the response
    (lazy loading would read each line's item separately)."""
    movements = db.session.scalars(
        select(StockMovement)
        .where(StockMovement.receipt_id == receipt.id)
        .order_by(StockMovement.id)
        .options(joinedload(StockMovement.item), joinedload(StockMovement.lot))
    ).all()
    set_committed_value(receipt, "movements", list(movements))


@dataclass
class StockLine:
    """On hand of one item (and lot) at a site, with what a lead needs to act on it."""

    site: Site
    item: Item
    lot: Lot | None
    quantity: int
    reorder_level: int
    target_level: int
    daily_usage: float
    days_left: float | None
    expired: bool
    expires_within_90: bool
    item_quantity: int = 0  # on hand of the item over all its lots: days_left is about it
    unmet_recent: int = 0  # asked for and not given in the last 4 weeks (issue 24)
    runs_out_before_delivery: bool = False  # at recent usage, before the next delivery

    @property
    def discrepancy(self) -> bool:
        return self.quantity < 0

    @property
    def empty(self) -> bool:
        """Nothing of the item on hand (or less than nothing): days_left is None, not negative."""
        return self.item_quantity <= 0

    @property
    def below_reorder(self) -> bool:
        return self.reorder_level > 0 and self.quantity <= self.reorder_level


def usage_per_day(
    site_ids: list[int], on: date, days: int = USAGE_DAYS
) -> dict[tuple[int, int], float]:
    """Average daily distribution per (site, item) over the `days` days before `on`."""
    start = on - timedelta(days=days)
    rows = db.session.execute(
        select(
            DistributionDaily.site_id,
            DistributionDaily.item_id,
            func.sum(DistributionDaily.quantity),
        )
        .where(
            DistributionDaily.site_id.in_(site_ids),
            # every item: read each site-item's recent days by the primary key (reports.py)
            DistributionDaily.item_id.in_(select(Item.id).scalar_subquery()),
            DistributionDaily.day >= start,
            DistributionDaily.day < on,
        )
        .group_by(DistributionDaily.site_id, DistributionDaily.item_id)
    )
    return {(s, i): float(q) / days for s, i, q in rows}


def on_hand(actor: Actor, site_code: str) -> list[StockLine]:
    """Stock lines for one site: one per lot for lot items, one per item otherwise."""
    site = require_site(actor, get_site(site_code))
    on = today()
    usage = usage_per_day([site.id], on)
    unmet = unmet_demand.recent([site.id], on)
    next_delivery = deliveries.for_sites([site], on)[site.id].next_after(on)
    levels = catalog.levels_for(site.id)
    balances = db.session.execute(
        select(StockBalance.item_id, StockBalance.lot_id, StockBalance.quantity).where(
            StockBalance.site_id == site.id
        )
    ).all()
    by_item: dict[int, list[tuple[int | None, int]]] = {}
    for item_id, lot_id, quantity in balances:
        by_item.setdefault(item_id, []).append((lot_id, quantity))
    items = {i.id: i for i in db.session.scalars(select(Item))}
    lots = {
        lot.id: lot
        for lot in db.session.scalars(
            select(Lot).where(Lot.id.in_([b[1] for b in balances if b[1]]))
        )
    }
    lines: list[StockLine] = []
    for item in sorted(items.values(), key=lambda i: (i.sort_order, i.code)):
        rows = by_item.get(item.id, [])
        off_here = item.id in levels and not levels[item.id].active
        if (not item.active or off_here) and not any(q for _, q in rows):
            continue  # retired, or not handed out here, and nothing on hand
        if not rows:
            rows = [(None, 0)]
        item_total = sum(q for _, q in rows)
        asked = unmet.get((site.id, item.id), 0)
        rate = usage.get((site.id, item.id), 0.0) + asked / unmet_demand.WINDOW_DAYS
        days_left = round(item_total / rate, 1) if rate > 0 and item_total > 0 else None
        short = (
            next_delivery is not None
            and days_left is not None
            and days_left < (next_delivery - on).days
        )
        level = levels.get(item.id)
        for lot_id, quantity in sorted(rows, key=lambda r: _lot_sort(_lot_of(lots, r[0]))):
            lot = _lot_of(lots, lot_id)
            if lot is not None and quantity == 0:
                continue
            lines.append(
                StockLine(
                    site=site,
                    item=item,
                    lot=lot,
                    quantity=quantity,
                    reorder_level=level.reorder_level if level else 0,
                    target_level=level.target_level if level else 0,
                    daily_usage=rate,
                    days_left=days_left,
                    expired=bool(lot and lot.expiry and lot.expiry < on),
                    expires_within_90=bool(lot and lot.expiry and lot.expiry <= on + timedelta(90)),
                    unmet_recent=asked,
                    runs_out_before_delivery=short,
                    item_quantity=item_total,
                )
            )
    return lines


def _lot_of(lots: dict[int, Lot], lot_id: int | None) -> Lot | None:
    return lots.get(lot_id) if lot_id else None


def _lot_sort(lot: Lot | None) -> tuple[int, date, int]:
    if lot is None:
        return (0, date.min, 0)
    return (1, lot.expiry or date.max, lot.id)


def movements_query(
    actor: Actor,
    *,
    site: str | None = None,
    item: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[StockMovement]]:
    """The ledger rows the actor may see, newest first, filtered."""
    query = select(StockMovement).order_by(StockMovement.id.desc())
    if site:
        query = query.where(StockMovement.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(StockMovement.site_id.in_(visible_site_ids(actor)))
    if item:
        query = query.where(StockMovement.item_id == catalog.get_item(item).id)
    if kind:
        query = query.where(StockMovement.kind == kind)
    if date_from:
        query = query.where(StockMovement.occurred_on >= date_from)
    if date_to:
        query = query.where(StockMovement.occurred_on <= date_to)
    if date_from and date_to and date_from > date_to:
        raise ValidationError(
            _l("Fra-datoen er etter til-datoen."), {"from": [_l("Etter til-datoen.")]}
        )
    return query


# --- What the web stock page reads --------------------------------------------------------------

TREND_WEEKS = 12


@dataclass
class StockOverview:
    """A site's stock lines with expiry warnings, and the weekly distribution per category."""

    site: Site
    on: date
    lines: list[StockLine]
    weeks: list[date]  # the Monday of each week, oldest first
    trend: dict[str, list[int]]  # category -> quantity handed out per week
    next_delivery: date | None = None

    def expiry_warning(self, line: StockLine) -> str | None:
        """'expired', '30' or '90' for a lot that has expired or expires within that many days."""
        if line.lot is None or line.lot.expiry is None:
            return None
        left = (line.lot.expiry - self.on).days
        if left < 0:
            return "expired"
        if left <= 30:
            return "30"
        if left <= 90:
            return "90"
        return None


def weekly_distribution(
    site_id: int, on: date, weeks: int = TREND_WEEKS
) -> tuple[list[date], dict[str, list[int]]]:
    """Quantity handed out per item category in each of the last `weeks` ISO weeks (to `on`),
    a kit counted as its contents (consistent with the reports)."""
    this_monday = on - timedelta(days=on.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    d, k = DistributionDaily, KitContent
    where = [d.site_id == site_id, d.day >= mondays[0], d.day <= on]
    # As in the reports: a kit counts as its contents, under their categories, never its own.
    loose = (
        select(d.day, Item.category, func.sum(d.quantity))
        .join(Item, Item.id == d.item_id)
        .where(*where, d.item_id.not_in(select(k.kit_id).scalar_subquery()))
        .group_by(d.day, Item.category)
    )
    held = (
        select(d.day, Item.category, func.sum(d.quantity * k.quantity))
        .join(k, k.kit_id == d.item_id)
        .join(Item, Item.id == k.item_id)
        .where(*where)
        .group_by(d.day, Item.category)
    )
    rows = db.session.execute(union_all(loose, held))
    index = {monday: n for n, monday in enumerate(mondays)}
    trend: dict[str, list[int]] = {}
    for day, category, quantity in rows:
        week = index[day - timedelta(days=day.weekday())]
        trend.setdefault(category, [0] * weeks)[week] += int(quantity or 0)
    return mondays, trend


def overview(actor: Actor, site_code: str) -> StockOverview:
    """The stock page of a site: on hand per item and lot, warnings, and the 12-week trend."""
    lines = on_hand(actor, site_code)
    site = get_site(site_code)
    on = today()
    weeks, trend = weekly_distribution(site.id, on)
    next_delivery = deliveries.for_sites([site], on)[site.id].next_after(on)
    return StockOverview(
        site=site, on=on, lines=lines, weeks=weeks, trend=trend, next_delivery=next_delivery
    )
