"""The stock ledger: movements are appended and balances moved by atomic SQL, together.

Every change of stock goes through `post`. It writes the movement rows, moves each
(site, item, lot) balance with `UPDATE ... SET quantity = quantity + :delta` in a fixed
key order (so concurrent writers never deadlock), and keeps the daily distribution
aggregate that reports read. Nothing here commits: the calling service does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tracker.errors import StockError
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    StockBalance,
    StockMovement,
    TallyEntry,
)
from tracker.models.base import utcnow
from tracker.services.access import Actor

DISTRIBUTION_REFS = ("tally_id", "naloxone_handout_id")
REFS = (
    "receipt_id",
    "tally_id",
    "naloxone_handout_id",
    "transfer_id",
    "stock_count_id",
    "corrects_id",
    "import_batch_id",
    "import_row",
)


@dataclass(frozen=True)
class Move:
    """One movement to post. quantity is signed: + into the site, - out of it."""

    site_id: int
    item_id: int
    lot_id: int | None
    kind: str
    quantity: int
    occurred_on: date
    reason: str | None = None
    refs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_distribution(self) -> bool:
        """Distribution and the corrections of it count in the distribution aggregate."""
        return self.kind == "distribution" or (
            self.kind == "correction" and any(self.refs.get(r) for r in DISTRIBUTION_REFS)
        )


def _dialect_insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignore(model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite."""
    if rows:
        db.session.execute(_dialect_insert(model.__table__).on_conflict_do_nothing(), rows)


def upsert_add(model: type, keys: tuple[str, ...], column: str, rows: list[dict[str, Any]]) -> None:
    """Add to a counter row atomically, creating it if absent, in one statement per batch.

    `INSERT ... ON CONFLICT (keys) DO UPDATE SET col = col + excluded.col` is a single
    atomic statement on both databases: no read-modify-write in Python. Only for tables
    without a CHECK on the counter (a CHECK fires before ON CONFLICT; see STACK.md).
    """
    if not rows:
        return
    table = model.__table__
    stmt = _dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={column: table.c[column] + stmt.excluded[column]},
    )
    db.session.execute(stmt, rows)


def move_balance(
    site_id: int, item_id: int, lot_id: int | None, delta: int, item_label: str = ""
) -> int:
    """Take delta (< 0) from one balance atomically, refusing (409) below zero."""
    lot_key = lot_id or 0
    insert_ignore(
        StockBalance,
        [
            {
                "site_id": site_id,
                "item_id": item_id,
                "lot_key": lot_key,
                "lot_id": lot_id,
                "quantity": 0,
            }
        ],
    )
    where = (
        (StockBalance.site_id == site_id)
        & (StockBalance.item_id == item_id)
        & (StockBalance.lot_key == lot_key)
    )
    new_quantity = db.session.execute(
        update(StockBalance.__table__)
        .where(where, StockBalance.quantity + delta >= 0)
        .values(quantity=StockBalance.quantity + delta)
        .returning(StockBalance.quantity)
    ).scalar()
    if new_quantity is None:
        on_hand = db.session.scalar(select(StockBalance.quantity).where(where)) or 0
        raise StockError(
            f"Not enough stock of {item_label or item_id}: {on_hand} on hand, {-delta} requested.",
            {"quantity": [f"Only {on_hand} on hand."]},
        )
    return new_quantity


def post(
    actor: Actor,
    moves: list[Move],
    *,
    refuse_short: bool = False,
    labels: dict[int, str] | None = None,
) -> list[int]:
    """Append the movements and move balances and aggregates in one go; returns movement ids.

    With refuse_short, any balance that would go below zero refuses the whole batch (409).
    Distribution is never refused (invariant 2): its callers leave refuse_short off.
    Keys are touched in sorted order so concurrent transactions never deadlock. Callers
    should post as their last write before commit: from here on the transaction holds the
    balance rows' locks.
    """
    moves = [m for m in moves if m.quantity != 0]
    unknown = {ref for m in moves for ref in m.refs} - set(REFS)
    if unknown:
        raise ValueError(f"unknown movement references: {sorted(unknown)}")
    if not moves:
        return []
    deltas: dict[tuple[int, int, int], int] = defaultdict(int)
    lot_ids: dict[tuple[int, int, int], int | None] = {}
    daily: dict[tuple[int, int, date], int] = defaultdict(int)
    for m in moves:
        key = (m.site_id, m.item_id, m.lot_id or 0)
        deltas[key] += m.quantity
        lot_ids[key] = m.lot_id
        if m.is_distribution:
            daily[(m.site_id, m.item_id, m.occurred_on)] -= m.quantity
    now = utcnow()
    rows = [
        {
            "site_id": m.site_id,
            "item_id": m.item_id,
            "lot_id": m.lot_id,
            "kind": m.kind,
            "quantity": m.quantity,
            "occurred_on": m.occurred_on,
            "recorded_at": now,
            "recorded_by_id": actor.user_id,
            "token_id": actor.token_id,
            "reason": m.reason,
            **{ref: m.refs.get(ref) for ref in REFS},
        }
        for m in moves
    ]
    result = db.session.execute(insert(StockMovement).returning(StockMovement.id), rows)
    ids = list(result.scalars())
    # The hot rows (balances, aggregates) are touched last, so their row locks are held
    # for as short a time as possible before the caller commits.
    plain: list[dict[str, Any]] = []
    for key in sorted(deltas):
        site_id, item_id, lot_key = key
        if refuse_short and deltas[key] < 0:
            upsert_add(StockBalance, ("site_id", "item_id", "lot_key"), "quantity", plain)
            plain = []  # keep strict key order across both kinds of update
            move_balance(
                site_id, item_id, lot_ids[key], deltas[key], (labels or {}).get(item_id, "")
            )
        elif deltas[key]:
            plain.append(
                {
                    "site_id": site_id,
                    "item_id": item_id,
                    "lot_key": lot_key,
                    "lot_id": lot_ids[key],
                    "quantity": deltas[key],
                }
            )
    upsert_add(StockBalance, ("site_id", "item_id", "lot_key"), "quantity", plain)
    upsert_add(
        DistributionDaily,
        ("site_id", "item_id", "day"),
        "quantity",
        [
            {"site_id": s, "item_id": i, "day": d, "quantity": q}
            for (s, i, d), q in sorted(daily.items())
            if q
        ],
    )
    monthly: dict[tuple[int, int, date], int] = defaultdict(int)
    for (s, i, d), q in daily.items():
        monthly[(s, i, d.replace(day=1))] += q
    upsert_add(
        DistributionMonthly,
        ("site_id", "item_id", "month"),
        "quantity",
        [
            {"site_id": s, "item_id": i, "month": m, "quantity": q}
            for (s, i, m), q in sorted(monthly.items())
            if q
        ],
    )
    return ids


@dataclass(frozen=True)
class Mismatch:
    table: str
    key: tuple[Any, ...]
    stored: int
    from_ledger: int


def ledger_sums() -> dict[tuple[int, int, int], int]:
    rows = db.session.execute(
        select(
            StockMovement.site_id,
            StockMovement.item_id,
            StockMovement.lot_id,
            func.sum(StockMovement.quantity),
        ).group_by(StockMovement.site_id, StockMovement.item_id, StockMovement.lot_id)
    )
    return {(s, i, lot or 0): int(q) for s, i, lot, q in rows}


def distribution_sums() -> dict[tuple[int, int, date], int]:
    """Distribution per (site, item, day) straight from the ledger."""
    is_dist = (StockMovement.kind == "distribution") | (
        (StockMovement.kind == "correction")
        & (StockMovement.tally_id.is_not(None) | StockMovement.naloxone_handout_id.is_not(None))
    )
    rows = db.session.execute(
        select(
            StockMovement.site_id,
            StockMovement.item_id,
            StockMovement.occurred_on,
            -func.sum(StockMovement.quantity),
        )
        .where(is_dist)
        .group_by(StockMovement.site_id, StockMovement.item_id, StockMovement.occurred_on)
    )
    return {(s, i, d): int(q) for s, i, d, q in rows}


def contacts_sums() -> dict[tuple[int, date], int]:
    """Contacts per (site, day) straight from the entries that are not deleted."""
    rows = db.session.execute(
        select(TallyEntry.site_id, TallyEntry.entry_date, func.sum(TallyEntry.contacts))
        .where(TallyEntry.deleted_at.is_(None))
        .group_by(TallyEntry.site_id, TallyEntry.entry_date)
    )
    return {(s, d): int(q) for s, d, q in rows}


def verify() -> list[Mismatch]:
    """Compare balances and the daily aggregate with sums over the ledger."""
    mismatches: list[Mismatch] = []
    ledger = ledger_sums()
    stored = {
        (b.site_id, b.item_id, b.lot_key): b.quantity
        for b in db.session.scalars(select(StockBalance))
    }
    for key in sorted(set(ledger) | set(stored)):
        if ledger.get(key, 0) != stored.get(key, 0):
            mismatches.append(
                Mismatch("stock_balance", key, stored.get(key, 0), ledger.get(key, 0))
            )
    dist = distribution_sums()
    daily = {
        (d.site_id, d.item_id, d.day): d.quantity
        for d in db.session.scalars(select(DistributionDaily))
    }
    for key in sorted(set(dist) | set(daily)):
        if dist.get(key, 0) != daily.get(key, 0):
            mismatches.append(
                Mismatch("distribution_daily", key, daily.get(key, 0), dist.get(key, 0))
            )
    months: dict[tuple[int, int, date], int] = defaultdict(int)
    for (s, i, d), q in dist.items():
        months[(s, i, d.replace(day=1))] += q
    stored_months = {
        (m.site_id, m.item_id, m.month): m.quantity
        for m in db.session.scalars(select(DistributionMonthly))
    }
    for key in sorted(set(months) | set(stored_months)):
        if months.get(key, 0) != stored_months.get(key, 0):
            mismatches.append(
                Mismatch("distribution_monthly", key, stored_months.get(key, 0), months.get(key, 0))
            )
    entries = contacts_sums()
    people = {(c.site_id, c.day): c.contacts for c in db.session.scalars(select(ContactsDaily))}
    for key in sorted(set(entries) | set(people)):
        if entries.get(key, 0) != people.get(key, 0):
            mismatches.append(
                Mismatch("contacts_daily", key, people.get(key, 0), entries.get(key, 0))
            )
    return mismatches
