"""Daily distribution entries (tallies): saving writes distribution, editing writes corrections."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, insert, select
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload

from tracker.database import reads_first
from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    Item,
    Lot,
    NaloxoneHandout,
    Site,
    SiteItem,
    StockMovement,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.models.base import utcnow
from tracker.privacy import check_free_text
from tracker.services import (
    audit,
    backdating,
    catalog,
    discrepancies,
    ledger,
    lots,
    period_locks,
    plausibility,
    stock,
    stock_start,
)
from tracker.services.access import Actor, get_site, require_site, visible_site_ids
from tracker.services.unit import (
    Idempotency,
    commit,
    get_by_id,
    lock_by_id,
    remember,
    replayed,
    service,
)

MAX_CONTACTS = 10_000


def snapshot(tally: TallyEntry) -> dict[str, Any]:
    return {
        "site": tally.site.code,
        "date": tally.entry_date.isoformat(),
        "contacts": tally.contacts,
        "note": tally.note,
        "lines": {line.item.code: line.quantity for line in tally.lines},
    }


def _contacts(site_id: int, day: date, delta: int) -> tuple[ledger.Counter, ...]:
    """The contacts counter change, to post with the entry's movements (same round trip)."""
    if not delta:
        return ()
    row = {"site_id": site_id, "day": day, "contacts": delta}
    return (ledger.Counter(ContactsDaily, ("site_id", "day"), "contacts", [row]),)


def _bump_contacts(site_id: int, day: date, delta: int) -> None:
    for counter in _contacts(site_id, day, delta):
        ledger.upsert_add(counter.model, counter.keys, counter.column, counter.rows)


def _fresh(query: Select[Any]) -> Select[Any]:
    """Rows as they are in the database now, even if the session holds them already."""
    return query.execution_options(populate_existing=True)


def _resolve_lines(
    site_id: int, on: date, lines: list[dict[str, Any]], kept: tuple[int, ...] = ()
) -> list[tuple[Item, Any, int]]:
    """Check the lines: (item, named lot or None, quantity) for each non-zero line.

    An item the site has turned off is refused, except one in `kept` (already on the entry
    being changed, so an old entry can still be corrected)."""
    if not lines:
        raise ValidationError(_l("En registrering må ha minst én linje."), {"lines": [_l("Tom.")]})
    stock.check_lines_unique(lines)
    codes = [line["item"] for line in lines]
    # One query: the items and whether this site turned each off (no site_item row means on).
    rows = db.session.execute(
        _fresh(
            select(Item, SiteItem.active)
            .outerjoin(SiteItem, and_(SiteItem.item_id == Item.id, SiteItem.site_id == site_id))
            .where(Item.code.in_(codes))
        )
    ).all()
    items = {i.code: i for i, _ in rows}
    off = {i.id for i, active in rows if active is False} - set(kept)
    resolved = []
    for index, line in enumerate(lines):
        item = items.get(line["item"]) or catalog.get_item(
            line["item"], field=f"lines.{index}.item"
        )
        where: dict[str, dict[str, dict[str, list[str]]]] = {"lines": {str(index): {"item": []}}}
        if not item.active:
            where["lines"][str(index)]["item"] = [_l("Varen er ikke i bruk.")]
            raise ValidationError(
                _l("Varen %(item)s er ikke lenger i bruk.", item=item.code), where
            )
        if item.id in off:
            where["lines"][str(index)]["item"] = [_l("Stedet deler ikke ut denne varen.")]
            raise ValidationError(
                _l(
                    "Linje %(line)s: stedet deler ikke ut %(item)s (slått av i stedets varer).",
                    line=index + 1,
                    item=item.code,
                ),
                where,
                code="item-off-at-site",
            )
        if item.category == "naloxone":
            where["lines"][str(index)]["item"] = [_l("Før nalokson som naloksonutdeling.")]
            raise ValidationError(
                _l("Nalokson føres som naloksonutdeling, med programmets felt."), where
            )
        if line["quantity"] == 0:
            continue
        lot = None  # for a lot item: first expiry, first out, split when booked (_book)
        if item.tracks_lots and line.get("lot"):
            lot = stock.resolve_lot(item, line["lot"], None, index)
            stock.check_lot_usable(item, lot, on)
        elif line.get("lot"):
            where["lines"][str(index)] = {"lot": [_l("Varen føres ikke med parti.")]}
            raise ValidationError(
                _l("Varen %(item)s føres ikke med parti.", item=item.code), where, code="no-lots"
            )
        resolved.append((item, lot, line["quantity"]))
    return resolved


# (item id, lot id, day) -> quantity an entry holds: what its movements net to
Booked = dict[tuple[int, int | None, date], int]


@dataclass
class Booking:
    """The lots an entry's lines take (a lot item's line may be split over several lots)."""

    quantities: Booked
    foreign: list[tuple[int, Any, int]]  # (item id, lot never held here, quantity)
    known: dict[int, Lot] = field(default_factory=dict)  # lots already loaded, by id

    def first_lot(self, item_id: int) -> int | None:
        return lots.first_lot(
            {(lot_id, day): q for (i, lot_id, day), q in self.quantities.items() if i == item_id},
            self.known,
        )


def _book(
    site_id: int,
    day: date,
    resolved: list[tuple[Item, Any, int]],
    old: Booked | None = None,
    old_day: date | None = None,
) -> Booking:
    """Which lots the lines take: a lot item's line first expiry, first out, split across
    lots (services/lots.py); a changed entry keeps its split where the line did not change.

    Lot items lock their balance rows here: call after the reads (reads_first), in the
    writing transaction."""
    booked: Booked = {}
    foreign: list[tuple[int, Any, int]] = []
    # Every lot item's balances are read (and locked) in one query, in (item, lot) order
    # like the ledger's own updates, so entries listing items in other orders cannot
    # deadlock; their unexpired lots in one more.
    pre = lots.prefetch(site_id, [i for i, _, _ in resolved], day)
    known = dict(pre.lots)
    for item, named, quantity in resolved:
        if not item.tracks_lots:
            booked[(item.id, None, day)] = quantity
            continue
        mine = {(lot_id, d): q for (i, lot_id, d), q in (old or {}).items() if i == item.id}
        if named is not None:
            known[named.id] = named
        if old is None or old_day is None:
            allocation = lots.allocate(site_id, item, day, quantity, lot=named, pre=pre)
            taken, never = allocation.taken(day), allocation.foreign
        else:
            was = (old_day, sum(mine.values()))
            taken, never = lots.rebook(site_id, item, mine, was, (day, quantity), named, pre)
        for (lot_id, d), q in taken.items():
            booked[(item.id, lot_id, d)] = q
        foreign += [
            (item.id, lot, sum(q for (lot_id, _), q in taken.items() if lot_id == lot.id))
            for lot in never
        ]
    return Booking(booked, foreign, known)


def _flag_foreign(site_id: int, booking: Booking) -> None:
    """Lots the entry took that the site never held: one open discrepancy each (after post)."""
    for item_id, lot, quantity in booking.foreign:
        discrepancies.flag_foreign_lot(site_id, item_id, lot.id, quantity, today())


def _booked(tally_id: int) -> Booked:
    """What an entry holds of each item, lot and day now: its movements' net, negated."""
    rows = db.session.execute(
        select(
            StockMovement.item_id,
            StockMovement.lot_id,
            StockMovement.occurred_on,
            func.sum(StockMovement.quantity),
        )
        .where(StockMovement.tally_id == tally_id)
        .group_by(StockMovement.item_id, StockMovement.lot_id, StockMovement.occurred_on)
    )
    return {(i, lot_id, d): -int(q) for i, lot_id, d, q in rows if q}


def _check_contacts(contacts: int) -> None:
    if not 0 <= contacts <= MAX_CONTACTS:
        raise ValidationError(
            _l("Kontakter må være fra 0 til %(max)s.", max=MAX_CONTACTS),
            {"contacts": [_l("Utenfor tillatt område.")]},
        )


_INSERT_TALLY = insert(TallyEntry.__table__).returning(TallyEntry.__table__.c.id)
_INSERT_LINES = insert(TallyLine.__table__).returning(TallyLine.__table__.c.id)


def _insert_tally(
    actor: Actor,
    site: Site,
    entry_date: date,
    contacts: int,
    note: str | None,
    resolved: list[tuple[Item, Any, int]],
) -> TallyEntry:
    """Insert the entry and its lines with Core (two statements, no unit of work).

    The returned objects are put into the session as if loaded from the database: every
    column is set, so reading them (the response, the audit snapshot) sends no query.
    """
    values: dict[str, Any] = {
        "site_id": site.id,
        "entry_date": entry_date,
        "contacts": contacts,
        "note": note,
        "created_by_id": actor.user_id,
        "created_at": utcnow(),
        "updated_by_id": None,
        "updated_at": None,
        "deleted_by_id": None,
        "deleted_at": None,
        "import_batch_id": None,
        "granularity": "day",
        "version": 1,
        "before_stock_start": stock_start.is_before(site, entry_date),
    }
    tally_id = db.session.execute(_INSERT_TALLY, values).scalar_one()
    rows = [
        {"tally_id": tally_id, "item_id": i.id, "lot_id": lot.id if lot else None, "quantity": q}
        for i, lot, q in resolved
    ]
    # One multi-row INSERT takes ascending ids in row order (as ledger.post's movements);
    # sorting undoes RETURNING's free order.
    ids = sorted(db.session.execute(_INSERT_LINES, rows).scalars()) if rows else []
    lines = []
    for (item, lot, _), row, line_id in zip(resolved, rows, ids, strict=True):
        line = TallyLine(id=line_id, **row)
        line.item, line.lot = item, lot
        lines.append(line)
    tally = TallyEntry(id=tally_id, **values)
    tally.site, tally.lines = site, lines
    for obj in [*lines, tally]:
        make_transient_to_detached(obj)
    db.session.add(tally)  # persistent, clean: the flush has nothing to write
    return tally


@service
def create_tally(
    actor: Actor,
    *,
    site_code: str,
    entry_date: date,
    contacts: int,
    lines: list[dict[str, Any]],
    note: str | None = None,
    made_at: datetime | None = None,
    idem: Idempotency | None = None,
    unusual_confirmed: bool = True,
) -> TallyEntry:
    """Record what a site handed out; never refused for stock (a negative balance is flagged).

    A quantity far above the site's usual daily figure (services.plausibility) is refused with
    UnusualQuantity unless `unusual_confirmed` (the form asks once; the API takes it as given);
    a saved one opens a discrepancy for the lead.

    Every read and check comes first (`reads_first`: on SQLite outside the write lock); then
    the writes: entry, lines, audit event, idempotency record, and the ledger, whose hot
    balance and aggregate rows are touched last, right before the commit.
    """
    with reads_first():
        # FOR SHARE (PostgreSQL; SQLite renders none): the period lock's share on the site
        # row taken by this read, one round trip fewer (period_locks.ensure_open shared=True).
        found = db.session.scalar(
            _fresh(select(Site).where(Site.code == site_code).with_for_update(read=True))
        )
        site = found or get_site(site_code)  # NotFound
        require_site(actor, site)
        if not site.active:
            raise Conflict(
                _l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive"
            )
        check_entry_date(entry_date)
        backdating.check(actor, site, [entry_date], made_at)
        _check_contacts(contacts)
        check_free_text("note", note)
        # Every line 0 and no contacts is kept: "open, nothing handed out" is a reported 0,
        # unlike a day without an entry (the web form asks once before sending it).
        resolved = _resolve_lines(site.id, entry_date, lines)
        unusual = plausibility.find_unusual(site.id, entry_date, [(i, q) for i, _, q in resolved])
        if not unusual_confirmed:
            index = {line["item"]: n for n, line in enumerate(lines)}
            plausibility.refuse_unconfirmed(
                unusual, {u.item.id: f"lines.{index[u.item.code]}.quantity" for u in unusual}
            )
    period_locks.ensure_open([site.id], [entry_date], shared=True)
    booking = _book(site.id, entry_date, resolved)
    resolved = [
        (i, _lot(booking.first_lot(i.id)) if i.tracks_lots else lot, q) for i, lot, q in resolved
    ]
    tally = _insert_tally(actor, site, entry_date, contacts, note, resolved)
    audit.record_now(actor, "tally", tally.id, "create", site_id=site.id, after=snapshot(tally))
    plausibility.flag(unusual, site.id)
    remember(idem, tally)  # flushes; the response is complete before the ledger's hot rows
    db.session.flush()
    ledger.post(
        actor,
        [
            ledger.Move(
                site.id,
                i,
                lot_id,
                "distribution",
                -q,
                day,
                refs={"tally_id": tally.id},
                stock=not tally.before_stock_start,
            )
            for (i, lot_id, day), q in booking.quantities.items()
        ],
        counters=_contacts(site.id, entry_date, contacts),
    )
    _flag_foreign(site.id, booking)
    commit(idem, tally)
    return tally


def _original_movements(tally_id: int) -> dict[int, int]:
    """The first distribution movement per item of a tally, for corrections to reference."""
    rows = db.session.execute(
        select(StockMovement.item_id, StockMovement.id)
        .where(StockMovement.tally_id == tally_id, StockMovement.kind == "distribution")
        .order_by(StockMovement.id)
    )
    first: dict[int, int] = {}
    for item_id, movement_id in rows:
        first.setdefault(item_id, movement_id)
    return first


def _corrections(
    tally: TallyEntry,
    old: dict[tuple[int, int | None, date], int],
    new: dict[tuple[int, int | None, date], int],
    reason: str,
) -> list[ledger.Move]:
    originals = _original_movements(tally.id)
    site = tally.site
    moves = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1] or 0, k[2])):
        item_id, lot_id, day = key
        handed_out_more = new.get(key, 0) - old.get(key, 0)
        if handed_out_more:
            moves.append(
                ledger.Move(
                    tally.site_id,
                    item_id,
                    lot_id,
                    "correction",
                    -handed_out_more,
                    day,
                    reason,
                    refs={"tally_id": tally.id, "corrects_id": originals.get(item_id)},
                    # each side moves stock as its date lies (invariant 9)
                    stock=not stock_start.is_before(site, day),
                )
            )
    return moves


def _as_quantities(tally: TallyEntry) -> Booked:
    """A history entry's lines (before the stock start it has no movements to read)."""
    result: Booked = defaultdict(int)
    for line in tally.lines:
        result[(line.item_id, line.lot_id, tally.entry_date)] += line.quantity
    return result


def _held_now(tally: TallyEntry) -> Booked:
    """What the entry holds now: its movements per lot, or its lines if it is history."""
    return _as_quantities(tally) if tally.before_stock_start else _booked(tally.id)


def _lot(lot_id: int | None) -> Lot | None:
    return db.session.get(Lot, lot_id) if lot_id else None


def _replace_lines(tally: TallyEntry, resolved: list[tuple[Item, Any, int]]) -> None:
    """Update lines in place (the unique (tally, item) key forbids insert-then-delete)."""
    wanted = {item.id: (item, lot, quantity) for item, lot, quantity in resolved}
    for line in list(tally.lines):
        if line.item_id not in wanted:
            tally.lines.remove(line)
    db.session.flush()
    existing = {line.item_id: line for line in tally.lines}
    for item_id, (item, lot, quantity) in wanted.items():
        found = existing.get(item_id)
        if found is None:
            tally.lines.append(TallyLine(item=item, lot=lot, quantity=quantity))
        else:
            found.lot, found.quantity = lot, quantity


def get_tally(actor: Actor, tally_id: int, need: str = "staff") -> TallyEntry:
    tally = get_by_id(TallyEntry, tally_id)
    if tally is None:
        raise NotFound(_l("Det finnes ingen registrering med id %(id)s.", id=tally_id))
    require_site(actor, tally.site, need)
    return tally


def _lock_tally(
    actor: Actor, tally_id: int, expected: Collection[int] | None, idem: Idempotency | None
) -> TallyEntry:
    """The entry, locked and read fresh with its lines, for a change (invariant 8).

    A racing change waits here for the other's commit and then starts from its result, so
    corrections are computed from the committed lines. `expected` holds the versions the
    client's If-Match accepts (None: any, last writer wins); a double-tapped web form that
    lost the race gets the first tap's result (replayed).
    """
    tally = lock_by_id(TallyEntry, tally_id, selectinload(TallyEntry.lines))
    if tally is None:
        raise NotFound(_l("Det finnes ingen registrering med id %(id)s.", id=tally_id))
    require_site(actor, tally.site)
    replayed(idem)
    if tally.deleted_at is not None:
        raise Conflict(
            _l("Registrering %(id)s er allerede slettet.", id=tally.id),
            {"id": [_l("Allerede slettet.")]},
        )
    if expected is not None and tally.version not in expected:
        raise PreconditionFailed(
            _l(
                "Registrering %(id)s er endret av noen andre (den er nå i versjon "
                "%(version)s); hent den på nytt og send endringen igjen.",
                id=tally.id,
                version=tally.version,
            ),
            {"If-Match": [_l('Gjeldende versjon er "%(version)s".', version=tally.version)]},
        )
    return tally


@service
def update_tally(
    actor: Actor,
    tally_id: int,
    *,
    changes: dict[str, Any],
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
    unusual_confirmed: bool = True,
) -> TallyEntry:
    """Change an entry; the ledger gets corrections for the difference, dated as the entry.

    A quantity raised to far above the site's usual day is asked about and flagged as on
    create (services.plausibility)."""
    tally = _lock_tally(actor, tally_id, expected, idem)
    before = snapshot(tally)
    old_quantities = _held_now(tally)
    was = {line.item_id: line.quantity for line in tally.lines}
    unusual: list[plausibility.Unusual] = []
    old_date, old_contacts = tally.entry_date, tally.contacts
    new_date = check_entry_date(changes.get("date", tally.entry_date))
    backdating.check(actor, tally.site, [old_date, new_date])
    period_locks.ensure_open([tally.site_id], [old_date, new_date])
    contacts = changes.get("contacts", tally.contacts)
    _check_contacts(contacts)
    if "note" in changes:
        tally.note = check_free_text("note", changes["note"])
    if "lines" in changes:
        kept = tuple(line.item_id for line in tally.lines)
        resolved = _resolve_lines(tally.site_id, new_date, changes["lines"], kept)
        raised = [(i, q) for i, _, q in resolved if q > was.get(i.id, 0)]
        unusual = plausibility.find_unusual(tally.site_id, new_date, raised)
        if not unusual_confirmed:
            index = {line["item"]: n for n, line in enumerate(changes["lines"])}
            plausibility.refuse_unconfirmed(
                unusual, {u.item.id: f"lines.{index[u.item.code]}.quantity" for u in unusual}
            )
    else:  # the lines stay; a new date moves them (lot items keep no named lot)
        resolved = [(line.item, None, line.quantity) for line in tally.lines]
    booking = _book(tally.site_id, new_date, resolved, old_quantities, old_date)
    resolved = [
        (i, _lot(booking.first_lot(i.id)) if i.tracks_lots else lot, q) for i, lot, q in resolved
    ]
    _replace_lines(tally, resolved)
    tally.entry_date, tally.contacts = new_date, contacts
    if not tally.lines and contacts == 0:
        raise ValidationError(
            _l("Ingenting ville bli igjen: slett registreringen i stedet."),
            {"lines": [_l("Alt er 0.")]},
        )
    tally.updated_by_id, tally.updated_at = actor.user_id, utcnow()
    tally.version += 1  # the row is locked: no other change can bump it meanwhile
    was_history = tally.before_stock_start
    tally.before_stock_start = stock_start.is_before(tally.site, new_date)
    db.session.flush()
    leaving = (
        stock_start.bring_in(tally.site_id, tally_ids=[tally.id])
        if was_history and not tally.before_stock_start
        else []
    )
    ledger.post(
        actor,
        leaving
        + _corrections(tally, old_quantities, booking.quantities, f"Entry {tally.id} changed"),
    )
    _flag_foreign(tally.site_id, booking)
    _bump_contacts(tally.site_id, old_date, -old_contacts)
    _bump_contacts(tally.site_id, new_date, contacts)
    audit.record(
        actor,
        "tally",
        tally.id,
        "update",
        site_id=tally.site_id,
        before=before,
        after=snapshot(tally),
    )
    plausibility.flag(unusual, tally.site_id)
    commit(idem, tally)
    return tally


@service
def delete_tally(
    actor: Actor,
    tally_id: int,
    *,
    expected: Collection[int] | None = None,
    idem: Idempotency | None = None,
) -> TallyEntry:
    """Mark an entry deleted and reverse its distribution with corrections, once."""
    tally = _lock_tally(actor, tally_id, expected, idem)
    backdating.check(actor, tally.site, [tally.entry_date])
    period_locks.ensure_open([tally.site_id], [tally.entry_date])
    before = snapshot(tally)
    ledger.post(actor, _corrections(tally, _held_now(tally), {}, f"Entry {tally.id} deleted"))
    _bump_contacts(tally.site_id, tally.entry_date, -tally.contacts)
    tally.deleted_by_id, tally.deleted_at = actor.user_id, utcnow()
    tally.version += 1
    audit.record(actor, "tally", tally.id, "delete", site_id=tally.site_id, before=before)
    commit(idem, tally)
    return tally


def tallies_query(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    include_deleted: bool = False,
) -> Select[tuple[TallyEntry]]:
    query = select(TallyEntry).order_by(TallyEntry.entry_date.desc(), TallyEntry.id.desc())
    if site:
        query = query.where(TallyEntry.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(TallyEntry.site_id.in_(visible_site_ids(actor)))
    if date_from:
        query = query.where(TallyEntry.entry_date >= date_from)
    if date_to:
        query = query.where(TallyEntry.entry_date <= date_to)
    if not include_deleted:
        query = query.where(TallyEntry.deleted_at.is_(None))
    return query


# --- What the web entry form and the history page read ---------------------------------------

HISTORY_MAX_DAYS = 366
ENTRY_CATEGORIES = ("syringe", "needle", "foil", "naloxone", "overdose_card", "other")


@dataclass
class EntryScreen:
    """The entry form's data: the site, its items by category and what is entered for the day."""

    site: Site
    day: date
    groups: list[tuple[str, list[Item]]]
    entries: list[TallyEntry]
    totals: dict[int, int]
    contacts: int
    names: dict[int, str]
    receipt: TallyEntry | None = None


def user_names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def item_groups(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Items grouped by category in the programme's order (empty categories left out)."""
    order = {c: n for n, c in enumerate(ENTRY_CATEGORIES)}
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (order.get(i.category, 99), i.sort_order, i.code)):
        groups[item.category].append(item)
    return list(groups.items())


def entry_screen(
    actor: Actor, site_code: str, day: date, receipt_id: int | None = None
) -> EntryScreen:
    """What the daily form shows for a site and day (access checked here).

    receipt_id names an entry just saved, shown as the receipt (only if it is this site's).
    """
    site = require_site(actor, get_site(site_code))
    receipt = get_by_id(TallyEntry, receipt_id) if receipt_id else None
    if receipt is not None and receipt.site_id != site.id:
        receipt = None
    items = catalog.site_items(site.id)
    entries = list(
        db.session.scalars(
            tallies_query(actor, site=site.code, date_from=day, date_to=day).options(
                selectinload(TallyEntry.lines)
            )
        )
    )
    totals: dict[int, int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            totals[line.item_id] += line.quantity
    return EntryScreen(
        site=site,
        day=day,
        groups=item_groups(items),
        entries=entries,
        totals=dict(totals),
        contacts=sum(e.contacts for e in entries),
        names=user_names({e.created_by_id for e in entries}),
        receipt=receipt,
    )


def edit_screen(actor: Actor, site_code: str, tally_id: int) -> tuple[TallyEntry, EntryScreen]:
    """An entry to change, with the form data of its site and day."""
    tally = get_tally(actor, tally_id)
    if tally.site.code != site_code:
        raise NotFound(
            _l(
                "Det finnes ingen registrering med id %(id)s ved %(site)s.",
                id=tally_id,
                site=site_code,
            )
        )
    return tally, entry_screen(actor, site_code, tally.entry_date)


@dataclass
class History:
    """A site's entries by day, with who entered, changed or deleted them and the corrections."""

    site: Site
    date_from: date
    date_to: date
    days: list[tuple[date, list[TallyEntry]]]
    corrections: dict[int, list[StockMovement]]
    names: dict[int, str]
    handouts: dict[date, list[NaloxoneHandout]]


def history(actor: Actor, site_code: str, date_from: date, date_to: date) -> History:
    """Entries (deleted ones too, marked) between two dates, newest day first."""
    if date_from > date_to:
        raise ValidationError(
            _l("Fra-datoen er etter til-datoen."), {"from": [_l("Etter til-datoen.")]}
        )
    if (date_to - date_from).days > HISTORY_MAX_DAYS:
        raise ValidationError(
            _l("Vis høyst %(n)s dager om gangen.", n=HISTORY_MAX_DAYS),
            {"from": [_l("For langt tidsrom.")]},
        )
    site = require_site(actor, get_site(site_code))
    entries = list(
        db.session.scalars(
            tallies_query(
                actor, site=site.code, date_from=date_from, date_to=date_to, include_deleted=True
            ).options(selectinload(TallyEntry.lines).joinedload(TallyLine.item))
        )
    )
    corrections: dict[int, list[StockMovement]] = defaultdict(list)
    if entries:
        for movement in db.session.scalars(
            select(StockMovement)
            .where(
                StockMovement.tally_id.in_([e.id for e in entries]),
                StockMovement.kind == "correction",
            )
            .options(joinedload(StockMovement.item))
            .order_by(StockMovement.id)
        ):
            if movement.tally_id is not None:
                corrections[movement.tally_id].append(movement)
    by_day: dict[date, list[TallyEntry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.entry_date].append(entry)
    handouts: dict[date, list[NaloxoneHandout]] = defaultdict(list)
    for handout in db.session.scalars(
        select(NaloxoneHandout)
        .where(
            NaloxoneHandout.site_id == site.id,
            NaloxoneHandout.deleted_at.is_(None),
            NaloxoneHandout.handed_out_on >= date_from,
            NaloxoneHandout.handed_out_on <= date_to,
        )
        .options(selectinload(NaloxoneHandout.movements).joinedload(StockMovement.lot))
        .order_by(NaloxoneHandout.id.desc())
    ):
        handouts[handout.handed_out_on].append(handout)
        by_day.setdefault(handout.handed_out_on, [])
    names = user_names(
        {e.created_by_id for e in entries}
        | {e.updated_by_id for e in entries}
        | {e.deleted_by_id for e in entries}
        | {h.created_by_id for day in handouts.values() for h in day}
    )
    return History(
        site=site,
        date_from=date_from,
        date_to=date_to,
        days=sorted(by_day.items(), reverse=True),
        corrections=dict(corrections),
        names=names,
        handouts=dict(handouts),
    )
