"""Stock at the end of any day, and the movement report (stock card) of a period.

Both read `stock_daily` (the ledger summed per site, day, item, lot and kind, kept with every
movement), never the ledger's rows: stock at a day is the balance less what moved after it,
or what moved up to it, whichever side holds fewer days; the report sums the period's days.
So the cost follows the days and items read, not how many movements the ledger holds
(bench/README.md, "Stock history").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.dates import today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import Item, Lot, Site, StockBalance, StockDaily, StockMonthly
from tracker.models.stock import MOVEMENT_KINDS
from tracker.services.access import Actor, get_site, require_site

D = StockDaily
MM = StockMonthly
Key = tuple[int, int]  # (item_id, lot_key)


FIRST = date(1900, 1, 1)  # before any ledger row (entries start in 2000)
LAST = date(2999, 12, 31)


def _whole_months(low: date, high: date) -> tuple[date, date] | None:
    """The first days of the first and last whole months within low..high (both inclusive)."""
    first = low if low.day == 1 else (low.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = high + timedelta(days=1)
    last_day = after.replace(day=1) - timedelta(days=1)
    if first > last_day:
        return None
    return first, last_day.replace(day=1)


def moved(
    site_ids: list[int], low: date, high: date, keys: tuple[str, ...]
) -> dict[tuple[Any, ...], int]:
    """What moved on days low..high (inclusive), summed per `keys` (of item_id, lot_key, kind,
    site_id): whole months from stock_monthly, the days at either end from stock_daily. At
    most three range reads, each bounded by sites x items x lots x kinds x (months or 31)."""
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    if low > high:
        return totals
    months = _whole_months(low, high)
    ranges = [(low, high)]
    if months is not None:
        first, last = months
        rows = db.session.execute(
            select(*(getattr(MM, k) for k in keys), func.sum(MM.quantity))
            .where(MM.site_id.in_(site_ids), MM.month >= first, MM.month <= last)
            .group_by(*(getattr(MM, k) for k in keys))
        )
        for *key, quantity in rows:
            totals[tuple(key)] += int(quantity)
        after_last = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
        ranges = [(low, first - timedelta(days=1)), (after_last, high)]
    for start, end in ranges:
        if start > end:
            continue
        rows = db.session.execute(
            select(*(getattr(D, k) for k in keys), func.sum(D.quantity))
            .where(D.site_id.in_(site_ids), D.day >= start, D.day <= end)
            .group_by(*(getattr(D, k) for k in keys))
        )
        for *key, quantity in rows:
            totals[tuple(key)] += int(quantity)
    return totals


def quantities_at(site_id: int, day: date) -> dict[Key, int]:
    """On hand per (item, lot_key) at the end of `day`: the balances less what moved after
    it (a recent day), or what moved up to it (a day nearer the first than today)."""
    now = today()
    first = db.session.scalar(select(func.min(MM.month)).where(MM.site_id == site_id))
    if first is None or day < first:
        return {}
    keys = ("item_id", "lot_key")
    if (day - first) <= (now - day):
        return {(k[0], k[1]): q for k, q in moved([site_id], FIRST, day, keys).items()}
    totals: dict[Key, int] = defaultdict(int)
    balances = db.session.execute(
        select(StockBalance.item_id, StockBalance.lot_key, StockBalance.quantity).where(
            StockBalance.site_id == site_id
        )
    )
    for item_id, lot_key, quantity in balances:
        totals[(item_id, lot_key)] += quantity
    for (item_id, lot_key), quantity in moved(
        [site_id], day + timedelta(days=1), LAST, keys
    ).items():
        totals[(item_id, lot_key)] -= quantity
    return dict(totals)


def quantities_at_sites(site_ids: list[int], day: date) -> dict[tuple[int, int, int], int]:
    """On hand per (site, item, lot_key) at the end of `day`, for many sites in two queries:
    the balances less what moved after the day (nothing after today: the balances alone)."""
    totals: dict[tuple[int, int, int], int] = defaultdict(int)
    balances = db.session.execute(
        select(StockBalance.site_id, StockBalance.item_id, StockBalance.lot_key,
               StockBalance.quantity).where(StockBalance.site_id.in_(site_ids))
    )  # fmt: skip
    for site_id, item_id, lot_key, quantity in balances:
        totals[(site_id, item_id, lot_key)] += quantity
    if day < today():
        after = moved(site_ids, day + timedelta(days=1), LAST, ("site_id", "item_id", "lot_key"))
        for (site_id, item_id, lot_key), quantity in after.items():
            totals[(site_id, item_id, lot_key)] -= quantity
    return dict(totals)


@dataclass
class StockAt:
    """One item (and lot) on hand at the end of a day."""

    site: Site
    item: Item
    lot: Lot | None
    quantity: int
    date: date


def stock_at(actor: Actor, site_code: str, day: date | None = None) -> list[StockAt]:
    """On hand per item and lot at the end of `day` (default today) at one site."""
    site = require_site(actor, get_site(site_code))
    day = day or today()
    if day > today():
        raise ValidationError(
            _l("Datoen kan ikke være etter i dag."), {"date": [_l("Etter i dag.")]}
        )
    found = {k: q for k, q in quantities_at(site.id, day).items() if q}
    items = _by_id(Item, {i for i, _ in found})
    lots = _by_id(Lot, {k for _, k in found if k})
    lines = [
        StockAt(site, items[i], lots.get(k) if k else None, q, day) for (i, k), q in found.items()
    ]
    return sorted(lines, key=lambda s: (s.item.sort_order, s.item.code, s.lot.id if s.lot else 0))


def _by_id(model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


@dataclass
class MovementLine:
    """One item's stock card for a period: opening, each kind of movement, closing."""

    item: Item
    opening: int
    moved: dict[str, int] = field(default_factory=dict)  # kind -> signed quantity

    @property
    def closing(self) -> int:
        return self.opening + sum(self.moved.values())


# The stock card's column order: what came in, what went out, then the adjustments.
CARD_KINDS = (
    "receipt",
    "transfer_in",
    "transfer_out",
    "distribution",
    "discard",
    "count_adjustment",
    "correction",
    "used_on_site",
)
assert set(CARD_KINDS) == set(MOVEMENT_KINDS)


@dataclass
class MovementReport:
    site: Site
    date_from: date
    date_to: date
    lines: list[MovementLine]
    kinds: tuple[str, ...] = CARD_KINDS

    def rows(self, lang: str = "nb") -> list[list[str | int]]:
        """Plain rows for the stock card: item, name, opening, each kind, closing."""
        return [
            [line.item.code, line.item.name_en if lang == "en" else line.item.name_nb,
             line.opening, *(line.moved.get(k, 0) for k in self.kinds), line.closing]
            for line in self.lines
        ]  # fmt: skip


def movement_report(actor: Actor, site_code: str, date_from: date, date_to: date) -> MovementReport:
    """Per item: stock at the end of the day before `date_from`, movements by kind, closing.

    Closing is opening plus the movements, and equals stock at `date_to` (both read the same
    aggregate; the tests check them against the ledger itself).
    """
    site = require_site(actor, get_site(site_code))
    if date_from > date_to:
        raise ValidationError(
            _l("Fra-datoen er etter til-datoen."), {"from": [_l("Etter til-datoen.")]}
        )
    if date_to > today():
        raise ValidationError(
            _l("Til-datoen kan ikke være etter i dag."), {"to": [_l("Etter i dag.")]}
        )
    opening: dict[int, int] = defaultdict(int)
    for (item_id, _lot), quantity in quantities_at(site.id, date_from - timedelta(days=1)).items():
        opening[item_id] += quantity
    by_kind: dict[int, dict[str, int]] = defaultdict(dict)
    for (item_id, kind), quantity in moved(
        [site.id], date_from, date_to, ("item_id", "kind")
    ).items():
        by_kind[item_id][kind] = quantity
    ids = {i for i, q in opening.items() if q} | set(by_kind)
    items = _by_id(Item, ids)
    lines = [
        MovementLine(items[i], opening.get(i, 0), {k: by_kind[i].get(k, 0) for k in CARD_KINDS})
        for i in ids
    ]
    lines.sort(key=lambda line: (line.item.sort_order, line.item.code))
    return MovementReport(site, date_from, date_to, lines)
