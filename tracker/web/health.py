"""Health probes for the load balancer: /healthz (process up), /readyz (database usable).

Both are public (no login, no token) and say nothing about the data.
"""

from __future__ import annotations

import functools
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import STATUS_TEXTS, problem
from tracker.extensions import db
from tracker.language import request_locale

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


def _unready(detail: Any, retry_after: str) -> Response:
    """A 503 problem in the language asked for, chosen without the database (it may be down)."""
    with force_locale(request_locale()):
        title = STATUS_TEXTS[503][0]
        return problem(503, title, detail, slug="unavailable", headers={"Retry-After": retry_after})


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
        return _unready(STATUS_TEXTS[503][1], "5")
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if current != heads:
        return _unready(
            _l("Databaseskjemaet er ikke på siste migrering; kjør `flask db upgrade`."), "30"
        )
    return jsonify(status="ready", database=db.engine.dialect.name, revision=sorted(current))
