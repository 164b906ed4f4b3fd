"""Backup and restore of the whole database: SQLite's online backup API, pg_dump/pg_restore.

A backup is a consistent snapshot taken while the app keeps serving. A restore replaces
everything in the configured database with the backup's content.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import URL, make_url

from tracker.errors import DomainError


class BackupError(DomainError):
    """The backup or restore could not be done (missing tool, wrong file, server error)."""

    status, title, slug = 500, "Backup failed", "backup-failed"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq_url(url: URL) -> str:
    """The URL as pg_dump understands it (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; it comes with the PostgreSQL client tools.")
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target`."""
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # page by page, while others keep writing
        finally:
            copy.close()
            source.close()
        return
    if url.get_backend_name() == "postgresql":
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)]
        )
        return
    raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")


# What a candidate SQLite file must pass before it may replace the live database.
NOT_CHANGED = "The database was not changed."


def _copy_sqlite(source: Path, target: Path, *, read_only: bool = False) -> None:
    """Copy one SQLite database over another with the online backup API (WAL-safe)."""
    uri = f"file:{source}?mode=ro" if read_only else f"file:{source}"
    origin = sqlite3.connect(uri, uri=True, timeout=30)
    copy = sqlite3.connect(target, timeout=30)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


def _check_sqlite_file(candidate: Path, source: Path) -> str:
    """Undamaged pages and one Alembic revision; returns that revision."""
    with contextlib.closing(sqlite3.connect(candidate)) as conn:
        for pragma in ("quick_check", "integrity_check"):
            try:
                found = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]
            except sqlite3.DatabaseError as exc:
                found = [str(exc)]  # damaged beyond what the check itself can read
            if found != ["ok"]:
                raise BackupError(
                    f"{source} is damaged (PRAGMA {pragma}: {'; '.join(found[:3])}). " + NOT_CHANGED
                )
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise BackupError(f"{source} has rows whose foreign keys point nowhere. {NOT_CHANGED}")
        try:
            revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.DatabaseError:
            raise BackupError(
                f"{source} is not a tracker backup (it has no alembic_version table). "
                + NOT_CHANGED
            ) from None
    if len(revisions) != 1:
        raise BackupError(
            f"{source} is not a tracker backup (schema revisions {revisions or 'none'}). "
            + NOT_CHANGED
        )
    return revisions[0]


def _check_revision(revision: str, source: Path) -> bool:
    """True when the candidate must be upgraded; refuses a revision the migrations do not know."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    if revision in heads:
        return False
    if revision in {known.revision for known in script.walk_revisions()}:
        return True
    raise BackupError(
        f"{source} is at schema revision {revision}, which this version of the tracker does "
        f"not know (its head is {', '.join(sorted(heads))}); restore it with the version that "
        f"wrote it. {NOT_CHANGED}"
    )


def _tracker_cli(candidate: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one of the tracker's own CLI commands on the candidate file, in a process of its own.

    So the candidate is upgraded and verified by the very code `flask db upgrade` and
    `flask verify-ledger` run, without this process's app touching it.
    """
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{candidate}",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "tracker:create_app", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )


def _check_candidate_data(candidate: Path, source: Path, *, upgrade: bool) -> None:
    """Upgrade the candidate to head if it is behind, then check its tables and its ledger."""
    from tracker.models import Base

    if upgrade:
        result = _tracker_cli(candidate, "db", "upgrade")
        if result.returncode != 0:
            raise BackupError(
                f"{source} could not be upgraded to the current schema: "
                f"{result.stderr.strip()[-500:]} {NOT_CHANGED}"
            )
    with contextlib.closing(sqlite3.connect(candidate)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    missing = set(Base.metadata.tables) - tables
    if missing:
        raise BackupError(f"{source} lacks the tables {', '.join(sorted(missing))}. {NOT_CHANGED}")
    result = _tracker_cli(candidate, "verify-ledger")
    if result.returncode != 0:
        found = result.stdout.strip().splitlines() or [result.stderr.strip()[-500:]]
        raise BackupError(
            f"The ledger in {source} does not verify ({result.stderr.strip()[-200:]} "
            f"First: {found[0]}). {NOT_CHANGED}"
        )


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


def _restore_sqlite(live: Path, source: Path) -> Path | None:
    """Check a copy of the backup beside the live file, then copy it over the live database.

    The live database is first copied to `<name>.replaced-<UTC time>` beside it; returns that
    path (None when there was no live database yet).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    live.parent.mkdir(parents=True, exist_ok=True)
    candidate = live.with_name(f"{live.name}.restoring-{stamp}")
    try:
        try:
            _copy_sqlite(source, candidate, read_only=True)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a tracker backup: {exc}. {NOT_CHANGED}") from exc
        revision = _check_sqlite_file(candidate, source)
        _check_candidate_data(candidate, source, upgrade=_check_revision(revision, source))
        replaced = None
        try:
            if live.exists():
                replaced = live.with_name(f"{live.name}.replaced-{stamp}")
                _copy_sqlite(live, replaced)
            _copy_sqlite(candidate, live)  # one write transaction: all of it or none
        except sqlite3.Error as exc:
            raise BackupError(
                f"The checked backup could not be copied over {live} ({exc}); stop the app and "
                f"try again. {NOT_CHANGED}"
            ) from exc
        return replaced
    finally:
        _remove_sqlite(candidate)


def restore(database_url: str, source: Path) -> Path | None:
    """Replace the database's content with the backup in `source`.

    On SQLite the backup is checked first (pages, schema revision, tables, ledger) and the
    replaced database is kept beside the live one; returns where. pg_restore runs in one
    transaction, so a failing PostgreSQL restore changes nothing; returns None.
    """
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(_sqlite_path(url), source)
    if url.get_backend_name() == "postgresql":
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ]
        )
        return None
    raise BackupError(f"Restores of {url.get_backend_name()} are not supported.")
