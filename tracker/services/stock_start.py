"""Each site's stock start (invariant 9): history before it counts in reports, not in stock.

A site's stock start is the date of its first receipt, transfer in or stock count in the
tracker, or an earlier date a lead sets. Receipts, transfers, counts and discards cannot be
dated before it. Distribution dated before it is kept (entries with lines, aggregates) but
writes no movement; such entries carry `before_stock_start`, which always equals
"dated before the site's stock start": whenever the start is set or moved, the entries it
passes over are given back to stock or brought into it, with corrections (append-only).

How an entry's stock effect is kept right when it changes side:
- into the history (start set later than it): one correction per item and lot without a
  reference gives back what the entries took, dated the day before the start;
- out of it (start moved earlier, or its date moved after the start): the movements it
  still has in the ledger (from before it was history) are reversed by reference, dated
  as they were, and the give-back is taken back; then its lines are written as
  distribution. So each entry's own movements always sum to its lines, or to nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import (
    NaloxoneHandout,
    OverdoseEvent,
    Site,
    StockMovement,
    TallyEntry,
    TallyLine,
)
from tracker.services import audit, ledger
from tracker.services.access import Actor, get_site, require_site
from tracker.services.unit import commit, service

GIVE_BACK = "Lagerstart: utdeling før lagerstart gitt tilbake"
TAKE_BACK = "Lagerstart flyttet: utdeling regnes med i lageret"
M = StockMovement


def is_before(site: Site, day: date) -> bool:
    """Whether distribution dated `day` at the site is history (moves no stock)."""
    return site.stock_start is not None and day < site.stock_start


def check_date(site: Site, day: date, field: str = "date") -> None:
    """Receipts, transfers, counts and discards are refused before the stock start (409)."""
    if site.stock_start is not None and day < site.stock_start:
        raise Conflict(
            _l(
                "Lageret på %(site)s føres fra lagerstart %(start)s; %(day)s er før det. "
                "En stedsleder kan sette en tidligere lagerstart på lagersiden.",
                site=site.code,
                start=site.stock_start.strftime("%d.%m.%Y"),
                day=day.strftime("%d.%m.%Y"),
            ),
            {field: [_l("Før lagerstart.")]},
            code="before-stock-start",
        )


def begin(actor: Actor, site: Site, day: date, field: str = "date") -> None:
    """Before a receipt, transfer in or count: refuse it before the start, or start here.

    A site without a stock start gets `day` (a conditional UPDATE, so two first receipts
    racing set it once; the loser re-reads it and is checked against it).
    """
    if site.stock_start is None:
        moved = db.session.execute(
            update(Site)
            .where(Site.id == site.id, Site.stock_start.is_(None))
            .values(stock_start=day)
        )
        db.session.expire(site, ["stock_start"])
        if moved.rowcount:  # type: ignore[attr-defined]
            _give_back(actor, site, day)
            return
    check_date(site, day, field)


def _give_back(actor: Actor, site: Site, start: date) -> None:
    """Entries dated before `start` become history: their stock comes back, they are flagged."""
    taken: dict[tuple[int, int | None], int] = defaultdict(int)
    lines = db.session.execute(
        select(TallyLine.item_id, TallyLine.lot_id, func.sum(TallyLine.quantity))
        .join(TallyEntry, TallyEntry.id == TallyLine.tally_id)
        .where(
            TallyEntry.site_id == site.id,
            TallyEntry.entry_date < start,
            TallyEntry.deleted_at.is_(None),
            TallyEntry.before_stock_start.is_(False),
        )
        .group_by(TallyLine.item_id, TallyLine.lot_id)
    )
    h = NaloxoneHandout
    handouts = db.session.execute(
        select(h.item_id, h.lot_id, func.sum(h.quantity))
        .where(h.site_id == site.id, h.handed_out_on < start, h.before_stock_start.is_(False))
        .group_by(h.item_id, h.lot_id)
    )
    e = OverdoseEvent
    used = db.session.execute(
        select(e.item_id, e.lot_id, func.sum(e.naloxone_doses))
        .where(
            e.site_id == site.id,
            e.event_date < start,
            e.deleted_at.is_(None),
            e.before_stock_start.is_(False),
            e.item_id.is_not(None),
        )
        .group_by(e.item_id, e.lot_id)
    )
    for item_id, lot_id, quantity in [*lines, *handouts, *used]:
        taken[(item_id, lot_id)] += int(quantity)
    day = start - timedelta(days=1)
    ledger.post(
        actor,
        [
            ledger.Move(site.id, i, lot, "correction", q, day, GIVE_BACK, aggregate=False)
            for (i, lot), q in sorted(taken.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
        ],
    )
    for model, column in (
        (TallyEntry, TallyEntry.entry_date),
        (h, h.handed_out_on),
        (e, e.event_date),
    ):
        db.session.execute(
            update(model)
            .where(model.site_id == site.id, column < start, model.before_stock_start.is_(False))
            .values(before_stock_start=True)
        )


def _given_back_on(site_id: int) -> date | None:
    """The day the site's history was given back (one day before its first stock start)."""
    return db.session.scalar(
        select(func.max(M.occurred_on)).where(
            M.site_id == site_id, M.kind == "correction", M.reason == GIVE_BACK
        )
    )


def bring_in(
    site_id: int,
    *,
    tally_ids: list[int] = (),  # type: ignore[assignment]
    handout_ids: list[int] = (),  # type: ignore[assignment]
    overdose_ids: list[int] = (),  # type: ignore[assignment]
) -> list[ledger.Move]:
    """For history entries leaving the history: reverse what they still hold in the ledger.

    Returns the reversing moves (by reference, dated as the movements) and the take-back of
    their give-back; the caller adds the entries' lines as distribution.
    """
    moves: list[ledger.Move] = []
    given_back_on = None
    for column, ids in (
        (M.tally_id, tally_ids),
        (M.naloxone_handout_id, handout_ids),
        (M.overdose_event_id, overdose_ids),
    ):
        if not ids:
            continue
        rows = db.session.execute(
            select(column, M.item_id, M.lot_id, M.occurred_on, func.sum(M.quantity))
            .where(column.in_(ids))
            .group_by(column, M.item_id, M.lot_id, M.occurred_on)
            .having(func.sum(M.quantity) != 0)
        ).all()
        if rows and given_back_on is None:
            given_back_on = _given_back_on(site_id) or today()
        ref = column.key
        for entry_id, item_id, lot_id, day, held in rows:
            moves.append(
                ledger.Move(site_id, item_id, lot_id, "correction", -int(held), day, TAKE_BACK,
                            refs={ref: entry_id}, aggregate=False)
            )  # fmt: skip
            assert given_back_on is not None
            moves.append(
                ledger.Move(site_id, item_id, lot_id, "correction", int(held), given_back_on,
                            TAKE_BACK, aggregate=False)
            )  # fmt: skip
    return moves


def _convert(actor: Actor, site: Site, new: date, old: date) -> int:
    """History entries dated in [new, old) move stock from now on; returns how many."""
    tallies = list(
        db.session.scalars(
            select(TallyEntry).where(
                TallyEntry.site_id == site.id,
                TallyEntry.entry_date >= new,
                TallyEntry.entry_date < old,
                TallyEntry.before_stock_start.is_(True),
            )
        )
    )
    h = NaloxoneHandout
    handouts = list(
        db.session.scalars(
            select(h).where(
                h.site_id == site.id,
                h.handed_out_on >= new,
                h.handed_out_on < old,
                h.before_stock_start.is_(True),
            )
        )
    )
    e = OverdoseEvent
    events = list(
        db.session.scalars(
            select(e).where(
                e.site_id == site.id,
                e.event_date >= new,
                e.event_date < old,
                e.before_stock_start.is_(True),
            )
        )
    )
    moves = bring_in(
        site.id,
        tally_ids=[t.id for t in tallies],
        handout_ids=[x.id for x in handouts],
        overdose_ids=[x.id for x in events],
    )
    for tally in tallies:
        if tally.deleted_at is None:
            moves += [
                ledger.Move(site.id, line.item_id, line.lot_id, "distribution", -line.quantity,
                            tally.entry_date, TAKE_BACK, refs={"tally_id": tally.id},
                            aggregate=False)
                for line in tally.lines
            ]  # fmt: skip
        tally.before_stock_start = False
    for handout in handouts:
        moves.append(
            ledger.Move(site.id, handout.item_id, handout.lot_id, "distribution",
                        -handout.quantity, handout.handed_out_on, TAKE_BACK,
                        refs={"naloxone_handout_id": handout.id}, aggregate=False)
        )  # fmt: skip
        handout.before_stock_start = False
    for event in events:
        if event.deleted_at is None and event.naloxone_doses and event.item_id is not None:
            moves.append(
                ledger.Move(site.id, event.item_id, event.lot_id, "used_on_site",
                            -event.naloxone_doses, event.event_date, TAKE_BACK,
                            refs={"overdose_event_id": event.id})
            )  # fmt: skip
        event.before_stock_start = False
    db.session.flush()
    ledger.post(actor, moves)
    return len(tallies) + len(handouts) + len(events)


def _first_stock_date(site_id: int) -> date | None:
    """The earliest movement that is not distribution (receipt, transfer, count, discard)."""
    return db.session.scalar(
        select(func.min(M.occurred_on)).where(
            M.site_id == site_id,
            M.kind.in_(("receipt", "transfer_in", "transfer_out", "count_adjustment", "discard")),
        )
    )


@service
def set_start(actor: Actor, site_code: str, start: date) -> Site:
    """A lead sets the site's stock start (the stock page's form)."""
    site = get_site(site_code, lock=True)
    require_site(actor, site, "lead")
    move(actor, site, start)
    commit()
    return site


def move(actor: Actor, site: Site, start: date) -> None:
    """Set the (locked) site's stock start: earlier than it is, or first; never after stock.

    Moving it later would make received stock history; that is refused (409). Entries the
    change passes over are brought into stock or given back (see the module's docstring).
    Nothing here commits.
    """
    require_site(actor, site, "lead")
    check_entry_date(start, "stock_start")
    if start > today():
        raise ValidationError(
            _l("Lagerstart kan ikke være etter i dag."), {"stock_start": [_l("Etter i dag.")]}
        )
    old = site.stock_start
    if old == start:
        return
    first = _first_stock_date(site.id)
    if (old is not None and start > old) or (first is not None and start > first):
        raise Conflict(
            _l(
                "Lagerstart kan bare flyttes tidligere: lageret på %(site)s er ført fra %(start)s.",
                site=site.code,
                start=(old or first or start).strftime("%d.%m.%Y"),
            ),
            {"stock_start": [_l("Etter første lagerbevegelse.")]},
            code="stock-start-later",
        )
    site.stock_start = start
    db.session.flush()
    if old is None:
        _give_back(actor, site, start)
        brought = 0
    else:
        brought = _convert(actor, site, start, old)
    audit.record(
        actor,
        "site",
        site.id,
        "stock-start",
        site_id=site.id,
        before={"stock_start": old.isoformat() if old else None},
        after={"stock_start": start.isoformat(), "entries_brought_in": brought},
    )
