"""The baselines for entry throughput, in the tracker's process layout (4 workers, preloaded).

- `POST /insert`: a bare Flask endpoint doing one INSERT per request (the issue's baseline).
- `POST /floor`: the true floor of a tally POST. The same rows as one tally (the entry, its
  lines, the audit event, the movements, the balance upserts, the daily and monthly
  aggregates, the contacts counter, the negative-balance flag and, when the request carries
  an Idempotency-Key, the idempotency record) written in one transaction with the fewest
  round trips the database allows, straight through the driver, with no framework (no
  validation, ORM, schemas, logging or rate limit). The token lookup (and the replay check)
  runs first, outside the write lock (autocommit reads). On PostgreSQL every write is one
  data-modifying CTE sent in one pipeline with BEGIN and COMMIT: one network round trip.
  On SQLite: BEGIN IMMEDIATE, one statement or executemany per table, COMMIT. Site and item
  ids are read once per worker. floor/insert is the most any code writing this data model
  can reach on this machine; tracker/floor is what the tracker keeps of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.engine import make_url

from tracker.database import BUSY_TIMEOUT_MS, configure_engine

metadata = MetaData()
rows = Table(
    "bench_baseline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payload", String(2000)),
)

SCOPE = "{user}:POST:/api/v1/tallies"  # the tracker's idempotency scope for a tally POST

_PG_WRITE = """
WITH e AS (
  INSERT INTO tally_entry (site_id, entry_date, contacts, created_by_id, created_at, granularity)
  VALUES (%(site)s, %(day)s, %(contacts)s, %(user)s, %(now)s, 'day') RETURNING id),
v AS (SELECT * FROM unnest(%(items)s::int[], %(qty)s::int[]) AS v(item_id, q)),
l AS (INSERT INTO tally_line (tally_id, item_id, quantity) SELECT e.id, v.item_id, v.q FROM e, v),
a AS (INSERT INTO audit_event (at, user_id, token_id, site_id, entity, entity_id, action, after)
  SELECT %(now)s, %(user)s, %(token)s, %(site)s, 'tally', e.id::text, 'create', %(after)s::json
  FROM e),
k AS (INSERT INTO idempotency_key (scope, key, request_hash, status_code, response_body,
  created_at) SELECT %(scope)s, %(key)s::text, %(hash)s, 201, json_build_object('id', e.id)::text,
  %(now)s FROM e WHERE %(key)s::text IS NOT NULL),
m AS (INSERT INTO stock_movement (site_id, item_id, kind, quantity, occurred_on, recorded_at,
  recorded_by_id, token_id, tally_id)
  SELECT %(site)s, v.item_id, 'distribution', -v.q, %(day)s, %(now)s, %(user)s, %(token)s, e.id
  FROM e, v),
b AS (INSERT INTO stock_balance (site_id, item_id, lot_key, quantity)
  SELECT %(site)s, v.item_id, 0, -v.q FROM v ORDER BY v.item_id
  ON CONFLICT (site_id, item_id, lot_key)
  DO UPDATE SET quantity = stock_balance.quantity + excluded.quantity
  RETURNING site_id, item_id, lot_id, lot_key, quantity),
d AS (INSERT INTO distribution_daily (site_id, item_id, day, quantity)
  SELECT %(site)s, v.item_id, %(day)s, v.q FROM v ORDER BY v.item_id
  ON CONFLICT (site_id, item_id, day)
  DO UPDATE SET quantity = distribution_daily.quantity + excluded.quantity),
mo AS (INSERT INTO distribution_monthly (site_id, item_id, month, quantity)
  SELECT %(site)s, v.item_id, %(month)s, v.q FROM v ORDER BY v.item_id
  ON CONFLICT (site_id, item_id, month)
  DO UPDATE SET quantity = distribution_monthly.quantity + excluded.quantity),
sd AS (INSERT INTO stock_daily (site_id, day, item_id, lot_key, kind, quantity)
  SELECT %(site)s, %(day)s, v.item_id, 0, 'distribution', -v.q FROM v ORDER BY v.item_id
  ON CONFLICT (site_id, day, item_id, lot_key, kind)
  DO UPDATE SET quantity = stock_daily.quantity + excluded.quantity),
sm AS (INSERT INTO stock_monthly (site_id, month, item_id, lot_key, kind, quantity)
  SELECT %(site)s, %(month)s, v.item_id, 0, 'distribution', -v.q FROM v ORDER BY v.item_id
  ON CONFLICT (site_id, month, item_id, lot_key, kind)
  DO UPDATE SET quantity = stock_monthly.quantity + excluded.quantity),
c AS (INSERT INTO contacts_daily (site_id, day, contacts) VALUES (%(site)s, %(day)s, %(contacts)s)
  ON CONFLICT (site_id, day) DO UPDATE SET contacts = contacts_daily.contacts + excluded.contacts),
f AS (INSERT INTO discrepancy (site_id, item_id, lot_id, kind, quantity, detected_on, detected_at)
  SELECT b.site_id, b.item_id, b.lot_id, 'negative_balance', b.quantity, %(day)s, %(now)s FROM b
  WHERE b.quantity < 0 AND NOT EXISTS (SELECT 1 FROM discrepancy x
    WHERE x.kind = 'negative_balance' AND x.resolved_at IS NULL AND x.site_id = b.site_id
    AND x.item_id = b.item_id AND coalesce(x.lot_id, 0) = b.lot_key))
SELECT id FROM e
"""

_FLAG = (
    "INSERT INTO discrepancy (site_id, item_id, lot_id, kind, quantity, detected_on, detected_at)"
    " SELECT b.site_id, b.item_id, b.lot_id, 'negative_balance', b.quantity, ?, ?"
    " FROM stock_balance b WHERE b.site_id = ? AND b.item_id = ? AND b.lot_key = 0"
    " AND b.quantity < 0 AND NOT EXISTS (SELECT 1 FROM discrepancy x"
    " WHERE x.kind = 'negative_balance' AND x.resolved_at IS NULL AND x.site_id = b.site_id"
    " AND x.item_id = b.item_id AND coalesce(x.lot_id, 0) = b.lot_key)"
)


class Floor:
    """One worker's driver connection and the site and item ids, read once."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.conn: Any = sqlite3.connect(parsed.database, isolation_level=None)
            for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_TIMEOUT_MS}",
                           "foreign_keys=ON", "synchronous=NORMAL"):  # fmt: skip
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn, autocommit=True)
            self.mark = "%s"
        self.ids = dict(self.read("SELECT code, id FROM site"))
        self.ids.update(self.read("SELECT code, id FROM item"))

    def read(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """An autocommit read: no transaction, so on SQLite no write lock."""
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql.replace("?", self.mark), params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def tally(self, body: dict[str, Any], bearer: str, key: str | None) -> int | None:
        token = self.read(
            "SELECT id, user_id FROM api_token WHERE token_hash = ? AND revoked_at IS NULL",
            hashlib.sha256(bearer.encode()).hexdigest(),
        )
        if not token:
            return None
        token_id, user_id = token[0]
        scope = SCOPE.format(user=user_id)
        if key is not None:
            found = self.read(
                "SELECT response_body FROM idempotency_key WHERE scope = ? AND key = ?", scope, key
            )
            if found:
                return json.loads(found[0][0])["id"]
        day = date.fromisoformat(body["date"])
        lines = [(self.ids[line["item"]], line["quantity"]) for line in body["lines"]]
        lines.sort()
        values = {
            "site": self.ids[body["site"]], "day": day, "month": day.replace(day=1),
            "contacts": body["contacts"], "user": user_id, "token": token_id,
            "now": datetime.now(UTC), "after": json.dumps(body), "scope": scope, "key": key,
            "hash": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
        }  # fmt: skip
        if self.sqlite:
            return self._sqlite(values, lines)
        values["items"] = [item for item, _ in lines]
        values["qty"] = [quantity for _, quantity in lines]
        try:
            with self.conn.pipeline(), self.conn.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(_PG_WRITE, values)
                cursor.execute("COMMIT")
                # leaving the pipeline sends it all and reads every result: one round trip
        except Exception:
            self.conn.execute("ROLLBACK")
            raise
        return None

    def _sqlite(self, v: dict[str, Any], lines: list[tuple[int, int]]) -> int:
        site, day, now = v["site"], v["day"].isoformat(), v["now"].strftime("%Y-%m-%d %H:%M:%S.%f")
        month = v["month"].isoformat()
        cursor = self.conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            tally_id = cursor.execute(
                "INSERT INTO tally_entry (site_id, entry_date, contacts, created_by_id, created_at,"
                " granularity) VALUES (?, ?, ?, ?, ?, 'day') RETURNING id",
                (site, day, v["contacts"], v["user"], now),
            ).fetchone()[0]
            cursor.executemany(
                "INSERT INTO tally_line (tally_id, item_id, quantity) VALUES (?, ?, ?)",
                [(tally_id, item, q) for item, q in lines],
            )
            cursor.execute(
                "INSERT INTO audit_event (at, user_id, token_id, site_id, entity, entity_id,"
                " action, after) VALUES (?, ?, ?, ?, 'tally', ?, 'create', ?)",
                (now, v["user"], v["token"], site, str(tally_id), v["after"]),
            )
            if v["key"] is not None:
                cursor.execute(
                    "INSERT INTO idempotency_key (scope, key, request_hash, status_code,"
                    " response_body, created_at) VALUES (?, ?, ?, 201, ?, ?)",
                    (v["scope"], v["key"], v["hash"], json.dumps({"id": tally_id}), now),
                )
            cursor.executemany(
                "INSERT INTO stock_movement (site_id, item_id, kind, quantity, occurred_on,"
                " recorded_at, recorded_by_id, token_id, tally_id)"
                " VALUES (?, ?, 'distribution', ?, ?, ?, ?, ?, ?)",
                [(site, item, -q, day, now, v["user"], v["token"], tally_id) for item, q in lines],
            )
            cursor.executemany(
                "INSERT INTO stock_balance (site_id, item_id, lot_key, quantity)"
                " VALUES (?, ?, 0, ?) ON CONFLICT (site_id, item_id, lot_key)"
                " DO UPDATE SET quantity = stock_balance.quantity + excluded.quantity",
                [(site, item, -q) for item, q in lines],
            )
            for table, column, at in (("stock_daily", "day", day),
                                      ("stock_monthly", "month", month)):  # fmt: skip
                cursor.executemany(
                    f"INSERT INTO {table} (site_id, {column}, item_id, lot_key, kind, quantity)"  # noqa: S608
                    f" VALUES (?, ?, ?, 0, 'distribution', ?)"
                    f" ON CONFLICT (site_id, {column}, item_id, lot_key, kind)"
                    f" DO UPDATE SET quantity = {table}.quantity + excluded.quantity",
                    [(site, at, item, -q) for item, q in lines],
                )
            for table, column, at in (("distribution_daily", "day", day),
                                      ("distribution_monthly", "month", month)):  # fmt: skip
                cursor.executemany(
                    f"INSERT INTO {table} (site_id, item_id, {column}, quantity)"  # noqa: S608
                    f" VALUES (?, ?, ?, ?) ON CONFLICT (site_id, item_id, {column})"
                    f" DO UPDATE SET quantity = {table}.quantity + excluded.quantity",
                    [(site, item, at, q) for item, q in lines],
                )
            cursor.execute(
                "INSERT INTO contacts_daily (site_id, day, contacts) VALUES (?, ?, ?)"
                " ON CONFLICT (site_id, day)"
                " DO UPDATE SET contacts = contacts_daily.contacts + excluded.contacts",
                (site, day, v["contacts"]),
            )
            cursor.executemany(_FLAG, [(day, now, site, item) for item, _ in lines])
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
        return tally_id


def create_app() -> Flask:
    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, pool_pre_ping=True)
    configure_engine(engine)  # the same SQLite pragmas and locking as the tracker
    metadata.create_all(engine)
    app = Flask(__name__)
    app.extensions["engine"] = engine
    floors: dict[int, Floor] = {}  # by process id: a connection made after the fork

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
        pid = os.getpid()
        if pid not in floors:
            floors[pid] = Floor(url)
        bearer = request.headers.get("Authorization", "").partition(" ")[2]
        body = json.loads(request.get_data())
        tally_id = floors[pid].tally(body, bearer, request.headers.get("Idempotency-Key"))
        return {"id": tally_id}, 201

    return app


app = create_app()
