"""Importing historical distribution from spreadsheets (CSV, xlsx), and exporting it back.

The file is streamed: each row is checked (import_format) and staged into a temporary table
in chunks, so memory stays flat however long the file is. Set-based SQL (import_stage) then
finds duplicate rows and days (or months) already entered in the app, compares with earlier
imports, builds the tally entries and naloxone handouts and posts the distribution through
`ledger.post_select`. Everything happens in one transaction: if any row is bad nothing is
written, and a dry run always rolls back.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from tracker.dates import today
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import ImportBatch, Item, Lot, Site, User
from tracker.models.base import utcnow
from tracker.privacy import redact_national_ids
from tracker.services import audit, import_stage, period_locks
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
from tracker.services.import_limits import Limits
from tracker.services.unit import commit, service

CHUNK = import_stage.CHUNK
MAX_ERRORS = 500  # reported; counting goes on
PREVIEW_ROWS = 200


class ImportRefused(ValidationError):
    """Rows are bad: nothing was written. errors["rows"] lists row, column, cell, message."""

    title, slug = "Import refused", "import-refused"


class ImportDiffers(Conflict):
    """The file changes rows an earlier import brought in: nothing was written."""

    title, slug = "Import differs from an earlier import", "import-differs"


class ImportFileChanged(Conflict):
    """The file sent to confirm an import is not the one that was checked: nothing was written."""

    title, slug = "Not the checked file", "import-file-changed"


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
    # new rows dated before their site's stock start (counted in reports, no stock movement)
    # and from it on (invariant 9)
    before_stock_start: int = 0
    from_stock_start: int = 0

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


def _lookups(
    actor: Actor,
) -> tuple[dict[str, SiteInfo], dict[str, ItemInfo], dict[tuple[int, str], int]]:
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
    limits = Limits.from_config(current_app.config)
    yield from iter_xlsx(stream, limits) if kind == "xlsx" else iter_csv(stream, limits)


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
        raise ImportRefused(_l("Filen er tom."), {"file": [_l("Tom.")]})
    sites, items, lots = _lookups(actor)
    columns = map_headings(headings)
    validator = RowValidator(columns, sites, items, lots, today() + timedelta(1))
    chunk: list[tuple[Any, ...]] = []
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
            chunk.append(import_stage.as_row(record))
            if len(chunk) >= CHUNK:
                import_stage.load(chunk)
                chunk = []
        if progress and result.rows % CHUNK == 0:
            progress(result.rows, result.expected)
    if chunk and not result.error_count:
        import_stage.load(chunk)
    if progress:
        progress(result.rows, result.expected)
    return columns


def _add_errors(result: ImportResult, errors: list[RowError]) -> None:
    result.error_count += len(errors)
    room = MAX_ERRORS - len(result.errors)
    result.errors.extend(e.as_dict() for e in errors[: max(room, 0)])


def _write_batch(actor: Actor, result: ImportResult) -> ImportBatch:
    """The batch row, everything the staged rows make, and the one audit event."""
    batch = ImportBatch(
        file_hash=result.file_hash,
        filename=result.filename[:255],
        row_count=result.imported,
        skipped_count=result.skipped,
        imported_by_id=actor.user_id,
        imported_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    import_stage.write(actor, batch.id)
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
    periods = {}
    for name in ("date", "month"):
        index, heading = validator_columns.get(name, (-1, name))
        periods[name] = heading
        periods[f"{name}_letter"] = get_column_letter(index + 1) if index >= 0 else ""
    return {
        **periods,
        "item": item[1],
        "item_letter": get_column_letter(item[0] + 1),
        "quantity": validator_columns.get("quantity", (0, "quantity"))[1],
        "contacts": validator_columns.get("contacts", (0, "contacts"))[1],
    }


@service
def require_importer(actor: Actor) -> None:
    """Only coordinators (their municipality's sites) and admins import; Forbidden otherwise."""
    require_role(actor, "coordinator")


def import_file(
    actor: Actor,
    stream: IO[bytes],
    filename: str,
    *,
    dry_run: bool = False,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import (or dry-run) one file in one transaction; the same file twice is a no-op.

    With `expected_sha256` (the hash its dry run reported) a different file is refused.
    """
    require_role(actor, "coordinator")
    file_hash, size, lines = file_digest(stream)
    if expected_sha256 is not None and file_hash != expected_sha256.lower():
        raise ImportFileChanged(
            _l(
                "Filen er ikke den som ble kontrollert (SHA-256 er ulik); ingenting ble "
                "importert. Kontroller denne filen først."
            ),
            {"file": [_l("Ikke filen som ble kontrollert.")]},
        )
    # The file's name is kept on the batch: never with a national ID number in it.
    name = redact_national_ids(filename or "upload")
    result = ImportResult(filename=name, file_hash=file_hash, dry_run=dry_run)
    if not stream.read(4).startswith(b"PK"):
        result.expected = max(lines - 1, 0)
    stream.seek(0)
    if size == 0:
        raise ImportRefused(_l("Filen er tom."), {"file": [_l("Tom.")]})
    earlier = db.session.scalar(select(ImportBatch).where(ImportBatch.file_hash == file_hash))
    if earlier is not None:
        result.already_imported, result.batch_id = True, earlier.id
        result.rows = result.skipped = earlier.row_count + earlier.skipped_count
        db.session.rollback()
        return result
    db.session.execute(DropTable(import_stage.STAGE, if_exists=True))
    db.session.execute(CreateTable(import_stage.STAGE))
    restore_cache = import_stage.roomy_cache()
    try:
        columns = _stage(result, actor, stream, progress)
        if not result.error_count:
            db.session.execute(CreateIndex(import_stage.INDEX))
            import_stage.analyze("import_stage")
            headings = _headings(columns)
            _add_errors(result, import_stage.duplicates(headings))
            overlapping, errors = import_stage.overlaps(headings, MAX_ERRORS)
            _add_errors(result, errors)
            result.error_count += overlapping - len(errors)
            if not result.error_count:
                result.skipped, result.differing = import_stage.compare_with_earlier(
                    headings, MAX_ERRORS
                )
        if result.error_count:
            if dry_run:
                return result
            raise ImportRefused(
                _l("Filen har %(n)s feil; ingenting ble importert.", n=result.error_count),
                {"rows": result.errors},
            )
        if result.differing:
            if dry_run:
                return result
            raise ImportDiffers(
                _l(
                    "%(n)s rad(er) avviker fra det en tidligere import førte inn; ingenting ble "
                    "importert. Rett registreringene i stedet, eller importer bare nye rader.",
                    n=len(result.differing),
                ),
                {"rows": result.differing},
            )
        result.imported = import_stage.count()
        result.before_stock_start, result.from_stock_start = import_stage.split_at_start()
        period_locks.share_sites(import_stage.site_ids())
        locked = import_stage.first_locked_submission()
        if locked is not None:
            raise period_locks.refusal(period_locks.get(locked))
        if dry_run:
            result.totals, result.preview = import_stage.summary(PREVIEW_ROWS)
            return result
        batch = _write_batch(actor, result)
        result.batch_id = batch.id
        db.session.execute(DropTable(import_stage.STAGE))
        restore_cache()
        commit()
        return result
    finally:
        restore_cache()
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
