"""Importing historical distribution from spreadsheets (CSV, xlsx), and exporting it back.

The file is streamed: each row is checked (import_format) and staged into a temporary table
in chunks, so memory stays flat however long the file is. Set-based SQL then finds duplicate
rows, compares with earlier imports, builds the tally entries and naloxone handouts and posts
the distribution through `ledger.post_select`. Everything happens in one transaction: if any
row is bad nothing is written, and a dry run always rolls back.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from tracker.dates import today
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    ImportBatch,
    Item,
    Lot,
    NaloxoneHandout,
    Site,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.models.base import utcnow
from tracker.services import audit, ledger
from tracker.services.access import Actor, can, require_role
from tracker.services.import_format import (
    ItemInfo,
    RowError,
    RowValidator,
    SiteInfo,
    iter_csv,
    iter_xlsx,
    map_headings,
    sniff_kind,
)
from tracker.services.unit import commit, service

CHUNK = 5000
MAX_ERRORS = 500  # reported; counting goes on
PREVIEW_ROWS = 200

_stage_meta = MetaData()
STAGE = Table(
    "import_stage",
    _stage_meta,
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
_STAGE_INDEX = Index("ix_import_stage_group", STAGE.c.site_id, STAGE.c.day, STAGE.c.granularity)
_STAGE_COLUMNS = [c.name for c in STAGE.c]
_QUOTED = ", ".join(f'"{name}"' for name in _STAGE_COLUMNS)


class ImportRefused(ValidationError):
    """Rows are bad: nothing was written. errors["rows"] lists row, column, cell, message."""

    title, slug = "Import refused", "import-refused"


class ImportDiffers(Conflict):
    """The file changes rows an earlier import brought in: nothing was written."""

    title, slug = "Import differs from an earlier import", "import-differs"


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    filename: str
    file_hash: str
    dry_run: bool
    rows: int = 0  # data rows read (blank rows not counted)
    imported: int = 0  # rows that are new
    skipped: int = 0  # rows identical to an earlier import
    already_imported: bool = False  # the same file was imported before: nothing to do
    batch_id: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    differing: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)  # dry run: per site and item
    preview: list[dict[str, Any]] = field(default_factory=list)
    expected: int | None = None  # data rows expected, from the line count (CSV only)

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.differing


Progress = Callable[[int, int | None], None]  # (rows read, rows expected if known)


def file_digest(stream: IO[bytes]) -> tuple[str, int, int]:
    """sha256 of the file, its size and its line count, reading 1 MB at a time; rewinds."""
    digest = hashlib.sha256()
    size = lines = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
        lines += chunk.count(b"\n")
    stream.seek(0)
    return digest.hexdigest(), size, lines


def _lookups(actor: Actor) -> tuple[dict[str, SiteInfo], dict[str, ItemInfo], dict]:
    sites = {
        s.code: SiteInfo(s.id, s.code, s.active, can(actor, s, "coordinator"))
        for s in db.session.scalars(select(Site))
    }
    items = {
        i.code: ItemInfo(i.id, i.code, i.category, i.active)
        for i in db.session.scalars(select(Item))
    }
    lots = {(item_id, number): lot_id for lot_id, item_id, number in db.session.execute(
        select(Lot.id, Lot.item_id, Lot.lot_number)
    )}  # fmt: skip
    return sites, items, lots


def _rows(stream: IO[bytes], filename: str) -> Generator[list[Any]]:
    head = stream.read(4)
    stream.seek(0)
    kind = sniff_kind(filename, head)
    return iter_xlsx(stream) if kind == "xlsx" else iter_csv(stream)


def _stage(
    result: ImportResult, actor: Actor, stream: IO[bytes], progress: Progress | None
) -> dict[str, tuple[int, str]]:
    """Read, check and stage every row; returns the file's columns."""
    with contextlib.closing(_rows(stream, result.filename)) as rows:
        return _stage_rows(result, actor, rows, progress)


def _stage_rows(
    result: ImportResult, actor: Actor, rows: Iterator[list[Any]], progress: Progress | None
) -> dict[str, tuple[int, str]]:
    headings = next(rows, None)
    if not headings:
        raise ImportRefused("The file is empty.", {"file": ["Empty."]})
    sites, items, lots = _lookups(actor)
    columns = map_headings(headings)
    validator = RowValidator(columns, sites, items, lots, today() + timedelta(1))
    chunk: list[dict[str, Any]] = []
    for number, cells in enumerate(rows, start=2):
        record, errors = validator.validate(number, cells)
        if errors:
            result.error_count += len(errors)
            room = MAX_ERRORS - len(result.errors)
            result.errors.extend(e.as_dict() for e in errors[: max(room, 0)])
            chunk = []
        if record is None:
            continue
        result.rows += 1
        if not result.error_count:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                _load(chunk)
                chunk = []
        if progress and result.rows % CHUNK == 0:
            progress(result.rows, result.expected)
    if chunk and not result.error_count:
        _load(chunk)
    if progress:
        progress(result.rows, result.expected)
    return columns


def _load(chunk: list[dict[str, Any]]) -> None:
    """Stage checked rows the fastest way each database offers: COPY, or a bare executemany."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # stored as SQLAlchemy stores them on SQLite (ISO text, 0/1), without the per-value
        # adapter calls of the sqlite3 module, which cost as much as the insert itself
        for record in chunk:
            record["day"] = record["day"].isoformat()
            record["naloxone"] = int(record["naloxone"])
    rows = [tuple(record[name] for name in _STAGE_COLUMNS) for record in chunk]
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY import_stage ({_QUOTED}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(_STAGE_COLUMNS))
        sql = f"INSERT INTO import_stage ({_QUOTED}) VALUES ({marks})"  # noqa: S608 - our names
        connection.exec_driver_sql(sql, rows)


def _analyze(table: str) -> None:
    """PostgreSQL plans joins on a fresh table blind; give it statistics (a snapshot read)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {table}"))


def _add_errors(result: ImportResult, errors: list[RowError]) -> None:
    result.error_count += len(errors)
    room = MAX_ERRORS - len(result.errors)
    result.errors.extend(e.as_dict() for e in errors[: max(room, 0)])


def _duplicates(result: ImportResult, headings: dict[str, str]) -> None:
    """Rows that repeat an earlier row of the file (same site, period, item, ...)."""
    s = STAGE.c
    # item rows say one thing per site, period and item; naloxone rows also per lot and
    # programme fields (NULL on other rows); rows with only contacts add up
    key = [s.site_id, s.granularity, s.day, s.item_id, case((s.naloxone, s.lot_id))]
    key += [s.recipient_group, s.first_time, s.refill_reason, s.training_given]
    first = func.min(s.row).over(partition_by=key).label("first")
    ranked = select(s.row, first).where(s.item_id.is_not(None)).subquery()
    query = (
        select(ranked.c.row, ranked.c.first)
        .where(ranked.c.row != ranked.c.first)
        .order_by(ranked.c.row)
    )
    _add_errors(
        result,
        [
            RowError(
                row,
                headings["item"],
                f"{headings['item_letter']}{row}",
                f"Duplicate of row {first_row}: same site, date or month and item.",
            )
            for row, first_row in db.session.execute(query)
        ],
    )


def _tally_match() -> Select[Any]:
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


def _handout_match() -> Select[Any]:
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


def _contacts_match() -> Select[Any]:
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


def _compare_with_earlier(result: ImportResult, headings: dict[str, str]) -> None:
    """Rows equal to an earlier import are skipped; rows that differ refuse the file."""
    earlier = db.session.scalar(select(func.count(ImportBatch.id)))
    if not earlier:
        return
    same: list[int] = []
    for match in (_tally_match(), _handout_match()):
        for row, new, old in db.session.execute(match):
            if new == old:
                same.append(row)
            elif len(result.differing) < MAX_ERRORS:
                result.differing.append(
                    {"row": row, "column": headings["quantity"], "before": old, "now": new}
                )
    for row, new, old, site_id, day, granularity in db.session.execute(_contacts_match()).all():
        if not new:
            continue  # a file without contacts for that day says nothing about them
        if new != old and len(result.differing) < MAX_ERRORS:
            result.differing.append(
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
    result.skipped = len(same)


def _summarise(result: ImportResult) -> None:
    codes_site = dict(db.session.execute(select(Site.id, Site.code)).all())
    codes_item = dict(db.session.execute(select(Item.id, Item.code)).all())
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
    result.totals = [
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
    result.totals += [
        {"site": codes_site[s], "item": None, "granularity": None, "contacts": int(c)}
        for s, c in contacts
    ]
    preview = db.session.execute(select(STAGE).order_by(STAGE.c.row).limit(PREVIEW_ROWS))
    result.preview = [
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
    result.imported = db.session.scalar(select(func.count()).select_from(STAGE))


def _write(actor: Actor, result: ImportResult) -> ImportBatch:
    """Stage → tally entries, lines, naloxone handouts, ledger, contacts; in this transaction."""
    now = utcnow()
    batch = ImportBatch(
        file_hash=result.file_hash,
        filename=result.filename[:255],
        row_count=result.imported,
        skipped_count=result.skipped,
        imported_by_id=actor.user_id,
        imported_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    at = bindparam("now", now, type_=TallyEntry.__table__.c.created_at.type)
    s = STAGE.c
    tallied = s.naloxone.is_(False)
    db.session.execute(
        insert(TallyEntry).from_select(
            ["site_id", "entry_date", "granularity", "contacts", "created_by_id", "created_at",
             "import_batch_id"],
            select(s.site_id, s.day, s.granularity, func.sum(s.contacts), literal(actor.user_id),
                   at, literal(batch.id))
            .where(tallied)
            .group_by(s.site_id, s.day, s.granularity),
        )
    )  # fmt: skip
    _analyze("tally_entry")
    entry = and_(
        TallyEntry.import_batch_id == batch.id,
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
                   literal(actor.user_id), at, literal(batch.id), s.row)
            .where(naloxone_rows),
        )
    )  # fmt: skip
    common = [s.site_id, s.item_id, s.lot_id, literal("distribution").label("kind"),
              (-s.quantity).label("quantity"), s.day.label("occurred_on"),
              s.note.label("reason"), literal(batch.id).label("import_batch_id"),
              s.row.label("import_row")]  # fmt: skip
    ledger.post_select(
        actor,
        select(*common, TallyEntry.id.label("tally_id")).join(TallyEntry, entry).where(lines),
    )
    h = NaloxoneHandout
    ledger.post_select(
        actor,
        select(*common, h.id.label("naloxone_handout_id"))
        .join(h, and_(h.import_batch_id == batch.id, h.import_row == s.row))
        .where(naloxone_rows),
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
    audit.record(
        actor,
        "import_batch",
        batch.id,
        "create",
        after={
            "filename": batch.filename,
            "file_hash": batch.file_hash,
            "rows": result.rows,
            "imported": result.imported,
            "skipped": result.skipped,
        },
    )
    return batch


def _headings(validator_columns: dict[str, tuple[int, str]]) -> dict[str, str]:
    from openpyxl.utils import get_column_letter

    item = validator_columns.get("item", (0, "item"))
    return {
        "item": item[1],
        "item_letter": get_column_letter(item[0] + 1),
        "quantity": validator_columns.get("quantity", (0, "quantity"))[1],
        "contacts": validator_columns.get("contacts", (0, "contacts"))[1],
    }


@service
def import_file(
    actor: Actor,
    stream: IO[bytes],
    filename: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import (or dry-run) one file in one transaction; the same file twice is a no-op."""
    require_role(actor, "coordinator")
    file_hash, size, lines = file_digest(stream)
    result = ImportResult(filename=filename or "upload", file_hash=file_hash, dry_run=dry_run)
    if not stream.read(4).startswith(b"PK"):
        result.expected = max(lines - 1, 0)
    stream.seek(0)
    if size == 0:
        raise ImportRefused("The file is empty.", {"file": ["Empty."]})
    earlier = db.session.scalar(select(ImportBatch).where(ImportBatch.file_hash == file_hash))
    if earlier is not None:
        result.already_imported, result.batch_id = True, earlier.id
        result.rows = result.skipped = earlier.row_count + earlier.skipped_count
        db.session.rollback()
        return result
    db.session.execute(DropTable(STAGE, if_exists=True))
    db.session.execute(CreateTable(STAGE))
    try:
        columns = _stage(result, actor, stream, progress)
        if not result.error_count:
            db.session.execute(CreateIndex(_STAGE_INDEX))
            _analyze("import_stage")
            headings = _headings(columns)
            _duplicates(result, headings)
            if not result.error_count:
                _compare_with_earlier(result, headings)
        if result.error_count:
            if dry_run:
                return result
            raise ImportRefused(
                f"{result.error_count} problem(s) in the file; nothing was imported.",
                {"rows": result.errors},
            )
        if result.differing:
            if dry_run:
                return result
            raise ImportDiffers(
                f"{len(result.differing)} row(s) differ from what an earlier import brought in; "
                "nothing was imported. Correct the entries instead, or import only new rows.",
                {"rows": result.differing},
            )
        if dry_run:
            _summarise(result)
            return result
        result.imported = db.session.scalar(select(func.count()).select_from(STAGE))
        batch = _write(actor, result)
        result.batch_id = batch.id
        db.session.execute(DropTable(STAGE))
        commit()
        return result
    finally:
        if dry_run:
            db.session.rollback()  # a dry run writes nothing, the staging table included


def list_batches(actor: Actor) -> Select[tuple[ImportBatch]]:
    """Import batches, newest first: coordinators see their own, admins all."""
    require_role(actor, "coordinator")
    query = select(ImportBatch).order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc())
    if not actor.is_admin:
        query = query.where(ImportBatch.imported_by_id == actor.user_id)
    return query


def recent_batches(actor: Actor, limit: int = 50) -> list[tuple[ImportBatch, str]]:
    """The latest batches the actor may see, with the importer's email."""
    query = (
        list_batches(actor)
        .add_columns(User.email)
        .join(User, User.id == ImportBatch.imported_by_id)
    )
    return [(batch, email) for batch, email in db.session.execute(query.limit(limit))]
