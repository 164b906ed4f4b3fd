"""Backup and restore: a seeded database survives the round trip and its ledger verifies."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.factories import actor, make_item, make_site, make_user
from tracker import config, create_app
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, StockBalance, StockMovement, TallyEntry
from tracker.services import stock, tallies


def _seed() -> None:
    site = make_site("OSL-MO")
    make_item("SPR-2")
    lead = actor(make_user("lead", [site]))
    stock.receive(
        lead, site_code="OSL-MO", received_on=today(), lines=[{"item": "SPR-2", "quantity": 500}]
    )
    for n in range(1, 6):
        tallies.create_tally(
            lead,
            site_code="OSL-MO",
            entry_date=today(),
            contacts=n,
            lines=[{"item": "SPR-2", "quantity": 10 * n}],
        )


def _counts() -> dict[str, object]:
    return {
        "movements": db.session.scalar(select(func.count(StockMovement.id))),
        "tallies": db.session.scalar(select(func.count(TallyEntry.id))),
        "audit": db.session.scalar(select(func.count(AuditEvent.id))),
        "balance": db.session.scalar(select(func.sum(StockBalance.quantity))),
    }


@pytest.fixture
def empty_copy(tmp_path, is_postgres):
    """A second, empty database of the same kind to restore into."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'copy.db'}"
        return
    from tests.conftest import _create_postgres, _drop_postgres

    server, url = _create_postgres()
    yield url
    _drop_postgres(server, url)


def test_backup_and_restore_round_trip_a_seeded_database(app, runner, tmp_path, empty_copy):
    _seed()
    before = _counts()
    file = tmp_path / "tracker.backup"
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert file.stat().st_size > 0

    copy = create_app(config.TestConfig(empty_copy))
    with copy.app_context():
        copy_runner = copy.test_cli_runner()
        restored = copy_runner.invoke(args=["restore", "--yes", str(file)])
        assert restored.exit_code == 0, restored.output
        verified = copy_runner.invoke(args=["verify-ledger"])
        assert verified.exit_code == 0, verified.output
        assert _counts() == before
        db.session.remove()
        db.engine.dispose()


def test_restore_replaces_later_changes(app, runner, tmp_path):
    _seed()
    before = _counts()
    file = tmp_path / "tracker.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    tallies.create_tally(
        actor(make_user("admin")),
        site_code="OSL-MO",
        entry_date=today(),
        contacts=1,
        lines=[{"item": "SPR-2", "quantity": 1}],
    )
    assert _counts() != before
    result = runner.invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 0, result.output
    assert _counts() == before
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_restore_asks_first_and_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    _seed()
    file = tmp_path / "not-a-backup"
    file.write_text("hello")
    assert runner.invoke(args=["restore", str(file)], input="n\n").exit_code == 1
    result = runner.invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 2
    assert "Error:" in result.output
    assert runner.invoke(args=["restore", "--yes", str(tmp_path / "missing")]).exit_code == 2
    assert _counts()["tallies"] == 5


@pytest.mark.skipif(os.environ.get("TEST_DB") == "postgres", reason="SQLite only")
def test_sqlite_backup_is_taken_online_while_a_write_is_open(app, runner, tmp_path):
    _seed()
    import sqlite3

    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "online.backup")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0, result.output


# SQLite restores check the candidate before it replaces anything (issue 18, part 7).
sqlite_only = pytest.mark.skipif(os.environ.get("TEST_DB") == "postgres", reason="SQLite only")


def _backup_to(runner, tmp_path) -> Path:
    file = tmp_path / "tracker.backup"
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    return file


def _refused(runner, file: Path, before: dict[str, object], words: str) -> None:
    """The restore exits non-zero, says why, and leaves the live database as it was."""
    live = Path(db.engine.url.database)
    result = runner.invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "The database was not changed." in result.output
    assert _counts() == before
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    assert sorted(p.name for p in live.parent.iterdir() if ".restoring-" in p.name) == []
    assert sorted(p.name for p in live.parent.iterdir() if ".replaced-" in p.name) == []


def _edit(file: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(file, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(autouse=True)
def _clear_replaced_copies(app):
    """Replaced copies a SQLite restore leaves beside the test database go afterwards."""
    yield
    if db.engine.dialect.name != "sqlite":
        return
    live = Path(db.engine.url.database)
    for path in live.parent.iterdir():
        if ".replaced-" in path.name:
            path.unlink()


@sqlite_only
def test_restore_refuses_a_foreign_sqlite_file(app, runner, tmp_path):
    _seed()
    before = _counts()
    foreign = tmp_path / "notes.db"
    _edit(foreign, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    _refused(runner, foreign, before, "is not a tracker backup")


@sqlite_only
def test_restore_refuses_a_backup_with_corrupt_pages(app, runner, tmp_path):
    _seed()
    before = _counts()
    file = _backup_to(runner, tmp_path)
    with contextlib.closing(sqlite3.connect(file)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'stock_movement'"
        ).fetchone()
    with file.open("r+b") as raw:
        raw.seek((root - 1) * page_size)
        raw.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    _refused(runner, file, before, "is damaged (PRAGMA quick_check")


@sqlite_only
def test_restore_refuses_a_schema_revision_the_migrations_do_not_know(app, runner, tmp_path):
    _seed()
    before = _counts()
    file = _backup_to(runner, tmp_path)
    _edit(file, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    _refused(runner, file, before, "schema revision 9999_from_the_future")


@sqlite_only
def test_restore_refuses_a_backup_whose_ledger_does_not_verify(app, runner, tmp_path):
    _seed()
    before = _counts()
    file = _backup_to(runner, tmp_path)
    _edit(file, "UPDATE stock_balance SET quantity = quantity + 7")
    _refused(runner, file, before, "does not verify (1 mismatches. First: MISMATCH stock_balance")


@sqlite_only
def test_restore_refuses_a_backup_that_lacks_a_table(app, runner, tmp_path):
    _seed()
    before = _counts()
    file = _backup_to(runner, tmp_path)
    _edit(file, "DROP TABLE idempotency_key")
    _refused(runner, file, before, "lacks the tables idempotency_key")


@sqlite_only
def test_restore_upgrades_a_backup_of_an_older_known_revision(app, runner, tmp_path):
    import flask_migrate

    old = tmp_path / "old.db"
    older = create_app(config.TestConfig(f"sqlite:///{old}"))
    with older.app_context():
        flask_migrate.upgrade(revision="0004_reports")
        db.engine.dispose()
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.remove()
    assert head != "0004_reports"
    result = runner.invoke(args=["restore", "--yes", str(old)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


@sqlite_only
def test_restore_keeps_the_replaced_database_beside_the_live_one(app, runner, tmp_path):
    _seed()
    file = _backup_to(runner, tmp_path)
    tallies.create_tally(
        actor(make_user("admin")),
        site_code="OSL-MO",
        entry_date=today(),
        contacts=1,
        lines=[{"item": "SPR-2", "quantity": 1}],
    )
    result = runner.invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 0, result.output
    assert "its ledger verifies" in result.output
    live = Path(db.engine.url.database)
    (replaced,) = [p for p in live.parent.iterdir() if ".replaced-" in p.name]
    assert re.fullmatch(rf"{re.escape(live.name)}\.replaced-\d{{8}}T\d{{6}}", replaced.name)
    assert str(replaced) in result.output
    assert _counts()["tallies"] == 5
    with contextlib.closing(sqlite3.connect(replaced)) as conn:
        assert conn.execute("SELECT count(*) FROM tally_entry").fetchone() == (6,)
    assert [p.name for p in live.parent.iterdir() if ".restoring-" in p.name] == []
