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
from tracker.models import Item, Lot, Site, StockBalance, StockDaily
from tracker.models.stock import MOVEMENT_KINDS
from tracker.services.access import Actor, get_site, require_site

D = StockDaily
Key = tuple[int, int]  # (item_id, lot_key)


def _earliest_day(site_id: int) -> date | None:
    """The site's first day in the aggregate (the first row of its primary key range)."""
    return db.session.scalar(select(func.min(D.day)).where(D.site_id == site_id))


def quantities_at(site_id: int, day: date) -> dict[Key, int]:
    """On hand per (item, lot_key) at the end of `day`: from whichever side has fewer days."""
    now = today()
    first = _earliest_day(site_id)
    totals: dict[Key, int] = defaultdict(int)
    if first is None or day < first:
        return {}
    if (day - first) <= (now - day):
        rows = db.session.execute(
            select(D.item_id, D.lot_key, func.sum(D.quantity))
            .where(D.site_id == site_id, D.day <= day)
            .group_by(D.item_id, D.lot_key)
        )
        for item_id, lot_key, quantity in rows:
            totals[(item_id, lot_key)] += int(quantity)
        return dict(totals)
    balances = db.session.execute(
        select(StockBalance.item_id, StockBalance.lot_key, StockBalance.quantity).where(
            StockBalance.site_id == site_id
        )
    )
    for item_id, lot_key, quantity in balances:
        totals[(item_id, lot_key)] += quantity
    after = db.session.execute(
        select(D.item_id, D.lot_key, func.sum(D.quantity))
        .where(D.site_id == site_id, D.day > day)
        .group_by(D.item_id, D.lot_key)
    )
    for item_id, lot_key, quantity in after:
        totals[(item_id, lot_key)] -= int(quantity)
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
        after = db.session.execute(
            select(D.site_id, D.item_id, D.lot_key, func.sum(D.quantity))
            .where(D.site_id.in_(site_ids), D.day > day)
            .group_by(D.site_id, D.item_id, D.lot_key)
        )
        for site_id, item_id, lot_key, quantity in after:
            totals[(site_id, item_id, lot_key)] -= int(quantity)
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
    moved: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(
        select(D.item_id, D.kind, func.sum(D.quantity))
        .where(D.site_id == site.id, D.day >= date_from, D.day <= date_to)
        .group_by(D.item_id, D.kind)
    )
    for item_id, kind, quantity in rows:
        moved[item_id][kind] = int(quantity)
    ids = {i for i, q in opening.items() if q} | set(moved)
    items = _by_id(Item, ids)
    lines = [
        MovementLine(items[i], opening.get(i, 0), {k: moved[i].get(k, 0) for k in CARD_KINDS})
        for i in ids
    ]
    lines.sort(key=lambda line: (line.item.sort_order, line.item.code))
    return MovementReport(site, date_from, date_to, lines)
