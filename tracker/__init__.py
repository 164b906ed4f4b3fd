"""The harm-reduction supply tracker. create_app is the only place an app is built."""

from __future__ import annotations

from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Any = None) -> Flask:
    """Build the app from a config object (default: Config from the environment)."""
    from tracker import api, auth, cli, database, errors, inputs, requestlog, security, web
    from tracker.config import Config
    from tracker.extensions import csrf, limiter, migrate
    from tracker.extensions import db as database_handle

    app = Flask(__name__, instance_relative_config=False, static_folder=None)
    app.config.from_object(config or Config())
    database.init_app(app)
    migrate.init_app(
        app,
        database_handle,
        directory=str(_migrations_dir()),
        render_as_batch=True,
        compare_type=True,
        include_name=database.include_name,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    requestlog.init_app(app)
    inputs.init_app(app)
    api.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
