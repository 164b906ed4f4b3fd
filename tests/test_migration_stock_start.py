"""Migration 0014 on data already there: stock start per site, pre-start history given back."""

from datetime import date

import pytest
from sqlalchemy import select, text

from tracker import config, create_app
from tracker.extensions import db
from tracker.models import Site, StockBalance, StockMovement, TallyEntry
from tracker.services import ledger_check


@pytest.fixture
def fresh_database(tmp_path, is_postgres):
    """An empty database of the run's kind, for migrating up step by step."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from tests.conftest import _create_postgres, _drop_postgres

    server, url = _create_postgres()
    yield url
    _drop_postgres(server, url)


ROWS = [
    "INSERT INTO municipality (id, number, name) VALUES (1, '4601', 'Bergen')",
    "INSERT INTO site (id, code, name, municipality_id, kind, active, created_at)"
    " VALUES (1, 'BGO-MO', 'MO', 1, 'mo_senter', TRUE, '2025-01-01 00:00:00'),"
    " (2, 'BGO-NY', 'Ny', 1, 'mo_senter', TRUE, '2025-01-01 00:00:00')",
    "INSERT INTO user_account (id, email, name, password_hash, active, session_version,"
    " created_at) VALUES (1, 'a@test.no', 'A', 'x', TRUE, 1, '2025-01-01 00:00:00')",
    "INSERT INTO item (id, code, name_nb, name_en, category, unit, tracks_lots, active,"
    " sort_order) VALUES (1, 'SPR-2', 'Sprøyte', 'Syringe', 'syringe', 'stk', FALSE, TRUE, 1)",
    # history from 2015 (imported before the tracker went live), then the first receipt
    "INSERT INTO tally_entry (id, site_id, entry_date, contacts, created_by_id, created_at,"
    " granularity, version) VALUES (1, 1, '2015-03-01', 0, 1, '2025-01-01 00:00:00', 'month', 1),"
    " (2, 1, '2025-06-02', 3, 1, '2025-06-02 00:00:00', 'day', 1),"
    " (3, 2, '2025-06-02', 3, 1, '2025-06-02 00:00:00', 'day', 1)",
    "INSERT INTO tally_line (id, tally_id, item_id, quantity) VALUES (1, 1, 1, 89128),"
    " (2, 2, 1, 40), (3, 3, 1, 5)",
    "INSERT INTO receipt (id, site_id, received_on, created_by_id, created_at)"
    " VALUES (1, 1, '2025-06-01', 1, '2025-06-01 00:00:00')",
    "INSERT INTO stock_movement (site_id, item_id, kind, quantity, occurred_on, recorded_at,"
    " recorded_by_id, tally_id, receipt_id) VALUES"
    " (1, 1, 'distribution', -89128, '2015-03-01', '2025-01-01 00:00:00', 1, 1, NULL),"
    " (1, 1, 'receipt', 1000, '2025-06-01', '2025-06-01 00:00:00', 1, NULL, 1),"
    " (1, 1, 'distribution', -40, '2025-06-02', '2025-06-02 00:00:00', 1, 2, NULL),"
    " (2, 1, 'distribution', -5, '2025-06-02', '2025-06-02 00:00:00', 1, 3, NULL)",
    "INSERT INTO stock_balance (site_id, item_id, lot_key, quantity) VALUES"
    " (1, 1, 0, -88168), (2, 1, 0, -5)",
    "INSERT INTO distribution_daily (site_id, item_id, day, quantity) VALUES"
    " (1, 1, '2015-03-01', 89128), (1, 1, '2025-06-02', 40), (2, 1, '2025-06-02', 5)",
    "INSERT INTO distribution_monthly (site_id, item_id, month, quantity) VALUES"
    " (1, 1, '2015-03-01', 89128), (1, 1, '2025-06-01', 40), (2, 1, '2025-06-01', 5)",
    "INSERT INTO contacts_daily (site_id, day, contacts) VALUES"
    " (1, '2025-06-02', 3), (2, '2025-06-02', 3)",
]


def test_the_migration_gives_back_what_history_before_the_stock_start_took(app, fresh_database):
    from flask_migrate import upgrade

    other = create_app(config.TestConfig(fresh_database))
    with other.app_context():
        upgrade(revision="0013_blank")
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        upgrade()
        sites = {s.code: s for s in db.session.scalars(select(Site))}
        assert sites["BGO-MO"].stock_start == date(2025, 6, 1)
        assert sites["BGO-NY"].stock_start is None  # nothing received: every movement counts
        flagged = {t.id: t.before_stock_start for t in db.session.scalars(select(TallyEntry))}
        assert flagged == {1: True, 2: False, 3: False}
        balances = dict(
            db.session.execute(select(StockBalance.site_id, StockBalance.quantity)).all()
        )
        assert balances == {1: 1000 - 40, 2: -5}
        given_back = db.session.scalars(
            select(StockMovement).where(StockMovement.kind == "correction")
        ).all()
        assert [(m.site_id, m.quantity, m.occurred_on) for m in given_back] == [
            (1, 89128, date(2025, 5, 31))
        ]
        assert ledger_check.verify() == []
        db.session.remove()
        db.engine.dispose()
