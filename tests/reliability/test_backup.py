"""Backup and restore: a seeded database survives the round trip and its ledger verifies."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

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
