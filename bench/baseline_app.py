"""The baselines for entry throughput, in the tracker's process layout (4 workers, preloaded).

- `POST /insert`: a bare Flask endpoint doing one INSERT per request (the issue's baseline).
- `POST /floor`: the tracker's own statements for a tally, and nothing else: the token
  lookup, the entry, its lines, the audit event, the movements, the balance, daily, monthly
  and contacts upserts and the negative-balance flag, as prepared Core statements in one
  transaction, on the JSON body as sent (no validation, no ORM, no schemas, no logging).
  It is the data model's floor: what a tally POST costs with zero framework work, so
  tracker/floor shows what the stack adds and floor/insert what the statements cost.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, date, datetime

from flask import Flask, request
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    select,
)

from tracker.database import configure_engine
from tracker.models import (
    ApiToken,
    AuditEvent,
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    Item,
    Site,
    StockBalance,
    StockMovement,
    TallyEntry,
    TallyLine,
)
from tracker.services import ledger

metadata = MetaData()
rows = Table(
    "bench_baseline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payload", String(2000)),
)

_TOKEN = select(ApiToken.id, ApiToken.user_id).where(
    ApiToken.token_hash == bindparam("h"), ApiToken.revoked_at.is_(None)
)
_CODES: dict[str, int] = {}  # site and item ids by code, read once (the tracker caches them too)
_ENTRY = insert(TallyEntry.__table__).returning(TallyEntry.__table__.c.id)
_LINES = insert(TallyLine.__table__).returning(TallyLine.__table__.c.id)
_AUDIT = insert(AuditEvent.__table__)
_MOVES = insert(StockMovement.__table__).returning(StockMovement.__table__.c.id)


def _upsert(model: type, keys: tuple[str, ...], column: str, rows: list[dict]) -> object:
    return ledger._conflict_statement(model.__table__, tuple(rows[0]), keys, column)  # noqa: SLF001


def floor_tally(conn, body: dict, bearer: str) -> int:  # noqa: ANN001
    """The tracker's statements for one tally, with nothing around them."""
    token = conn.execute(_TOKEN, {"h": hashlib.sha256(bearer.encode()).hexdigest()}).first()
    if not _CODES:
        _CODES.update(conn.execute(select(Site.code, Site.id)).all())
        _CODES.update(conn.execute(select(Item.code, Item.id)).all())
    site_id = _CODES[body["site"]]
    day, now = date.fromisoformat(body["date"]), datetime.now(UTC)
    entry = {
        "site_id": site_id, "entry_date": day, "contacts": body["contacts"], "note": None,
        "created_by_id": token.user_id if token else None, "created_at": now,
        "granularity": "day",
    }  # fmt: skip
    tally_id = conn.execute(_ENTRY, entry).scalar_one()
    lines = [
        {"tally_id": tally_id, "item_id": _CODES[line["item"]], "quantity": line["quantity"]}
        for line in body["lines"]
    ]
    conn.execute(_LINES, lines).all()
    conn.execute(
        _AUDIT,
        {"at": now, "user_id": entry["created_by_id"], "site_id": site_id, "entity": "tally",
         "entity_id": str(tally_id), "action": "create", "after": body},
    )  # fmt: skip
    conn.execute(
        _MOVES,
        [
            {"site_id": site_id, "item_id": line["item_id"], "kind": "distribution",
             "quantity": -line["quantity"], "occurred_on": day, "recorded_at": now,
             "recorded_by_id": entry["created_by_id"], "tally_id": tally_id}
            for line in lines
        ],
    ).all()  # fmt: skip
    keyed = [(site_id, line["item_id"], -line["quantity"]) for line in lines]
    for model, keys, column, values in (
        (StockBalance, ("site_id", "item_id", "lot_key"), "quantity",
         [{"site_id": s, "item_id": i, "lot_key": 0, "lot_id": None, "quantity": q}
          for s, i, q in keyed]),
        (DistributionDaily, ("site_id", "item_id", "day"), "quantity",
         [{"site_id": s, "item_id": i, "day": day, "quantity": -q} for s, i, q in keyed]),
        (DistributionMonthly, ("site_id", "item_id", "month"), "quantity",
         [{"site_id": s, "item_id": i, "month": day.replace(day=1), "quantity": -q}
          for s, i, q in keyed]),
        (ContactsDaily, ("site_id", "day"), "contacts",
         [{"site_id": site_id, "day": day, "contacts": body["contacts"]}]),
    ):  # fmt: skip
        conn.execute(_upsert(model, keys, column, values), values)
    conn.execute(
        ledger._FLAG_NEGATIVE,  # noqa: SLF001
        [{"detected_on": day, "detected_at": now, "site_id": s, "item_id": i, "lot_key": 0}
         for s, i, _ in keyed],
    )  # fmt: skip
    return tally_id


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

    @app.post("/floor")
    def floor():
        bearer = request.headers.get("Authorization", "").partition(" ")[2]
        body = json.loads(request.get_data())
        with engine.begin() as conn:
            tally_id = floor_tally(conn, body, bearer)
        return {"id": tally_id}, 201

    return app


app = create_app()
