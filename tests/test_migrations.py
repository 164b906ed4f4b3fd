"""Migrations alone build the schema, and they agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tracker.database import include_name
from tracker.extensions import db
from tracker.models import Base
from tracker.models.stock import SPARSE_REFERENCES


def test_migrations_build_every_table(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_are_at_a_single_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    config = app.extensions["migrate"].migrate.get_config()
    assert isinstance(app.extensions["migrate"].migrate, Migrate)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.mark.parametrize("column", SPARSE_REFERENCES)
def test_sparse_reference_lookups_use_their_partial_index(app, column):
    """A movement's cause is found by its partial index (`col = x` implies `col IS NOT NULL`)."""
    query = f"SELECT id FROM stock_movement WHERE {column} = 7"  # noqa: S608 (a constant)
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {query}")).scalars().all()
        else:
            plan = [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}"))]
    assert any(f"ix_stock_movement_{column}" in line for line in plan), plan
