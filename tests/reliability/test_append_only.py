"""The database itself refuses UPDATE and DELETE on the ledger and the audit log (invariant 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from tests.factories import actor, make_item, make_site, make_user
from tracker import config, create_app
from tracker.database import LEDGER_GUARD, ledger_rewrite
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, StockMovement
from tracker.services import stock

REFUSED = {
    "stock_movement": (
        "UPDATE stock_movement SET quantity = quantity + 1",
        "DELETE FROM stock_movement",
    ),
    "audit_event": ("UPDATE audit_event SET action = 'changed'", "DELETE FROM audit_event"),
}


@pytest.fixture
def received(app) -> None:
    """A receipt: one movement and one audit event."""
    site = make_site("OSL-MO")
    make_item("SPR-2")
    stock.receive(
        actor(make_user("lead", [site])),
        site_code="OSL-MO",
        received_on=today(),
        lines=[{"item": "SPR-2", "quantity": 10}],
    )


def _rows() -> tuple[int, int, str]:
    return (
        db.session.scalar(select(func.count(StockMovement.id))),
        db.session.scalar(select(func.sum(StockMovement.quantity))),
        db.session.scalar(select(func.max(AuditEvent.action))),
    )


@pytest.mark.parametrize(
    ("table", "statement"), [(t, s) for t, statements in REFUSED.items() for s in statements]
)
def test_a_raw_update_or_delete_is_refused_and_says_why(received, table, statement):
    before = _rows()
    with pytest.raises(DBAPIError, match=f"{table} is append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert _rows() == before


def test_a_changed_movement_object_is_refused_at_the_flush(received):
    movement = db.session.scalars(select(StockMovement)).one()
    movement.quantity = 99
    with pytest.raises(DBAPIError, match="stock_movement is append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(StockMovement.quantity)) == 10


def test_inserting_stays_allowed(received):
    """Corrections are new rows: the triggers stop only changes to written ones."""
    movement = db.session.scalars(select(StockMovement)).one()
    same = {c: getattr(movement, c) for c in ("site_id", "item_id", "occurred_on")}
    db.session.add(
        StockMovement(
            **same,
            kind="correction",
            quantity=-1,
            recorded_by_id=movement.recorded_by_id,
            corrects_id=movement.id,
        )
    )
    db.session.commit()
    assert db.session.scalar(select(func.count(StockMovement.id))) == 2


def test_the_guard_is_lifted_only_inside_ledger_rewrite_and_only_for_that_transaction(received):
    with db.engine.begin() as connection, ledger_rewrite(connection):
        connection.execute(text("UPDATE audit_event SET action = 'changed'"))
        connection.execute(text("DELETE FROM stock_movement"))
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0
    db.session.rollback()
    with pytest.raises(DBAPIError, match="audit_event is append-only"):
        db.session.execute(text("DELETE FROM audit_event"))
    db.session.rollback()


def _rewrite_then_fail() -> None:
    with db.engine.begin() as connection, ledger_rewrite(connection):
        connection.execute(text("DELETE FROM stock_movement"))
        raise RuntimeError("stop")


def test_a_failed_rewrite_leaves_the_guard_up(received):
    with pytest.raises(RuntimeError):
        _rewrite_then_fail()
    assert db.session.scalar(select(func.count(StockMovement.id))) == 1
    with pytest.raises(DBAPIError, match="stock_movement is append-only"):
        db.session.execute(text("DELETE FROM stock_movement"))
    db.session.rollback()


def test_sqlite_keeps_its_flag_down_outside_a_rewrite(received, is_postgres):
    if is_postgres:
        setting = text("SELECT current_setting('tracker.allow_ledger_rewrite', true)")
        assert db.session.scalar(setting) in (None, "")
        return
    with db.engine.begin() as connection, ledger_rewrite(connection):
        assert connection.scalar(text(f"SELECT allow FROM {LEDGER_GUARD}")) == 1  # noqa: S608
    assert db.session.scalar(text(f"SELECT allow FROM {LEDGER_GUARD}")) == 0  # noqa: S608


def test_postgres_refuses_truncate_too(received, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="stock_movement is append-only"):
        db.session.execute(text("TRUNCATE stock_movement CASCADE"))
    db.session.rollback()


@pytest.fixture
def fresh_database(tmp_path, is_postgres):
    """An empty database of the run's kind, for migrating up and down."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from tests.conftest import _create_postgres, _drop_postgres

    server, url = _create_postgres()
    yield url
    _drop_postgres(server, url)


def _triggers(connection, is_postgres: bool) -> set[str]:
    if is_postgres:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(connection.execute(text(query)).scalars())


def test_the_migration_adds_the_triggers_and_its_downgrade_drops_them(
    app, fresh_database, is_postgres
):
    from flask_migrate import downgrade, upgrade

    other = create_app(config.TestConfig(fresh_database))
    with other.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert len(_triggers(connection, is_postgres)) == (2 if is_postgres else 4)
        downgrade(revision="0008_tally_version")
        with db.engine.connect() as connection:
            assert _triggers(connection, is_postgres) == set()
            assert LEDGER_GUARD not in inspect(connection).get_table_names()
        upgrade()
        db.session.remove()
        db.engine.dispose()
