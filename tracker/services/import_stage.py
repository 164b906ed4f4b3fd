"""The staging table of an import and the set-based SQL over it.

Checked rows are appended here (COPY on PostgreSQL, a bare executemany on SQLite); duplicate
rows, rows imported before and the final writes are then single statements over the whole
file, so Python never holds more than a chunk of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    Interval,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)

from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    ImportBatch,
    Item,
    NaloxoneHandout,
    Site,
    Submission,
    SubmissionSite,
    TallyEntry,
    TallyLine,
)
from tracker.models.base import utcnow
from tracker.services import ledger
from tracker.services.access import Actor
from tracker.services.import_format import RowError

CHUNK = 5000

_meta = MetaData()
STAGE = Table(
    "import_stage",
    _meta,
    Column("row", Integer, nullable=False),  # no key: loading stays a plain append
    Column("site_id", Integer),
    Column("item_id", Integer),
    Column("lot_id", Integer),
    Column("day", Date),
    Column("granularity", String(5)),
    Column("quantity", Integer),
    Column("contacts", Integer),
    Column("note", Text),
    Column("naloxone", Boolean),
    Column("recipient_group", String(20)),
    Column("first_time", Boolean),
    Column("refill_reason", String(20)),
    Column("training_given", Boolean),
    prefixes=["TEMPORARY"],
)
INDEX = Index("ix_import_stage_group", STAGE.c.site_id, STAGE.c.day, STAGE.c.granularity)
STAGE_COLUMNS = [c.name for c in STAGE.c]
_QUOTED = ", ".join(f'"{name}"' for name in STAGE_COLUMNS)


def as_row(record: dict[str, Any]) -> tuple[Any, ...]:
    """A checked record as the staged tuple (column order of STAGE, the date as ISO text)."""
    values = dict(record, day=record["day"].isoformat())
    return tuple(values[name] for name in STAGE_COLUMNS)


def load(chunk: list[tuple[Any, ...]]) -> None:
    """Stage checked rows: COPY on PostgreSQL, one bare executemany on SQLite.

    Dates come as ISO text: it is how SQLAlchemy stores dates on SQLite, without the sqlite3
    adapter calls (they cost as much as the insert itself), and PostgreSQL casts it to the
    column's type. COPY goes through the driver connection SQLAlchemy hands out for this
    (`PoolProxiedConnection.driver_connection`) and psycopg's `Cursor.copy`, both public and
    documented; it stages several times faster than an executemany of INSERTs.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        if not isinstance(raw, psycopg.Connection):
            raise TypeError(f"COPY works on a psycopg 3 connection, not {type(raw).__name__}")
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY import_stage ({_QUOTED}) FROM STDIN") as copy,
        ):
            for row in chunk:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(STAGE_COLUMNS))
        sql = f"INSERT INTO import_stage ({_QUOTED}) VALUES ({marks})"  # noqa: S608 - our names
        connection.exec_driver_sql(sql, chunk)


# SQLite page caches while importing (KiB): the default 2 MB thrashes the ledger's indexes and
# the staging table; these keep peak memory under 200 MB at 1 000 000 rows (bench/README.md)
CACHE_KIB = {"main": 32768, "temp": 8192}


def roomy_cache() -> Callable[[], None]:
    """On SQLite, a bigger page cache for this connection; returns what puts it back."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return lambda: None
    before = {
        schema: connection.exec_driver_sql(f"PRAGMA {schema}.cache_size").scalar_one()
        for schema in ("main", "temp")
    }
    for schema in before:
        connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = {-CACHE_KIB[schema]}")

    def restore() -> None:
        for schema, size in before.items():
            connection.exec_driver_sql(f"PRAGMA {schema}.cache_size = {int(size)}")
        before.clear()

    return restore


def analyze(table: str) -> None:
    """PostgreSQL plans joins on a fresh table blind; give it statistics (a snapshot read)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {table}"))


def duplicates(headings: dict[str, str]) -> list[RowError]:
    """Rows that repeat an earlier row of the file (same site, period, item, ...)."""
    s = STAGE.c
    # item rows say one thing per site, period and item; naloxone rows also per lot and
    # programme fields (NULL on other rows); rows with only contacts add up
    key = [s.site_id, s.granularity, s.day, s.item_id, case((s.naloxone, s.lot_id))]
    key += [s.recipient_group, s.first_time, s.refill_reason, s.training_given]
    repeated = select(*key).where(s.item_id.is_not(None)).group_by(*key)
    repeated = repeated.having(func.count() > 1).limit(1)
    if db.session.execute(repeated).first() is None:
        return []  # the usual case, found by one grouping rather than ranking every row
    first = func.min(s.row).over(partition_by=key).label("first")
    ranked = select(s.row, first).where(s.item_id.is_not(None)).subquery()
    query = (
        select(ranked.c.row, ranked.c.first)
        .where(ranked.c.row != ranked.c.first)
        .order_by(ranked.c.row)
    )
    return [
        RowError(
            row,
            headings["item"],
            f"{headings['item_letter']}{row}",
            _l("Samme som rad %(first)s: samme sted, dato eller måned og vare.", first=first_row),
        )
        for row, first_row in db.session.execute(query)
    ]


OVERLAP_MESSAGES = {
    "day": _l(
        "Stedet har allerede utdeling registrert i appen denne dagen; en import ville telle "
        "den to ganger."
    ),
    "month": _l(
        "Stedet har allerede utdeling registrert i appen denne måneden; en import ville telle "
        "den to ganger."
    ),
}


def _period_end(day: Any, granularity: Any) -> Any:
    """The day after a staged row's period: the next day, or the first of the next month."""
    if db.session.get_bind().dialect.name == "postgresql":
        step = case(
            (granularity == "month", literal_column("interval '1 month'", Interval)),
            else_=literal_column("interval '1 day'", Interval),
        )
        return cast(day + step, Date)
    return func.date(day, case((granularity == "month", "+1 month"), else_="+1 day"))


def overlaps(headings: dict[str, str], limit: int) -> tuple[int, list[RowError]]:
    """Staged tally rows whose site and day (or month) already have app-entered distribution.

    One statement over the stage: an app entry is a non-deleted tally entry with lines and no
    import batch (an import's own entries are compared by `compare_with_earlier` instead).
    Returns (how many rows, the first `limit` as errors).
    """
    s = STAGE.c
    app_entry = (
        select(literal(1))
        .select_from(TallyEntry)
        .where(
            TallyEntry.site_id == s.site_id,
            TallyEntry.entry_date >= s.day,
            TallyEntry.entry_date < _period_end(s.day, s.granularity),
            TallyEntry.import_batch_id.is_(None),
            TallyEntry.deleted_at.is_(None),
            exists().where(TallyLine.tally_id == TallyEntry.id),
        )
    )
    query = (
        select(s.row, s.granularity, func.count().over())
        .where(s.naloxone.is_(False), app_entry.exists())
        .order_by(s.row)
        .limit(limit)
    )
    found = db.session.execute(query).all()
    errors = []
    for row, granularity, _ in found:
        name = "month" if granularity == "month" else "date"
        letter = headings.get(f"{name}_letter")
        errors.append(
            RowError(
                row,
                headings[name],
                f"{letter}{row}" if letter else _l("rad %(row)s", row=row),
                OVERLAP_MESSAGES[granularity],
            )
        )
    return (found[0][2] if found else 0), errors


def tally_match() -> Select[Any]:
    """Staged item rows beside the line an earlier import wrote for the same key."""
    return (
        select(STAGE.c.row, STAGE.c.quantity, TallyLine.quantity)
        .join(
            TallyEntry,
            and_(
                TallyEntry.import_batch_id.is_not(None),
                TallyEntry.deleted_at.is_(None),
                TallyEntry.site_id == STAGE.c.site_id,
                TallyEntry.entry_date == STAGE.c.day,
                TallyEntry.granularity == STAGE.c.granularity,
            ),
        )
        .join(
            TallyLine,
            and_(TallyLine.tally_id == TallyEntry.id, TallyLine.item_id == STAGE.c.item_id),
        )
        .where(STAGE.c.naloxone.is_(False))
    )


def handout_match() -> Select[Any]:
    h = NaloxoneHandout
    return select(STAGE.c.row, STAGE.c.quantity, h.quantity).join(
        h,
        and_(
            h.import_batch_id.is_not(None),
            h.site_id == STAGE.c.site_id,
            h.handed_out_on == STAGE.c.day,
            h.granularity == STAGE.c.granularity,
            h.item_id == STAGE.c.item_id,
            h.lot_id.is_not_distinct_from(STAGE.c.lot_id),
            h.recipient_group == STAGE.c.recipient_group,
            h.first_time == STAGE.c.first_time,
            h.refill_reason.is_not_distinct_from(STAGE.c.refill_reason),
            h.training_given == STAGE.c.training_given,
        ),
    )


def contacts_match() -> Select[Any]:
    """Per (site, period) with earlier imported contacts: first row, staged and stored sums."""
    staged = (
        select(
            STAGE.c.site_id,
            STAGE.c.day,
            STAGE.c.granularity,
            func.min(STAGE.c.row).label("row"),
            func.sum(STAGE.c.contacts).label("contacts"),
        )
        .group_by(STAGE.c.site_id, STAGE.c.day, STAGE.c.granularity)
        .subquery()
    )
    stored = (
        select(
            TallyEntry.site_id,
            TallyEntry.entry_date,
            TallyEntry.granularity,
            func.sum(TallyEntry.contacts).label("contacts"),
        )
        .where(TallyEntry.import_batch_id.is_not(None), TallyEntry.deleted_at.is_(None))
        .group_by(TallyEntry.site_id, TallyEntry.entry_date, TallyEntry.granularity)
        .subquery()
    )
    return select(staged.c.row, staged.c.contacts, stored.c.contacts, staged.c.site_id,
                  staged.c.day, staged.c.granularity).join(
        stored,
        and_(
            stored.c.site_id == staged.c.site_id,
            stored.c.entry_date == staged.c.day,
            stored.c.granularity == staged.c.granularity,
        ),
    )  # fmt: skip


def compare_with_earlier(headings: dict[str, str], limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Rows equal to an earlier import leave the stage; returns (how many, the rows that differ)."""
    differing: list[dict[str, Any]] = []
    if not db.session.scalar(select(func.count(ImportBatch.id))):
        return 0, differing
    same: list[int] = []
    for match in (tally_match(), handout_match()):
        for row, new, old in db.session.execute(match):
            if new == old:
                same.append(row)
            elif len(differing) < limit:
                differing.append(
                    {"row": row, "column": headings["quantity"], "before": old, "now": new}
                )
    for row, new, old, site_id, day, granularity in db.session.execute(contacts_match()).all():
        if not new:
            continue  # a file without contacts for that day says nothing about them
        if new != old and len(differing) < limit:
            differing.append(
                {"row": row, "column": headings["contacts"], "before": old, "now": new}
            )
        elif new == old:  # counted already: keep it from being added again
            db.session.execute(
                update(STAGE)
                .where(
                    STAGE.c.site_id == site_id,
                    STAGE.c.day == day,
                    STAGE.c.granularity == granularity,
                )
                .values(contacts=0)
            )
    for start in range(0, len(same), CHUNK):
        db.session.execute(delete(STAGE).where(STAGE.c.row.in_(same[start : start + CHUNK])))
    db.session.execute(delete(STAGE).where(STAGE.c.item_id.is_(None), STAGE.c.contacts == 0))
    return len(same), differing


def summary(preview_rows: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Totals per site and item (and contacts per site), and the first rows, for a dry run."""
    codes_site = dict(db.session.execute(select(Site.id, Site.code)).tuples().all())
    codes_item = dict(db.session.execute(select(Item.id, Item.code)).tuples().all())
    totals = db.session.execute(
        select(
            STAGE.c.site_id,
            STAGE.c.item_id,
            STAGE.c.granularity,
            func.sum(STAGE.c.quantity),
            func.count(),
            func.min(STAGE.c.day),
            func.max(STAGE.c.day),
        )
        .where(STAGE.c.item_id.is_not(None))
        .group_by(STAGE.c.site_id, STAGE.c.item_id, STAGE.c.granularity)
        .order_by(STAGE.c.site_id, STAGE.c.item_id, STAGE.c.granularity)
    )
    totals_out = [
        {
            "site": codes_site[s],
            "item": codes_item[i],
            "granularity": g,
            "quantity": int(q),
            "rows": n,
            "first": first,
            "last": last,
        }
        for s, i, g, q, n, first, last in totals
    ]
    contacts = db.session.execute(
        select(STAGE.c.site_id, func.sum(STAGE.c.contacts))
        .group_by(STAGE.c.site_id)
        .having(func.sum(STAGE.c.contacts) > 0)
        .order_by(STAGE.c.site_id)
    )
    totals_out += [
        {"site": codes_site[s], "item": None, "granularity": None, "contacts": int(c)}
        for s, c in contacts
    ]
    preview = db.session.execute(select(STAGE).order_by(STAGE.c.row).limit(preview_rows))
    preview_out = [
        {
            "row": r.row,
            "site": codes_site[r.site_id],
            "date": r.day,
            "granularity": r.granularity,
            "item": codes_item.get(r.item_id),
            "quantity": r.quantity,
            "contacts": r.contacts,
        }
        for r in preview
    ]
    return totals_out, preview_out


def site_ids() -> list[int]:
    """The sites the staged rows are for."""
    return list(
        db.session.scalars(select(STAGE.c.site_id).where(STAGE.c.site_id.is_not(None)).distinct())
    )


def first_locked_submission() -> int | None:
    """The first standing submission whose period and sites hold a staged row, if any."""
    s = STAGE.c
    query = (
        select(Submission.id)
        .join(SubmissionSite, SubmissionSite.submission_id == Submission.id)
        .join(STAGE, SubmissionSite.site_id == s.site_id)
        .where(
            Submission.reopened_at.is_(None),
            Submission.date_from < _period_end(s.day, s.granularity),
            Submission.date_to >= s.day,
        )
        .order_by(Submission.id)
        .limit(1)
    )
    found: int | None = db.session.scalar(query)
    return found


def _start_of(site_id: Any) -> Any:
    return select(Site.stock_start).where(Site.id == site_id).scalar_subquery()


def before_start() -> Any:
    """Staged rows dated before their site's stock start (history: no stock movement)."""
    start = _start_of(STAGE.c.site_id)
    return start.is_not(None) & (STAGE.c.day < start)  # no start: nothing is history


def split_at_start() -> tuple[int, int]:
    """How many staged rows fall before their site's stock start, and how many from it on."""
    early = func.sum(case((before_start(), 1), else_=0))
    total = func.count()
    before, rows = db.session.execute(select(early, total).select_from(STAGE)).one()
    return int(before or 0), int(rows) - int(before or 0)


def count() -> int:
    return db.session.execute(select(func.count()).select_from(STAGE)).scalar_one()


def write(actor: Actor, batch_id: int) -> None:
    """Stage → tally entries, lines, naloxone handouts, ledger, contacts; nothing commits here."""
    now = utcnow()
    at = bindparam("now", now, type_=TallyEntry.__table__.c.created_at.type)
    s = STAGE.c
    tallied = s.naloxone.is_(False)
    db.session.execute(
        insert(TallyEntry).from_select(
            ["site_id", "entry_date", "granularity", "contacts", "created_by_id", "created_at",
             "import_batch_id"],
            select(s.site_id, s.day, s.granularity, func.sum(s.contacts), literal(actor.user_id),
                   at, literal(batch_id))
            .where(tallied)
            .group_by(s.site_id, s.day, s.granularity),
        )
    )  # fmt: skip
    analyze("tally_entry")
    entry = and_(
        TallyEntry.import_batch_id == batch_id,
        TallyEntry.site_id == s.site_id,
        TallyEntry.entry_date == s.day,
        TallyEntry.granularity == s.granularity,
    )
    lines = tallied & s.item_id.is_not(None) & (s.quantity > 0)
    db.session.execute(
        insert(TallyLine).from_select(
            ["tally_id", "item_id", "lot_id", "quantity"],
            select(TallyEntry.id, s.item_id, s.lot_id, s.quantity)
            .join(TallyEntry, entry)
            .where(lines),
        )
    )  # fmt: skip
    naloxone_rows = s.naloxone.is_(True) & (s.quantity > 0)
    db.session.execute(
        insert(NaloxoneHandout).from_select(
            ["site_id", "handed_out_on", "granularity", "item_id", "lot_id", "quantity",
             "recipient_group", "first_time", "refill_reason", "training_given", "created_by_id",
             "created_at", "import_batch_id", "import_row"],
            select(s.site_id, s.day, s.granularity, s.item_id, s.lot_id, s.quantity,
                   s.recipient_group, s.first_time, s.refill_reason, s.training_given,
                   literal(actor.user_id), at, literal(batch_id), s.row)
            .where(naloxone_rows),
        )
    )  # fmt: skip
    for model, column in (
        (TallyEntry, TallyEntry.entry_date),
        (NaloxoneHandout, NaloxoneHandout.handed_out_on),
    ):
        db.session.execute(
            update(model)
            .where(model.import_batch_id == batch_id, column < _start_of(model.site_id))
            .values(before_stock_start=True)
        )  # invariant 9: history before the stock start counts in reports only
    moving = ~before_start()
    common = [s.site_id, s.item_id, s.lot_id, literal("distribution").label("kind"),
              (-s.quantity).label("quantity"), s.day.label("occurred_on"),
              s.note.label("reason"), literal(batch_id).label("import_batch_id"),
              s.row.label("import_row")]  # fmt: skip
    # balances and aggregates are summed from the staging table, not the joins
    summed = [s.site_id, s.item_id, s.lot_id, literal("distribution").label("kind"),
              (-s.quantity).label("quantity"), s.day.label("occurred_on")]  # fmt: skip
    ledger.post_select(
        actor,
        select(*common, TallyEntry.id.label("tally_id"))
        .join(TallyEntry, entry)
        .where(lines, moving),
        select(*summed).where(lines, moving),
        counted=select(*summed).where(lines),
    )
    h = NaloxoneHandout
    ledger.post_select(
        actor,
        select(*common, h.id.label("naloxone_handout_id"))
        .join(h, and_(h.import_batch_id == batch_id, h.import_row == s.row))
        .where(naloxone_rows, moving),
        select(*summed).where(naloxone_rows, moving),
        counted=select(*summed).where(naloxone_rows),
    )
    contacts = func.sum(s.contacts)
    ledger.upsert_add_select(
        ContactsDaily,
        ("site_id", "day"),
        "contacts",
        select(s.site_id, s.day, contacts)
        .where(s.contacts > 0)
        .group_by(s.site_id, s.day)
        .order_by(s.site_id, s.day),
    )
