"""Stock counts (varetelling): open, enter counted lines, close to write the variance.

The rule for movements entered while a count is open (e.g. the day's distribution):
the count is a snapshot taken when it is opened (`started_at`). What staff count on the
shelf is the stock at that moment; every movement recorded after it is treated as having
happened after the count. So on closing, per counted (item, lot):

    expected = sum of the ledger recorded up to `started_at`
    variance = counted - expected

and exactly `variance` is posted as one `count_adjustment` movement. Afterwards

    balance = counted + (movements recorded after `started_at`)

which is "the balance equals the count, adjusted by what happened since". A movement
belongs to the side of the snapshot its `recorded_at` falls on (a write still in flight at
the moment the count opens may land on either side: open counts at a quiet moment). Only counted
lines are adjusted; items not counted keep their balance. The expected quantity is
computed from the ledger (not the balance row), so the close needs no read-modify-write:
the adjustment is a delta that the ledger adds atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.orm import selectinload

from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import (
    Discrepancy,
    Item,
    Lot,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
)
from tracker.models.base import utcnow
from tracker.models.counts import COUNT_REASONS
from tracker.privacy import check_free_text
from tracker.services import audit, catalog, ledger, period_locks, stock_start
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, get_by_id, lock_by_id, service

MAX_LINES = 500
MAX_COUNTED = 1_000_000


def snapshot(count: StockCount) -> dict[str, Any]:
    return {
        "site": count.site.code,
        "date": count.counted_on.isoformat(),
        "status": count.status,
        "lines": [
            {
                "item": line.item.code,
                "lot": line.lot.lot_number if line.lot else None,
                "counted": line.counted_quantity,
                "expected": line.expected_quantity,
                "variance": line.variance,
                "reason": line.reason,
            }
            for line in count.lines
        ],
    }


@service
def open_count(
    actor: Actor,
    *,
    site_code: str,
    counted_on: date | None = None,
    show_expected: bool = False,
    note: str | None = None,
    idem: Idempotency | None = None,
) -> StockCount:
    """Start a count at a site (one open count per site); the snapshot is taken now."""
    # The site row is locked so that two counts opened at once cannot both find none open.
    site = require_site(actor, get_site(site_code, lock=True), "lead")
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    counted_on = check_entry_date(counted_on or today())
    period_locks.ensure_open([site.id], [counted_on])
    check_free_text("note", note)
    stock_start.begin(actor, site, counted_on)
    already = db.session.scalar(
        select(StockCount.id).where(StockCount.site_id == site.id, StockCount.status == "open")
    )
    if already is not None:
        raise Conflict(
            _l(
                "Telling %(id)s er fortsatt åpen ved %(site)s; avslutt den først.",
                id=already,
                site=site.code,
            ),
            {"site": [_l("En telling er allerede åpen.")]},
        )
    count = StockCount(
        site=site,
        counted_on=counted_on,
        status="open",
        show_expected=show_expected,
        started_by_id=actor.user_id,
        started_at=utcnow(),
        note=note,
    )
    db.session.add(count)
    db.session.flush()
    audit.record(actor, "stock_count", count.id, "open", site_id=site.id, after=snapshot(count))
    commit(idem, count)
    return count


def _get(count_id: int, lock: bool = False) -> StockCount:
    if lock:
        count = lock_by_id(StockCount, count_id, selectinload(StockCount.lines))
    else:
        count = get_by_id(StockCount, count_id)
    if count is None:
        raise NotFound(_l("Det finnes ingen varetelling %(id)s.", id=count_id))
    return count


def get_count(actor: Actor, count_id: int, *, lock: bool = False) -> StockCount:
    """One count; an open count the lead chose to show carries its snapshot quantities.

    lock=True for a change: the count is locked and read fresh, so its lines and status
    are the committed ones (entering lines and closing wait for each other).
    """
    count = _get(count_id, lock)
    if not can(actor, count.site):
        raise NotFound(_l("Det finnes ingen varetelling %(id)s.", id=count_id))
    # a plain attribute, not a column: read by the response schema, never written
    count.shown_expected = (  # type: ignore[attr-defined]
        expected_at_snapshot(count) if count.status == "open" and count.show_expected else {}
    )
    return count


def counts_query(
    actor: Actor, *, site: str | None = None, status: str | None = None
) -> Select[tuple[StockCount]]:
    ids = [require_site(actor, get_site(site)).id] if site else visible_site_ids(actor)
    query = select(StockCount).where(StockCount.site_id.in_(ids))
    if status:
        query = query.where(StockCount.status == status)
    return query.order_by(StockCount.id.desc())


def recent(actor: Actor, limit: int = 50) -> list[StockCount]:
    """The latest counts at the sites the actor sees, for the list page."""
    return list(db.session.scalars(counts_query(actor).limit(limit)))


def _resolve(lines: list[dict[str, Any]]) -> list[tuple[Item, Lot | None, int]]:
    if len(lines) > MAX_LINES:
        raise ValidationError(_l("Høyst %(n)s linjer.", n=MAX_LINES), {"lines": [_l("For mange.")]})
    items = catalog.items_by_code([line["item"] for line in lines])
    seen: set[tuple[int, int | None]] = set()
    resolved: list[tuple[Item, Lot | None, int]] = []
    for index, line in enumerate(lines):
        where: dict[str, Any] = {"lines": {str(index): {}}}
        item = items.get(line["item"]) or catalog.get_item(
            line["item"], field=f"lines.{index}.item"
        )
        quantity = line["quantity"]
        if not 0 <= quantity <= MAX_COUNTED:
            where["lines"][str(index)]["quantity"] = [_l("Utenfor tillatt område.")]
            raise ValidationError(_l("Talte antall er 0 eller mer."), where)
        lot = None
        if item.tracks_lots:
            if not line.get("lot"):
                where["lines"][str(index)]["lot"] = [_l("Må fylles ut for denne varen.")]
                raise ValidationError(_l("Tell %(item)s per parti.", item=item.code), where)
            lot = catalog.find_lot(item, line["lot"])
            if lot is None:
                where["lines"][str(index)]["lot"] = [_l("Ukjent parti.")]
                raise ValidationError(
                    _l(
                        "Det finnes ikke noe parti %(lot)s av %(item)s.",
                        lot=line["lot"],
                        item=item.code,
                    ),
                    where,
                )
        elif line.get("lot"):
            where["lines"][str(index)]["lot"] = [_l("Varen føres ikke med parti.")]
            raise ValidationError(_l("Varen %(item)s føres ikke med parti.", item=item.code), where)
        key = (item.id, lot.id if lot else None)
        if key in seen:
            where["lines"][str(index)]["item"] = [_l("Varen står to ganger.")]
            raise ValidationError(
                _l("%(item)s er talt to ganger; før den én gang.", item=item.code), where
            )
        seen.add(key)
        resolved.append((item, lot, quantity))
    return resolved


@service
def set_lines(actor: Actor, count_id: int, lines: list[dict[str, Any]]) -> StockCount:
    """Replace the counted lines of an open count (what is not listed is not counted)."""
    count = get_count(actor, count_id, lock=True)
    require_site(actor, count.site, "lead")
    resolved = _resolve(lines)
    if count.status != "open":
        raise Conflict(_l("Varetelling %(id)s er avsluttet.", id=count.id))
    before = snapshot(count)
    # Lines are changed in place, so a line keeps its id (closing names lines by id).
    existing = {(line.item_id, line.lot_id): line for line in count.lines}
    kept = []
    for item, lot, q in resolved:
        line = existing.get((item.id, lot.id if lot else None))
        if line is None:
            line = StockCountLine(item=item, lot=lot, counted_quantity=q)
        line.counted_quantity = q
        kept.append(line)
    count.lines = kept
    db.session.flush()
    audit.record(
        actor,
        "stock_count",
        count.id,
        "lines",
        site_id=count.site_id,
        before=before,
        after=snapshot(count),
    )
    commit()
    return count


def expected_at_snapshot(count: StockCount) -> dict[tuple[int, int | None], int]:
    """The ledger per (item, lot) at the site as recorded up to the count's snapshot."""
    rows = db.session.execute(
        select(StockMovement.item_id, StockMovement.lot_id, func.sum(StockMovement.quantity))
        .where(
            StockMovement.site_id == count.site_id,
            StockMovement.recorded_at <= count.started_at,
        )
        .group_by(StockMovement.item_id, StockMovement.lot_id)
    )
    return {(item_id, lot_id): int(q) for item_id, lot_id, q in rows}


@dataclass
class Variance:
    """A counted line that differs from what the ledger expected at the snapshot."""

    line: StockCountLine
    expected: int

    @property
    def variance(self) -> int:
        return self.line.counted_quantity - self.expected


def variances(count: StockCount) -> list[Variance]:
    """The counted lines that differ from the snapshot: each needs a reason to close."""
    expected = expected_at_snapshot(count)
    found = [Variance(line, expected.get((line.item_id, line.lot_id), 0)) for line in count.lines]
    return [v for v in found if v.variance]


def _check_reasons(differ: list[Variance], reasons: dict[int, str], count: StockCount) -> None:
    """Refuse (409, nothing written) while a differing line has no reason; 422 for a reason
    that is not one of COUNT_REASONS or names a line that is not on the count."""
    ids = {line.id for line in count.lines}
    for line_id, reason in reasons.items():
        if line_id not in ids:
            raise ValidationError(
                _l("Linje %(id)s hører ikke til tellingen.", id=line_id),
                {"reasons": {str(line_id): [_l("Ukjent linje.")]}},
            )
        if reason not in COUNT_REASONS:
            raise ValidationError(
                _l("Ukjent grunn: %(reason)s.", reason=reason),
                {"reasons": {str(line_id): [_l("Ukjent grunn.")]}},
            )
    missing = [v for v in differ if v.line.id not in reasons]
    if missing:
        raise Conflict(
            _l(
                "%(n)s linjer avviker fra forventet beholdning; oppgi en grunn for hver "
                "(damaged, expired, lost, stolen, counting_error, found, other) og avslutt igjen.",
                n=len(missing),
            ),
            {
                "reasons": {
                    str(v.line.id): [
                        _l(
                            "%(item)s%(lot)s: talt %(counted)s, forventet %(expected)s "
                            "(avvik %(variance)s).",
                            item=v.line.item.code,
                            lot=" (" + v.line.lot.lot_number + ")" if v.line.lot else "",
                            counted=v.line.counted_quantity,
                            expected=v.expected,
                            variance=v.variance,
                        )
                    ]
                    for v in missing
                }
            },
            code="count-reasons-required",
        )


@service
def close(
    actor: Actor,
    count_id: int,
    *,
    note: str | None = None,
    reasons: dict[int, str] | None = None,
) -> StockCount:
    """Close the count: post exactly the variance per line and record it as a discrepancy.

    Every line that differs from the snapshot needs a reason (COUNT_REASONS): without one,
    nothing is written and the 409 lists the lines, so the lead can give them and close.
    """
    count = get_count(actor, count_id, lock=True)
    require_site(actor, count.site, "lead")
    check_free_text("note", note)
    period_locks.ensure_open([count.site_id], [count.counted_on])
    if count.status != "open":
        raise Conflict(_l("Varetelling %(id)s er allerede avsluttet.", id=count.id))
    if not count.lines:
        raise ValidationError(
            _l("Før inn de talte linjene før du avslutter."), {"lines": [_l("Tom.")]}
        )
    reasons = reasons or {}
    differ = variances(count)
    _check_reasons(differ, reasons, count)
    claim = (
        update(StockCount.__table__)
        .where(StockCount.id == count.id, StockCount.status == "open")
        .values(status="closed")
    )
    # Session.execute is typed as returning a Result; an UPDATE's is a CursorResult.
    done = cast(CursorResult[Any], db.session.execute(claim)).rowcount
    if done != 1:
        raise Conflict(_l("Varetelling %(id)s er allerede avsluttet.", id=count.id))
    expected = {v.line.id: v.expected for v in differ}
    moves = []
    for line in count.lines:
        line.expected_quantity = expected.get(line.id, line.counted_quantity)
        line.variance = line.counted_quantity - line.expected_quantity
        if line.variance:
            line.reason = reasons[line.id]
            db.session.add(
                Discrepancy(
                    site_id=count.site_id,
                    item_id=line.item_id,
                    lot_id=line.lot_id,
                    kind="count_variance",
                    quantity=line.variance,
                    detected_on=count.counted_on,
                    stock_count_id=count.id,
                    reason=line.reason,
                )
            )
            moves.append(
                ledger.Move(
                    count.site_id,
                    line.item_id,
                    line.lot_id,
                    "count_adjustment",
                    line.variance,
                    count.counted_on,
                    reason=line.reason,
                    refs={"stock_count_id": count.id},
                )
            )
    count.status = "closed"
    count.closed_by_id = actor.user_id
    count.closed_at = utcnow()
    if note:
        count.note = f"{count.note}\n{note}" if count.note else note
    db.session.flush()
    audit.record(
        actor,
        "stock_count",
        count.id,
        "close",
        site_id=count.site_id,
        before={"status": "open"},
        after=snapshot(count),
    )
    ledger.post(actor, moves)
    commit()
    return count


@service
def cancel(actor: Actor, count_id: int) -> StockCount:
    """Give up an open count without touching stock."""
    count = get_count(actor, count_id)
    require_site(actor, count.site, "lead")
    claim = (
        update(StockCount.__table__)
        .where(StockCount.id == count.id, StockCount.status == "open")
        .values(status="cancelled")
    )
    # Session.execute is typed as returning a Result; an UPDATE's is a CursorResult.
    done = cast(CursorResult[Any], db.session.execute(claim)).rowcount
    if done != 1:
        raise Conflict(_l("Varetelling %(id)s er ikke åpen.", id=count.id))
    count.status = "cancelled"
    audit.record(actor, "stock_count", count.id, "cancel", site_id=count.site_id)
    commit()
    return count


def sheet(count: StockCount) -> list[dict[str, Any]]:
    """The rows to count: every active item, and each lot with stock (or already counted).

    `expected` is the snapshot quantity, given only when the count shows expected quantities
    or is closed.
    """
    balances = db.session.execute(
        select(StockBalance.item_id, StockBalance.lot_id).where(
            StockBalance.site_id == count.site_id, StockBalance.quantity != 0
        )
    ).all()
    counted = {(line.item_id, line.lot_id): line for line in count.lines}
    show = count.show_expected or count.status == "closed"
    expected = expected_at_snapshot(count) if show else {}
    keys = {(i, lot) for i, lot in balances if lot is not None} | set(counted)
    items = catalog.list_items(active=True)
    lots = {
        lot.id: lot
        for lot in db.session.scalars(select(Lot).where(Lot.id.in_([k[1] for k in keys if k[1]])))
    }
    rows = []
    for item in items:
        item_lots = sorted(
            (lots[lot_id] for item_id, lot_id in keys if item_id == item.id and lot_id),
            key=lambda lot: (lot.expiry or date.max, lot.id),
        )
        targets: list[Lot | None] = list(item_lots) if item.tracks_lots else [None]
        for lot in targets:
            line = counted.get((item.id, lot.id if lot else None))
            rows.append(
                {
                    "item": item,
                    "lot": lot,
                    "counted": line.counted_quantity if line else None,
                    "expected": expected.get((item.id, lot.id if lot else None), 0)
                    if show
                    else None,
                    "variance": line.variance if line else None,
                }
            )
    return rows
