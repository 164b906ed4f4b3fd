"""verify-ledger: every figure kept beside the ledger, compared with what the ledger says.

Two kinds of figures are checked. Derived tables (balances, the daily and monthly
distribution aggregates, contacts per day) are recomputed from their sources, and `rebuild`
can bring them back. Source rows whose quantities the ledger also holds (tally lines, naloxone
handouts, transfer lines, stock count variances) are only reported: which side is wrong is
for a person to decide, and a tally line is what staff entered.

Each check is one set-based statement: the stored and the derived figures as one UNION ALL,
summed per key, keeping only the keys where they differ (a missing row counts as 0). Only the
differences come back to Python, however large the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, Select, case, cast, func, literal_column, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    Item,
    Lot,
    NaloxoneHandout,
    OverdoseEvent,
    Site,
    StockBalance,
    StockCount,
    StockCountLine,
    StockDaily,
    StockMonthly,
    StockMovement,
    TallyEntry,
    TallyLine,
    Transfer,
    TransferLine,
)
from tracker.services.unit import commit, service

M = StockMovement


@dataclass(frozen=True)
class Mismatch:
    """One figure that differs: stored in `table` under `key`, and what the ledger makes it."""

    table: str
    key: tuple[Any, ...]
    stored: int
    from_ledger: int
    label: str = ""  # the key in words: site and item codes, lot number, day


@dataclass(frozen=True)
class Check:
    """A stored figure and its derivation; both selects give the key columns, then quantity."""

    table: str
    key: tuple[str, ...]
    stored: Callable[[], Select[Any]]
    derived: Callable[[], Select[Any]]


@dataclass
class Rebuilt:
    """What `rebuild` changed (derived tables), and the source rows it only reports."""

    changed: list[Mismatch]
    reported: list[Mismatch]


def _lot_key(column: Any) -> Any:
    return func.coalesce(column, 0).label("lot_key")


def _month_start(column: Any) -> Any:
    """The first day of a date's month, in SQL (each database spells it its own way)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


# What counts as handed out: distribution, and the corrections of a tally or a handout.
HANDED_OUT = (M.kind == "distribution") | (
    (M.kind == "correction") & (M.tally_id.is_not(None) | M.naloxone_handout_id.is_not(None))
)


def _ledger_balances() -> Select[Any]:
    lot_key = _lot_key(M.lot_id)
    return select(M.site_id, M.item_id, lot_key, func.sum(M.quantity).label("quantity")).group_by(
        M.site_id, M.item_id, lot_key
    )


def _ledger_stock_daily() -> Select[Any]:
    keys = [M.site_id, M.occurred_on.label("day"), M.item_id, _lot_key(M.lot_id), M.kind]
    return select(*keys, func.sum(M.quantity)).group_by(*keys)


def _ledger_stock_monthly() -> Select[Any]:
    month = _month_start(M.occurred_on).label("month")
    keys = [M.site_id, month, M.item_id, _lot_key(M.lot_id), M.kind]
    return select(*keys, func.sum(M.quantity)).group_by(*keys)


def handed_out_rows() -> Any:
    """What reports count as handed out: (site_id, item_id, day, quantity) rows.

    The ledger's distribution of entries that move stock, and the lines of entries dated
    before their site's stock start (invariant 9: they count in reports, not in stock; the
    movements such an entry had before it became history are given back, not counted).
    """
    t, h = TallyEntry, NaloxoneHandout
    history = func.coalesce(t.before_stock_start, h.before_stock_start, False)
    moved = (
        select(M.site_id, M.item_id, M.occurred_on.label("day"), (-M.quantity).label("quantity"))
        .outerjoin(t, t.id == M.tally_id)
        .outerjoin(h, h.id == M.naloxone_handout_id)
        .where(HANDED_OUT, history.is_(False))
    )
    lines = (
        select(t.site_id, TallyLine.item_id, t.entry_date, TallyLine.quantity)
        .join(TallyLine, TallyLine.tally_id == t.id)
        .where(t.before_stock_start.is_(True), t.deleted_at.is_(None))
    )
    handouts = select(h.site_id, h.item_id, h.handed_out_on, h.quantity).where(
        h.before_stock_start.is_(True)
    )
    return union_all(moved, lines, handouts).subquery()


def _ledger_daily() -> Select[Any]:
    rows = handed_out_rows()
    return select(rows.c.site_id, rows.c.item_id, rows.c.day, func.sum(rows.c.quantity)).group_by(
        rows.c.site_id, rows.c.item_id, rows.c.day
    )


def _ledger_monthly() -> Select[Any]:
    rows = handed_out_rows()
    month = _month_start(rows.c.day).label("month")
    return select(rows.c.site_id, rows.c.item_id, month, func.sum(rows.c.quantity)).group_by(
        rows.c.site_id, rows.c.item_id, month
    )


def _entry_contacts() -> Select[Any]:
    t = TallyEntry
    return (
        select(t.site_id, t.entry_date.label("day"), func.sum(t.contacts))
        .where(t.deleted_at.is_(None))
        .group_by(t.site_id, t.entry_date)
    )


def _tally_lines() -> Select[Any]:
    """A deleted entry's lines stay as they were; its movements net to 0, so it counts 0."""
    return (
        select(TallyLine.tally_id, TallyEntry.site_id, TallyLine.item_id, TallyLine.quantity)
        .join(TallyEntry, TallyEntry.id == TallyLine.tally_id)
        .where(TallyEntry.deleted_at.is_(None), TallyEntry.before_stock_start.is_(False))
    )


def _ledger_by(
    reference: Any, kinds: tuple[str, ...], *, lots: bool = False, out: bool = False
) -> Select[Any]:
    """The movements of these kinds that reference a row, summed per row, site, item (lot).

    `out` counts what left the site as positive, as tally lines and handouts record it.
    """
    keys = [reference, M.site_id, M.item_id, *([_lot_key(M.lot_id)] if lots else [])]
    total = -func.sum(M.quantity) if out else func.sum(M.quantity)
    return select(*keys, total).where(reference.is_not(None), M.kind.in_(kinds)).group_by(*keys)


def _entry_movements(reference: Any, model: Any) -> Select[Any]:
    """An entry's own movements, for entries that move stock (history entries hold none)."""
    return _ledger_by(reference, ("distribution", "correction"), out=True).where(
        reference.in_(select(model.id).where(model.before_stock_start.is_(False)))
    )


def _handouts() -> Select[Any]:
    h = NaloxoneHandout
    kept = case((h.deleted_at.is_(None), h.quantity), else_=0)  # a deleted one nets to 0
    return select(h.id, h.site_id, h.item_id, kept).where(h.before_stock_start.is_(False))


def _overdose_doses() -> Select[Any]:
    """Naloxone staff gave at an event not deleted; a deleted one's movements net to 0."""
    e = OverdoseEvent
    return select(e.id, e.site_id, e.item_id, e.naloxone_doses).where(
        e.deleted_at.is_(None),
        e.item_id.is_not(None),
        e.naloxone_doses > 0,
        e.before_stock_start.is_(False),
    )


def _transfer_lines(site: Any, quantity: Any) -> Select[Any]:
    lot_key = _lot_key(TransferLine.lot_id)
    return (
        select(TransferLine.transfer_id, site, TransferLine.item_id, lot_key, func.sum(quantity))
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .group_by(TransferLine.transfer_id, site, TransferLine.item_id, lot_key)
    )


def _shipped() -> Select[Any]:
    """Out of the sender while shipped or received; a cancelled transfer nets to 0 there."""
    kept = case((Transfer.status == "cancelled", 0), else_=TransferLine.quantity_shipped)
    return _transfer_lines(Transfer.from_site_id, kept)


def _received() -> Select[Any]:
    return _transfer_lines(Transfer.to_site_id, func.coalesce(TransferLine.quantity_received, 0))


def _count_variances() -> Select[Any]:
    lot_key = _lot_key(StockCountLine.lot_id)
    keys = [StockCountLine.count_id, StockCount.site_id, StockCountLine.item_id, lot_key]
    return (
        select(*keys, func.sum(func.coalesce(StockCountLine.variance, 0)))
        .join(StockCount, StockCount.id == StockCountLine.count_id)
        .where(StockCount.status == "closed")
        .group_by(*keys)
    )


def _rows(model: type, *columns: str) -> Callable[[], Select[Any]]:
    return lambda: select(*(getattr(model, c) for c in columns))


BALANCES = ("site_id", "item_id", "lot_key")
STOCK_DAILY = ("site_id", "day", "item_id", "lot_key", "kind")
STOCK_MONTHLY = ("site_id", "month", "item_id", "lot_key", "kind")
DAILY = ("site_id", "item_id", "day")
MONTHLY = ("site_id", "item_id", "month")
CONTACTS = ("site_id", "day")

DERIVED = (
    Check("stock_balance", BALANCES, _rows(StockBalance, *BALANCES, "quantity"), _ledger_balances),
    Check(
        "stock_daily",
        STOCK_DAILY,
        _rows(StockDaily, *STOCK_DAILY, "quantity"),
        _ledger_stock_daily,
    ),
    Check(
        "stock_monthly",
        STOCK_MONTHLY,
        _rows(StockMonthly, *STOCK_MONTHLY, "quantity"),
        _ledger_stock_monthly,
    ),
    Check("distribution_daily", DAILY, _rows(DistributionDaily, *DAILY, "quantity"), _ledger_daily),
    Check(
        "distribution_monthly",
        MONTHLY,
        _rows(DistributionMonthly, *MONTHLY, "quantity"),
        _ledger_monthly,
    ),
    Check("contacts_daily", CONTACTS, _rows(ContactsDaily, *CONTACTS, "contacts"), _entry_contacts),
)
SOURCES = (
    Check(
        "tally_line",
        ("tally_id", "site_id", "item_id"),
        _tally_lines,
        lambda: _entry_movements(M.tally_id, TallyEntry),
    ),
    Check(
        "naloxone_handout",
        ("naloxone_handout_id", "site_id", "item_id"),
        _handouts,
        lambda: _entry_movements(M.naloxone_handout_id, NaloxoneHandout),
    ),
    Check(
        "overdose_event",
        ("overdose_event_id", "site_id", "item_id"),
        _overdose_doses,
        lambda: _ledger_by(M.overdose_event_id, ("used_on_site", "correction"), out=True).where(
            M.overdose_event_id.in_(
                select(OverdoseEvent.id).where(OverdoseEvent.before_stock_start.is_(False))
            )
        ),
    ),
    Check(
        "transfer_line.shipped",
        ("transfer_id", "site_id", "item_id", "lot_key"),
        _shipped,
        lambda: _ledger_by(M.transfer_id, ("transfer_out", "correction"), lots=True, out=True),
    ),
    Check(
        "transfer_line.received",
        ("transfer_id", "site_id", "item_id", "lot_key"),
        _received,
        lambda: _ledger_by(M.transfer_id, ("transfer_in",), lots=True),
    ),
    Check(
        "stock_count_line",
        ("stock_count_id", "site_id", "item_id", "lot_key"),
        _count_variances,
        lambda: _ledger_by(M.stock_count_id, ("count_adjustment",), lots=True),
    ),
)
CHECKS = DERIVED + SOURCES


def compare(check: Check) -> list[Mismatch]:
    """The keys where the stored figure and the derived one differ, in key order."""
    zero = literal_column("0", Integer)
    width = len(check.key)
    *stored_key, stored = check.stored().subquery().c
    *derived_key, derived = check.derived().subquery().c
    both = union_all(
        select(*stored_key, stored.label("stored"), zero.label("ledger")),
        select(*derived_key, zero, derived),
    ).subquery()
    keys = list(both.c)[:width]
    stored_sum, ledger_sum = func.sum(both.c.stored), func.sum(both.c.ledger)
    rows = db.session.execute(
        select(*keys, stored_sum, ledger_sum)
        .group_by(*keys)
        .having(stored_sum != ledger_sum)
        .order_by(*keys)
    )
    return [
        Mismatch(check.table, tuple(row[:width]), int(row[width]), int(row[width + 1]))
        for row in rows
    ]


def verify() -> list[Mismatch]:
    """Every figure kept beside the ledger that differs from it (empty: all agree)."""
    return _labelled([m for check in CHECKS for m in compare(check)])


@service
def rebuild() -> Rebuilt:
    """Bring the derived tables to what the ledger says, in one transaction.

    Each differing figure moves by its difference with the same atomic upsert the ledger
    uses (`quantity = quantity + :d`), so a movement committed meanwhile is counted once.
    The source checks are run after and only reported. One audit event records the change.
    """
    changed = []
    for check in DERIVED:
        found = compare(check)
        _add_differences(check, found)
        changed += found
    reported = [m for check in SOURCES for m in compare(check)]
    if changed:
        counts = {t: sum(m.table == t for m in changed) for t in {m.table for m in changed}}
        db.session.add(
            AuditEvent(entity="ledger", entity_id="derived", action="rebuild", after=counts)
        )
    commit()
    return Rebuilt(_labelled(changed), _labelled(reported))


_COUNTERS = {
    "stock_balance": (StockBalance, "quantity"),
    "stock_daily": (StockDaily, "quantity"),
    "stock_monthly": (StockMonthly, "quantity"),
    "distribution_daily": (DistributionDaily, "quantity"),
    "distribution_monthly": (DistributionMonthly, "quantity"),
    "contacts_daily": (ContactsDaily, "contacts"),
}


def _add_differences(check: Check, found: list[Mismatch]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET column = column + the difference."""
    if not found:
        return
    model, column = _COUNTERS[check.table]
    rows = [
        {**dict(zip(check.key, m.key, strict=True)), column: m.from_ledger - m.stored}
        for m in found
    ]
    if check.table in ("stock_balance", "stock_daily", "stock_monthly"):
        for row in rows:
            row["lot_id"] = row["lot_key"] or None
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in check.key],
        set_={column: table.c[column] + stmt.excluded[column]},
    )
    db.session.execute(stmt, rows)


_NAMES = {
    "site_id": "site",
    "item_id": "item",
    "lot_key": "lot",
    "tally_id": "tally",
    "naloxone_handout_id": "handout",
    "transfer_id": "transfer",
    "stock_count_id": "count",
    "overdose_event_id": "overdose",
}


def _labelled(found: list[Mismatch]) -> list[Mismatch]:
    """The mismatches with their keys in words (site and item codes, lot numbers)."""
    if not found:
        return found
    wanted: dict[str, set[Any]] = {"site_id": set(), "item_id": set(), "lot_key": set()}
    keyed = [(dict(zip(_key_names(m.table), m.key, strict=True)), m) for m in found]
    for key, _ in keyed:
        for name, ids in wanted.items():
            if key.get(name):
                ids.add(key[name])
    codes = {
        "site_id": _codes(Site.id, Site.code, wanted["site_id"]),
        "item_id": _codes(Item.id, Item.code, wanted["item_id"]),
        "lot_key": _codes(Lot.id, Lot.lot_number, wanted["lot_key"]),
    }
    labelled = []
    for key, m in keyed:
        words = [f"{_NAMES.get(name, name)} {_shown(name, v, codes)}" for name, v in key.items()]
        labelled.append(Mismatch(m.table, m.key, m.stored, m.from_ledger, ", ".join(words)))
    return labelled


def _shown(name: str, value: Any, codes: dict[str, dict[Any, str]]) -> str:
    if name == "lot_key" and not value:
        return "-"
    if isinstance(value, date):
        return value.isoformat()
    return str(codes[name].get(value, value) if name in codes else value)


def _key_names(table: str) -> tuple[str, ...]:
    return next(check.key for check in CHECKS if check.table == table)


def _codes(id_column: Any, code_column: Any, ids: set[Any]) -> dict[Any, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(id_column, code_column).where(id_column.in_(ids)))
    return {key: code for key, code in rows.tuples()}
