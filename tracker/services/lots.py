"""Which lots a handout takes: first expiry, first out, split across lots when one runs short.

A handout larger than the first-expiring usable lot takes what that lot holds, then the
next, skipping expired lots; what remains when the usable lots run out goes on the
latest-expiring usable lot (its balance goes negative and the ledger flags it: invariant 2,
distribution is never refused). A lot the site never held (no balance row: nothing was ever
received, transferred in, counted or handed out of it there) is accepted when named, and
flagged for the lead as a `foreign_lot` discrepancy.

Race safety: the site's balance rows of the item are read locked (unit.locked), in lot
order like the ledger's own updates, so a racing handout waits for this one's commit and
then splits from what is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Item, Lot, StockBalance
from tracker.services.unit import locked

# (lot id or None, day) -> quantity handed out: what an entry holds of each lot, per day
Taken = dict[tuple[int | None, date], int]


@dataclass
class Allocation:
    """The lots a quantity is taken from, in the order taken, and the ones never held here."""

    lots: list[tuple[Lot | None, int]]
    foreign: list[Lot] = field(default_factory=list)

    def taken(self, day: date) -> Taken:
        result: Taken = defaultdict(int)
        for lot, quantity in self.lots:
            result[(lot.id if lot else None, day)] += quantity
        return dict(result)


def _held(site_id: int, item_id: int) -> dict[int, int]:
    """The site's balance of the item per lot id, the rows locked until commit."""
    rows = db.session.execute(
        locked(
            select(StockBalance.lot_id, StockBalance.quantity)
            .where(StockBalance.site_id == site_id, StockBalance.item_id == item_id)
            .order_by(StockBalance.lot_key)
        )
    )
    return {lot_id: quantity for lot_id, quantity in rows if lot_id is not None}


@dataclass
class Prefetched:
    """What `allocate` reads for several lot items at one site, read in two queries."""

    held: dict[int, dict[int, int]]  # item id -> lot id -> balance (rows locked)
    unexpired: dict[int, list[Lot]]  # item id -> lots not expired on the day
    lots: dict[int, Lot] = field(default_factory=dict)  # lot id -> lot, for first_lot


def prefetch(site_id: int, items: Collection[Item], on: date) -> Prefetched:
    """The balances (locked) and unexpired lots of all the lot items at once.

    The balance rows are locked in one statement ordered by (item, lot), the ledger's own
    order, so entries naming the same items in another order cannot deadlock."""
    ids = sorted({item.id for item in items if item.tracks_lots})
    if not ids:
        return Prefetched({}, {})
    held: dict[int, dict[int, int]] = {item_id: {} for item_id in ids}
    rows = db.session.execute(
        locked(
            select(StockBalance.item_id, StockBalance.lot_id, StockBalance.quantity)
            .where(StockBalance.site_id == site_id, StockBalance.item_id.in_(ids))
            .order_by(StockBalance.item_id, StockBalance.lot_key)
        )
    )
    for item_id, lot_id, quantity in rows:
        if lot_id is not None:
            held[item_id][lot_id] = quantity
    unexpired: dict[int, list[Lot]] = {item_id: [] for item_id in ids}
    found = db.session.scalars(
        select(Lot).where(Lot.item_id.in_(ids), (Lot.expiry.is_(None)) | (Lot.expiry >= on))
    )
    for lot in found:
        unexpired[lot.item_id].append(lot)
    return Prefetched(held, unexpired, {lot.id: lot for got in unexpired.values() for lot in got})


def _fefo(lots: list[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (lot.expiry is None, lot.expiry or date.max, lot.id))


def _unexpired(item: Item, on: date) -> list[Lot]:
    return list(
        db.session.scalars(
            select(Lot).where(Lot.item_id == item.id, (Lot.expiry.is_(None)) | (Lot.expiry >= on))
        )
    )


def allocate(
    site_id: int,
    item: Item,
    on: date,
    quantity: int,
    *,
    lot: Lot | None = None,
    credit: Taken | None = None,
    pre: Prefetched | None = None,
) -> Allocation:
    """The lots `quantity` is taken from at the site on `on` (a named lot takes it all).

    `credit` is what the entry being changed already holds of each lot: it comes back
    before the new split is made, so a changed entry can take its own kits again.
    `pre`: the balances and lots read for several items at once (`prefetch`, same `on`).
    """
    if not item.tracks_lots:
        return Allocation([(None, quantity)])
    held = dict(pre.held.get(item.id, {})) if pre else _held(site_id, item.id)
    if lot is not None:
        return Allocation([(lot, quantity)], [] if lot.id in held else [lot])
    for (lot_id, _day), back in (credit or {}).items():
        if lot_id is not None:
            held[lot_id] = held.get(lot_id, 0) + back
    unexpired = pre.unexpired.get(item.id, []) if pre else _unexpired(item, on)
    usable = _fefo([lot for lot in unexpired if lot.id in held])
    taken: list[tuple[Lot | None, int]] = []
    left = quantity
    for candidate in (lot for lot in usable if held[lot.id] > 0):
        if not left:
            break
        take = min(left, held[candidate.id])
        taken.append((candidate, take))
        left -= take
    if not left:
        return Allocation(taken)
    if taken:  # the usable lots ran out: the rest goes on the latest-expiring one
        last, already = taken[-1]
        taken[-1] = (last, already + left)
        return Allocation(taken)
    if usable:  # held here, none left: the latest-expiring usable lot
        return Allocation([(usable[-1], left)])
    never_held = _fefo(unexpired)
    if not never_held:
        return Allocation([(None, left)])
    return Allocation([(never_held[0], left)], [never_held[0]])


def give_back(taken: Taken, quantity: int) -> Taken:
    """`taken` less `quantity`, returned from the lots taken last (latest expiry) first."""
    result = dict(taken)
    ids = [lot_id for lot_id, _ in result if lot_id is not None]
    rows = db.session.execute(select(Lot.id, Lot.expiry).where(Lot.id.in_(ids))).tuples()
    expiry: dict[int, date | None] = {lot_id: ends for lot_id, ends in rows}

    def last_first(key: tuple[int | None, date]) -> tuple[date, bool, date, int]:
        lot_id, day = key
        ends = expiry.get(lot_id) if lot_id else None
        return (day, ends is None, ends or date.max, lot_id or 0)

    for key in sorted(result, key=last_first, reverse=True):
        if not quantity:
            break
        back = min(quantity, result[key])
        result[key] -= back
        quantity -= back
    return {key: q for key, q in result.items() if q}


def rebook(
    site_id: int,
    item: Item,
    old: Taken,
    was: tuple[date, int],
    now: tuple[date, int],
    named: Lot | None = None,
    pre: Prefetched | None = None,
) -> tuple[Taken, list[Lot]]:
    """The lots after an entry changes from `was` to `now` (day, quantity), and those never
    held here: the same split if both stay; fewer kits come back from the lot taken last;
    more are split FEFO from what is left; a new day or a named lot is split anew (the
    entry's own stock counting as there)."""
    (old_day, old_quantity), (day, quantity) = was, now
    if named is None and day == old_day:
        if quantity <= old_quantity:
            return give_back(old, old_quantity - quantity), []
        extra = allocate(site_id, item, day, quantity - old_quantity, pre=pre)
        merged = dict(old)
        for key, q in extra.taken(day).items():
            merged[key] = merged.get(key, 0) + q
        return merged, extra.foreign
    allocation = allocate(site_id, item, day, quantity, lot=named, credit=old, pre=pre)
    return allocation.taken(day), allocation.foreign


def first_lot(taken: Taken, known: dict[int, Lot] | None = None) -> int | None:
    """The lot taken first: the soonest-expiring lot an entry holds (no query when every
    lot is in `known`)."""
    ids = [lot_id for lot_id, _ in taken if lot_id is not None]
    if not ids:
        return None
    if known is not None and all(lot_id in known for lot_id in ids):
        return _fefo([known[lot_id] for lot_id in ids])[0].id
    return db.session.scalar(
        select(Lot.id).where(Lot.id.in_(ids)).order_by(Lot.expiry.is_(None), Lot.expiry, Lot.id)
    )
