"""The stock ledger: movements are appended and balances moved by atomic SQL, together.

Every change of stock goes through `post`. It writes the movement rows, moves each
(site, item, lot) balance with `UPDATE ... SET quantity = quantity + :delta` in a fixed
key order (so concurrent writers never deadlock), and keeps the daily distribution
aggregate that reports read. Nothing here commits: the calling service does.
"""

from __future__ import annotations

import functools
import typing
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CursorResult,
    Date,
    Integer,
    Select,
    TextClause,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from tracker.dates import today
from tracker.errors import StockError
from tracker.extensions import db
from tracker.models import (
    DistributionDaily,
    DistributionMonthly,
    StockBalance,
    StockDaily,
    StockMonthly,
    StockMovement,
)
from tracker.models.base import Base, UTCDateTime, utcnow
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
    "overdose_event_id",
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
    # stock: written to the ledger (False: distribution dated before the site's stock start,
    # counted in the aggregates only). aggregate: counted in the distribution aggregates
    # (False: an entry's distribution already counted there, now moving stock too).
    stock: bool = True
    aggregate: bool = True

    @property
    def is_distribution(self) -> bool:
        """Distribution and the corrections of it count in the distribution aggregate."""
        return self.kind == "distribution" or (
            self.kind == "correction" and any(self.refs.get(r) for r in DISTRIBUTION_REFS)
        )


def _dialect_insert(table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both databases have one)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@functools.cache
def _on_conflict(
    dialect: str,
    model: type[Base],
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    column: str | None,
) -> TextClause:
    """The dialect's INSERT ... ON CONFLICT, compiled once into a statement with typed binds.

    SQLAlchemy 2.0 does not cache the dialects' insert() constructs (`inherit_cache = False`),
    so executing one builds its `excluded` alias and compiles it on every call: a quarter of
    a tally POST's CPU (bench/README.md, "Entry"). The SQL is the dialect's own, rendered
    with :name placeholders, and kept per database, table and columns.
    """
    table = model.__table__
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values({c: bindparam(c) for c in columns}).inline()
    if column is None:
        stmt = stmt.on_conflict_do_nothing()
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={column: table.c[column] + stmt.excluded[column]},
        )
    sql = str(stmt.compile(dialect=module.dialect(paramstyle="named")))
    return text(sql).bindparams(*[bindparam(c, type_=table.c[c].type) for c in columns])


def _execute_on_conflict(
    model: type[Base], keys: tuple[str, ...], column: str | None, rows: list[dict[str, Any]]
) -> None:
    dialect = db.session.get_bind().dialect.name
    db.session.execute(_on_conflict(dialect, model, tuple(rows[0]), keys, column), rows)


def insert_ignore(model: type[Base], rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite."""
    if rows:
        _execute_on_conflict(model, (), None, rows)


def upsert_add(
    model: type[Base], keys: tuple[str, ...], column: str, rows: list[dict[str, Any]]
) -> None:
    """Add to a counter row atomically, creating it if absent, in one statement per batch.

    `INSERT ... ON CONFLICT (keys) DO UPDATE SET col = col + excluded.col` is a single
    atomic statement on both databases: no read-modify-write in Python. Only for tables
    without a CHECK on the counter (a CHECK fires before ON CONFLICT; see STACK.md).
    """
    if rows:
        _execute_on_conflict(model, keys, column, rows)


_INSERT_MOVEMENTS = insert(StockMovement.__table__).returning(StockMovement.__table__.c.id)
_BALANCE_KEYS = ("site_id", "item_id", "lot_key")
STOCK_DAILY_KEYS = ("site_id", "day", "item_id", "lot_key", "kind")
STOCK_MONTHLY_KEYS = ("site_id", "month", "item_id", "lot_key", "kind")


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
            _l(
                "Ikke nok %(item)s på lager: %(on_hand)s på lager, %(wanted)s ønsket.",
                item=item_label or item_id,
                on_hand=on_hand,
                wanted=-delta,
            ),
            {"quantity": [_l("Bare %(on_hand)s på lager.", on_hand=on_hand)]},
        )
    return new_quantity


def post(
    actor: Actor,
    moves: list[Move],
    *,
    refuse_short: bool = False,
    labels: dict[int, str] | None = None,
    counters: tuple[Counter, ...] = (),
) -> list[int]:
    """Append the movements and move balances and aggregates in one go; returns movement ids.

    With refuse_short, any balance that would go below zero refuses the whole batch (409).
    Distribution is never refused (invariant 2): its callers leave refuse_short off.
    Keys are touched in sorted order so concurrent transactions never deadlock. Callers
    should post as their last write before commit: from here on the transaction holds the
    balance rows' locks. `counters` are other per-day counters of the same write (a tally's
    contacts): they are added after the aggregates.

    One statement per table: the movements as one multi-row INSERT ... RETURNING id, then
    the balances, the daily and monthly aggregates and the counters, each one executemany
    of `INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`, then, for the keys the
    batch lowered, one INSERT ... SELECT opening a discrepancy if the balance is now below
    zero (invariant 2).
    """
    everything = [m for m in moves if m.quantity != 0]
    moves = [m for m in everything if m.stock]
    unknown = {ref for m in everything for ref in m.refs} - set(REFS)
    if unknown:
        raise ValueError(f"unknown movement references: {sorted(unknown)}")
    deltas: dict[tuple[int, int, int], int] = defaultdict(int)
    lot_ids: dict[tuple[int, int, int], int | None] = {}
    daily: dict[tuple[int, int, date], int] = defaultdict(int)
    per_day: dict[tuple[int, date, int, int, str], int] = defaultdict(int)
    for m in everything:
        if m.is_distribution and m.aggregate:
            daily[(m.site_id, m.item_id, m.occurred_on)] -= m.quantity
    for m in moves:
        key = (m.site_id, m.item_id, m.lot_id or 0)
        deltas[key] += m.quantity
        lot_ids[key] = m.lot_id
        per_day[(m.site_id, m.occurred_on, m.item_id, m.lot_id or 0, m.kind)] += m.quantity
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
    plain: list[dict[str, Any]] = []
    strict: list[tuple[tuple[int, int, int], list[dict[str, Any]]]] = []
    for key in sorted(deltas):
        site_id, item_id, lot_key = key
        if refuse_short and deltas[key] < 0:
            strict.append((key, plain))  # the plain rows sorted before this key go first
            plain = []
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
    daily_rows = [
        {"site_id": s, "item_id": i, "day": d, "quantity": q}
        for (s, i, d), q in sorted(daily.items())
        if q
    ]
    monthly: dict[tuple[int, int, date], int] = defaultdict(int)
    for (s, i, d), q in daily.items():
        monthly[(s, i, d.replace(day=1))] += q
    monthly_rows = [
        {"site_id": s, "item_id": i, "month": m, "quantity": q}
        for (s, i, m), q in sorted(monthly.items())
        if q
    ]
    stock_daily_rows = [
        {"site_id": s, "day": d, "item_id": i, "lot_key": k, "kind": kind,
         "lot_id": k or None, "quantity": q}
        for (s, d, i, k, kind), q in sorted(per_day.items())
        if q
    ]  # fmt: skip
    per_month: dict[tuple[int, date, int, int, str], int] = defaultdict(int)
    for (s, d, i, k, kind), q in per_day.items():
        per_month[(s, d.replace(day=1), i, k, kind)] += q
    stock_monthly_rows = [
        {"site_id": s, "month": m, "item_id": i, "lot_key": k, "kind": kind,
         "lot_id": k or None, "quantity": q}
        for (s, m, i, k, kind), q in sorted(per_month.items())
        if q
    ]  # fmt: skip
    upserts = [
        Counter(StockBalance, _BALANCE_KEYS, "quantity", plain),
        Counter(StockDaily, STOCK_DAILY_KEYS, "quantity", stock_daily_rows),
        Counter(StockMonthly, STOCK_MONTHLY_KEYS, "quantity", stock_monthly_rows),
        Counter(DistributionDaily, ("site_id", "item_id", "day"), "quantity", daily_rows),
        Counter(DistributionMonthly, ("site_id", "item_id", "month"), "quantity", monthly_rows),
        *counters,
    ]
    # One multi-row INSERT (SQLAlchemy's insertmanyvalues) takes ascending ids in row order on
    # both databases; sorting undoes RETURNING's free order.
    ids = sorted(db.session.execute(_INSERT_MOVEMENTS, rows).scalars()) if rows else []
    # The hot rows (balances, aggregates) are touched last, so their row locks are held
    # for as short a time as possible before the caller commits.
    for (site_id, item_id, lot_key), before in strict:
        upsert_add(StockBalance, _BALANCE_KEYS, "quantity", before)
        move_balance(
            site_id,
            item_id,
            lot_ids[(site_id, item_id, lot_key)],
            deltas[(site_id, item_id, lot_key)],
            (labels or {}).get(item_id, ""),
        )
    for counter in upserts:
        upsert_add(counter.model, counter.keys, counter.column, counter.rows)
    negative = sorted(key for key, delta in deltas.items() if delta < 0)
    if negative and not refuse_short:  # invariant 2: what went below zero is flagged for the lead
        now, day = utcnow(), today()
        db.session.execute(
            _FLAG_NEGATIVE,
            [
                {"detected_on": day, "detected_at": now, "site_id": s, "item_id": i, "lot_key": k}
                for s, i, k in negative
            ],
        )
    return ids


@dataclass(frozen=True)
class Counter:
    """Rows to add to a counter table: INSERT ... ON CONFLICT (keys) DO UPDATE column + n."""

    model: type[Base]
    keys: tuple[str, ...]
    column: str
    rows: list[dict[str, Any]]


# Invariant 2: a balance the posting took below zero opens a negative-balance discrepancy
# unless one is open for that key. One INSERT ... SELECT per key; concurrent posters of a key
# queue on its balance row (locked by the upsert before it), so the NOT EXISTS sees the
# other's discrepancy once it has committed.
_FLAG_NEGATIVE = text(
    "INSERT INTO discrepancy (site_id, item_id, lot_id, kind, quantity, detected_on, detected_at)"
    " SELECT b.site_id, b.item_id, b.lot_id, 'negative_balance', b.quantity,"
    " :detected_on, :detected_at FROM stock_balance b"
    " WHERE b.site_id = :site_id AND b.item_id = :item_id AND b.lot_key = :lot_key"
    " AND b.quantity < 0 AND NOT EXISTS (SELECT 1 FROM discrepancy d"
    " WHERE d.kind = 'negative_balance' AND d.resolved_at IS NULL AND d.site_id = b.site_id"
    " AND d.item_id = b.item_id AND coalesce(d.lot_id, 0) = b.lot_key)"
).bindparams(
    bindparam("detected_on", type_=Date),
    bindparam("detected_at", type_=UTCDateTime),
    bindparam("site_id", type_=Integer),
    bindparam("item_id", type_=Integer),
    bindparam("lot_key", type_=Integer),
)


def post_select(
    actor: Actor,
    moves: Select[Any],
    totals: Select[Any] | None = None,
    *,
    counted: Select[Any] | None = None,
) -> int:
    """The bulk path of `post` for imports: movements from a SELECT, set-based; returns the count.

    `moves` yields columns named like StockMovement's (site_id, item_id, lot_id, kind,
    quantity, occurred_on, and any of reason and REFS). The movements, the balances and the
    daily aggregate are written by three INSERT ... SELECT statements, the last two as atomic
    `ON CONFLICT DO UPDATE SET quantity = quantity + excluded.quantity` in sorted key order,
    like `post`. Never refuses for stock: it is for distribution. Nothing here commits.

    `totals`, when given, yields the same movements' site_id, item_id, lot_id, kind, quantity
    and occurred_on more cheaply (the import reads its staging table rather than re-running
    the join that finds the tally ids); balances and aggregates are summed from it.
    `counted`, when given, yields the rows the distribution aggregates count instead
    (same columns): history before a site's stock start counts there without moving stock.
    """
    moved = moves.subquery()
    names = [c.name for c in moved.c]
    unknown = set(names) - set(REFS) - {
        "site_id", "item_id", "lot_id", "kind", "quantity", "occurred_on", "reason"
    }  # fmt: skip
    if unknown:
        raise ValueError(f"unknown movement columns: {sorted(unknown)}")
    recorded_at = bindparam(
        "recorded_at", utcnow(), type_=StockMovement.__table__.c.recorded_at.type
    )
    result = db.session.execute(
        insert(StockMovement).from_select(
            [*names, "recorded_at", "recorded_by_id", "token_id"],
            select(
                *moved.c,
                recorded_at,
                literal(actor.user_id),
                literal(actor.token_id, StockMovement.__table__.c.token_id.type),
            ),
        )
    )
    source = moved if totals is None else totals.subquery()
    names = [c.name for c in source.c]
    lot_key = func.coalesce(source.c.lot_id, 0)
    total = func.sum(source.c.quantity)
    balances = (
        select(source.c.site_id, source.c.item_id, lot_key, func.max(source.c.lot_id), total)
        .where(true())  # SQLite needs a WHERE before an upsert's ON CONFLICT
        .group_by(source.c.site_id, source.c.item_id, lot_key)
        .having(total != 0)
        .order_by(source.c.site_id, source.c.item_id, lot_key)
    )
    _upsert_select(
        StockBalance, ("site_id", "item_id", "lot_key"), ["lot_id", "quantity"], balances
    )
    per_day = (
        select(source.c.site_id, source.c.occurred_on, source.c.item_id, lot_key, source.c.kind,
               func.max(source.c.lot_id), total)
        .where(true())
        .group_by(source.c.site_id, source.c.occurred_on, source.c.item_id, lot_key,
                  source.c.kind)
        .having(total != 0)
        .order_by(source.c.site_id, source.c.occurred_on, source.c.item_id, lot_key,
                  source.c.kind)
    )  # fmt: skip
    _upsert_select(StockDaily, STOCK_DAILY_KEYS, ["lot_id", "quantity"], per_day)
    stock_month = _month_start(source.c.occurred_on)
    per_month = (
        select(source.c.site_id, stock_month, source.c.item_id, lot_key, source.c.kind,
               func.max(source.c.lot_id), total)
        .where(true())
        .group_by(source.c.site_id, stock_month, source.c.item_id, lot_key, source.c.kind)
        .having(total != 0)
        .order_by(source.c.site_id, stock_month, source.c.item_id, lot_key, source.c.kind)
    )  # fmt: skip
    _upsert_select(StockMonthly, STOCK_MONTHLY_KEYS, ["lot_id", "quantity"], per_month)
    if counted is not None:
        source = counted.subquery()
        names = [c.name for c in source.c]
    refs = [source.c[r] for r in DISTRIBUTION_REFS if r in names]
    is_distribution = (source.c.kind == "distribution") | (
        (source.c.kind == "correction") & (func.coalesce(*refs, None).is_not(None))
        if refs
        else literal(False)
    )
    handed_out = -func.sum(case((is_distribution, source.c.quantity), else_=0))
    daily = (
        select(source.c.site_id, source.c.item_id, source.c.occurred_on, handed_out)
        .where(true())
        .group_by(source.c.site_id, source.c.item_id, source.c.occurred_on)
        .having(handed_out != 0)
        .order_by(source.c.site_id, source.c.item_id, source.c.occurred_on)
    )
    _upsert_select(DistributionDaily, ("site_id", "item_id", "day"), ["quantity"], daily)
    month = _month_start(source.c.occurred_on)
    monthly = (
        select(source.c.site_id, source.c.item_id, month, handed_out)
        .where(true())
        .group_by(source.c.site_id, source.c.item_id, month)
        .having(handed_out != 0)
        .order_by(source.c.site_id, source.c.item_id, month)
    )
    _upsert_select(DistributionMonthly, ("site_id", "item_id", "month"), ["quantity"], monthly)
    # Session.execute is typed as returning a Result; an INSERT's is a CursorResult.
    return typing.cast(CursorResult[Any], result).rowcount


def _month_start(column: Any) -> Any:
    """The first day of a date's month, in SQL (each database spells it its own way)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _upsert_select(
    model: type[Base],
    keys: tuple[str, ...],
    rest: list[str],
    rows: Select[Any],
    column: str = "quantity",
) -> None:
    """INSERT INTO model (keys, rest) SELECT ... ON CONFLICT (keys) DO UPDATE col = col + new."""
    table = model.__table__
    stmt = _dialect_insert(table).from_select([*keys, *rest], rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={column: table.c[column] + stmt.excluded[column]},
    )
    db.session.execute(stmt)


def upsert_add_select(
    model: type[Base], keys: tuple[str, ...], column: str, rows: Select[Any]
) -> None:
    """upsert_add for rows from a SELECT (keys then the counter; give it a WHERE and ORDER BY)."""
    _upsert_select(model, keys, [column], rows, column)
