"""Engine settings per database: SQLite needs WAL, a busy timeout and BEGIN IMMEDIATE."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Connection, Engine, event

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


# The append-only triggers on stock_movement and audit_event (migration 0006) refuse UPDATE
# and DELETE unless this transaction lifted them: a transaction-local setting on PostgreSQL,
# on SQLite the one flag row of LEDGER_GUARD (a table of the migrations, not a model).
LEDGER_GUARD = "ledger_guard"
REWRITE_SETTING = "tracker.allow_ledger_rewrite"


@contextlib.contextmanager
def ledger_rewrite(connection: Connection) -> Iterator[None]:
    """Lift the ledger's append-only triggers inside this transaction, for maintenance only.

    For emptying whole tables (the tests' clean-up), never for anything a request does: the
    app fixes a movement with a correction. No DDL, so it costs one statement. On SQLite the
    flag is set back before the transaction ends; meanwhile this transaction holds the only
    write lock and readers see the last commit, so no other connection ever sees it lifted.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL {REWRITE_SETTING} = 'on'")
        yield
        return
    connection.exec_driver_sql(f"UPDATE {LEDGER_GUARD} SET allow = 1")  # noqa: S608 (constant)
    try:
        yield
    finally:
        connection.exec_driver_sql(f"UPDATE {LEDGER_GUARD} SET allow = 0")  # noqa: S608


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """What autogenerate compares with the models: everything but SQLite's ledger flag."""
    return not (type_ == "table" and name == LEDGER_GUARD)


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
    if engine.dialect.driver == "psycopg":
        from tracker import deadline

        if not event.contains(engine, "do_connect", deadline.connect):
            event.listen(engine, "do_connect", deadline.connect)


def _postgres_timeouts(app: Flask) -> None:
    """Bound every wait on PostgreSQL by DB_TIMEOUT_SECONDS, so a request gets a 503, not a hang.

    connect_timeout covers a server that does not answer a new connection, pool_timeout the
    wait for a pooled one, statement_timeout a slow query on a server that still answers; a
    frozen server is left to the in-process deadline (tracker/deadline.py).
    """
    from tracker import deadline

    seconds = float(app.config["DB_TIMEOUT_SECONDS"])
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("pool_timeout", seconds)
    connect_args = options.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", max(2, math.ceil(seconds)))  # libpq: 2 at least
    if "statement_timeout" not in connect_args.get("options", ""):
        timeout = f"-c statement_timeout={round(seconds * 1000)}"
        connect_args["options"] = f"{connect_args.get('options', '')} {timeout}".strip()
    deadline.init_app(app)  # before db.init_app: see deadline.init_app


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        _postgres_timeouts(app)
    db.init_app(app)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        configure_engine(db.engine)
