"""Health probes for the load balancer: /healthz (process up), /readyz (database usable).

Both are public (no login, no token) and say nothing about the data.
"""

from __future__ import annotations

import functools

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import problem
from tracker.extensions import db

bp = Blueprint("health", __name__)


@functools.cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migration scripts (read once per process)."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_revisions() -> frozenset[str]:
    """The revisions the database says it is at; raises if it cannot be reached."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return frozenset(rows)


@bp.get("/healthz")
def healthz():
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and its schema is at the migrations' head."""
    try:
        current = database_revisions()
    except SQLAlchemyError:
        return problem(
            503,
            "Service unavailable",
            "The database is not reachable.",
            slug="unavailable",
            headers={"Retry-After": "5"},
        )
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if current != heads:
        return problem(
            503,
            "Service unavailable",
            "The database schema is not at the latest migration; run `flask db upgrade`.",
            slug="unavailable",
            headers={"Retry-After": "30"},
        )
    return jsonify(status="ready", database=db.engine.dialect.name, revision=sorted(current))
