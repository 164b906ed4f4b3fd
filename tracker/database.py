"""Engine settings per database: SQLite needs WAL, a busy timeout and BEGIN IMMEDIATE."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine, event

from tracker.extensions import db

# How long a writer waits for SQLite's write lock before giving up with "database is locked"
# (then answered as a 503 with Retry-After, never a 500). SQLITE_BUSY_TIMEOUT_MS overrides it.
BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", 10000))


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# A connection execution option: this transaction only reads (see reads_first).
READS_ONLY = "tracker_reads_only"


def _sqlite_begin(connection: Any) -> None:
    """Writers take the write lock at BEGIN, so two of them queue instead of deadlocking.

    Read-only requests (GET, HEAD) begin deferred: in WAL mode they read a snapshot without
    blocking writers, so a long report never holds up the day's entries. GET handlers
    must therefore not write. So do the reads a writing service does first (`reads_first`).
    """
    if connection.get_execution_options().get(READS_ONLY) or (
        has_request_context()
        and (request.method in READ_ONLY_METHODS or g.get("tracker_read_phase"))
    ):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def read_phase() -> Iterator[None]:
    """Reads a writing request does before its service (the bearer token lookup).

    On SQLite they run in a deferred transaction that ends here, so a POST holds the
    database's single write lock only for its service's own work, not for authentication.
    Loaded objects stay usable (expire_on_commit is off). On PostgreSQL nothing changes.
    """
    g.tracker_read_phase = True
    try:
        yield
    finally:
        g.tracker_read_phase = False
    if request.method in READ_ONLY_METHODS:
        return  # a GET reads on in the same deferred transaction, one snapshot
    session = db.session()
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.commit()


@contextlib.contextmanager
def reads_first() -> Iterator[None]:
    """The reads a writing service does before its first write (site, items, lots, access).

    On SQLite, when no transaction is open, they run in a deferred transaction (a WAL
    snapshot, no lock) that is committed here, and the writes then begin with BEGIN
    IMMEDIATE: the database's single write lock is held for the writes alone. What was read
    is not locked, as on PostgreSQL (READ COMMITTED): a site deactivated while an entry is
    in flight may still take that entry, never a later one. A balance read here (to pick a
    lot) is never written back: balances move only by atomic SQL (invariant 1). Nothing is
    written inside this block.
    Inside an open transaction (e.g. a web POST whose login already began one), and on
    PostgreSQL, the reads simply run in the service's transaction.
    """
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.connection(execution_options={READS_ONLY: True})  # BEGIN (deferred)
    yield
    session.commit()  # ends the snapshot; loaded objects stay usable (expire_on_commit off)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_connect):
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        # A restarting server must fail fast (503), not hang the worker.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    db.init_app(app)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        configure_engine(db.engine)
