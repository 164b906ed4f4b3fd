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
from tracker.models import DistributionDaily, StockBalance, StockMovement
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


def _insert_ignore(model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    db.session.execute(stmt.on_conflict_do_nothing(), rows)


def move_balance(site_id: int, item_id: int, lot_id: int | None, delta: int, refuse_short: bool,
                 item_label: str = "") -> int:
    """Add delta to one balance atomically; refuse (409) if it would go below zero."""
    lot_key = lot_id or 0
    _insert_ignore(
        StockBalance,
        [{"site_id": site_id, "item_id": item_id, "lot_key": lot_key, "lot_id": lot_id,
          "quantity": 0}],
    )
    stmt = (
        update(StockBalance)
        .where(
            StockBalance.site_id == site_id,
            StockBalance.item_id == item_id,
            StockBalance.lot_key == lot_key,
        )
        .values(quantity=StockBalance.quantity + delta)
        .returning(StockBalance.quantity)
    )
    if refuse_short and delta < 0:
        stmt = stmt.where(StockBalance.quantity + delta >= 0)
    new_quantity = db.session.execute(stmt).scalar()
    if new_quantity is None:
        on_hand = db.session.scalar(
            select(StockBalance.quantity).where(
                StockBalance.site_id == site_id,
                StockBalance.item_id == item_id,
                StockBalance.lot_key == lot_key,
            )
        )
        raise StockError(
            f"Not enough stock of {item_label or item_id}: {on_hand or 0} on hand, "
            f"{-delta} requested.",
            {"quantity": [f"Only {on_hand or 0} on hand."]},
        )
    return new_quantity


def _bump_daily(rows: dict[tuple[int, int, date], int]) -> None:
    for (site_id, item_id, day), delta in sorted(rows.items()):
        if delta == 0:
            continue
        _insert_ignore(
            DistributionDaily,
            [{"site_id": site_id, "item_id": item_id, "day": day, "quantity": 0}],
        )
        db.session.execute(
            update(DistributionDaily)
            .where(
                DistributionDaily.site_id == site_id,
                DistributionDaily.item_id == item_id,
                DistributionDaily.day == day,
            )
            .values(quantity=DistributionDaily.quantity + delta)
        )


def post(actor: Actor, moves: list[Move], *, refuse_short: bool = False,
         labels: dict[int, str] | None = None) -> list[int]:
    """Append the movements and move balances and aggregates in one go; returns movement ids.

    With refuse_short, any balance that would go below zero refuses the whole batch (409).
    Distribution is never refused (invariant 2): its callers leave refuse_short off.
    """
    moves = [m for m in moves if m.quantity != 0]
    unknown = {ref for m in moves for ref in m.refs} - set(REFS)
    if unknown:
        raise ValueError(f"unknown movement references: {sorted(unknown)}")
    if not moves:
        return []
    deltas: dict[tuple[int, int, int | None], int] = defaultdict(int)
    daily: dict[tuple[int, int, date], int] = defaultdict(int)
    for m in moves:
        deltas[(m.site_id, m.item_id, m.lot_id)] += m.quantity
        if m.is_distribution:
            daily[(m.site_id, m.item_id, m.occurred_on)] -= m.quantity
    for (site_id, item_id, lot_id), delta in sorted(deltas.items(), key=lambda kv: (
            kv[0][0], kv[0][1], kv[0][2] or 0)):
        if delta:
            move_balance(site_id, item_id, lot_id, delta, refuse_short,
                         (labels or {}).get(item_id, ""))
    _bump_daily(daily)
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
    return list(result.scalars())


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
            func.coalesce(StockMovement.lot_id, 0),
            func.sum(StockMovement.quantity),
        ).group_by(StockMovement.site_id, StockMovement.item_id,
                   func.coalesce(StockMovement.lot_id, 0))
    )
    return {(s, i, lot): int(q) for s, i, lot, q in rows}


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
            mismatches.append(Mismatch("stock_balance", key, stored.get(key, 0),
                                       ledger.get(key, 0)))
    dist = distribution_sums()
    daily = {
        (d.site_id, d.item_id, d.day): d.quantity
        for d in db.session.scalars(select(DistributionDaily))
    }
    for key in sorted(set(dist) | set(daily)):
        if dist.get(key, 0) != daily.get(key, 0):
            mismatches.append(Mismatch("distribution_daily", key, daily.get(key, 0),
                                       dist.get(key, 0)))
    return mismatches
