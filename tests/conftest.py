"""Fixtures: a fresh database per run (SQLite or PostgreSQL), built by the migrations.

TEST_DB=sqlite (default) uses a temporary file. TEST_DB=postgres creates a database named
after the run on the server at TEST_DATABASE_URL (default: local PostgreSQL) and drops it
afterwards. Without a reachable server the PostgreSQL run is skipped loudly, or fails when
REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.config import TestConfig, database_url
from tracker.database import ledger_rewrite
from tracker.extensions import db
from tracker.models import Base

pytest_plugins = ["tests.browser"]

KEEP = {"category": "DELETE FROM category WHERE NOT fixed"}
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _create_postgres() -> tuple[str, str]:
    server = database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    name = f"tracker_test_{uuid.uuid4().hex[:8]}_{_worker()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {server}: {exc.__class__.__name__}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.exit(f"REQUIRE_POSTGRES=1 but {message}", returncode=3)
        pytest.skip(f"SKIPPING THE POSTGRESQL RUN: {message}", allow_module_level=True)
    finally:
        admin.dispose()
    return server, make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(server: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, migrated database for this run (and this xdist worker)."""
    if os.environ.get("TEST_DB", "sqlite") == "postgres":
        server, url = _create_postgres()
        _migrate(url)
        yield url
        _drop_postgres(server, url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.db'}"
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(TestConfig(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(database_uri: str) -> Iterator[Flask]:
    app = create_app(TestConfig(database_uri))
    request_started.connect(_fresh_g, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _fresh_g(sender: Flask, **extra: object) -> None:
    """Tests keep one app context open, so `g` would outlive a request: start each one empty."""
    vars(g).clear()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables (the schema stays)."""
    yield
    if "app" not in request.fixturenames:
        return
    # The long-lived app context's `g` would carry the last request's language and user
    # into service calls of the next test (a message rendered in English, a stale user).
    g.pop("_flask_babel", None)
    g.pop("_login_user", None)
    db.session.remove()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # The fixed categories are seeded by the migrations and stay (items reference them).
    deletes = [KEEP.get(name, f"DELETE FROM {name}") for name in tables]  # noqa: S608
    with db.engine.begin() as conn, ledger_rewrite(conn):  # the ledger is append-only
        if conn.dialect.name == "postgresql":
            # DELETE, not TRUNCATE: TRUNCATE makes new files for every table and index and
            # took ~0.9 s per test under load; these tables hold a few rows (bench/README.md).
            conn.exec_driver_sql("; ".join(deletes))
            conn.exec_driver_sql("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
        else:
            for statement in deletes:
                conn.execute(text(statement))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(app: Flask) -> bool:
    return db.engine.dialect.name == "postgresql"
