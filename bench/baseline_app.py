"""The baseline for entry throughput: a bare Flask app doing one INSERT per request.

Same process layout as the tracker (gunicorn.conf.py, 4 workers, preloaded), same database.
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from tracker.database import configure_engine

metadata = MetaData()
rows = Table(
    "bench_baseline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payload", String(2000)),
)


def create_app() -> Flask:
    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, pool_pre_ping=True)
    configure_engine(engine)  # the same SQLite pragmas and locking as the tracker
    metadata.create_all(engine)
    app = Flask(__name__)
    app.extensions["engine"] = engine

    @app.get("/")
    def ready():
        return "ok"

    @app.post("/insert")
    def insert_row():
        with engine.begin() as conn:
            conn.execute(insert(rows).values(payload=request.get_data(as_text=True)[:2000]))
        return {"ok": True}, 201

    return app


app = create_app()
