"""The distribution report API and the summary workbook on a small and a large ledger.

    python bench/report.py [--db sqlite|postgres|both] [--small 50000] [--large 5000000]
                           [--repeat 3] [--sites 20] [--items 7]

One data set per database, generated once and set-based (INSERT ... SELECT over
generate_series on PostgreSQL, over a recursive CTE on SQLite): `--sites` sites x `--items`
items, one distribution movement per site, item and weekday of the last 365 days, one tally
entry and contacts per site and weekday, their daily and monthly aggregates and the balances.
Padding fills the ledger to `--small` rows: receipt / discard pairs of the same quantity, so
balances and aggregates stay equal to the ledger's sums. The report API (a year by month, every
site) and the workbook are timed; then the same padding grows the ledger to `--large` rows and
both are timed again. Reports read the aggregates, so the goal is large/small <= 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from common import scratch_database
from sqlalchemy import text

DAYS = 365


def _series(dialect: str, count_param: str) -> str:
    """A CTE `g(i)` of 0 .. :count - 1."""
    if dialect == "postgresql":
        return f"g(i) AS (SELECT generate_series(0, :{count_param} - 1))"
    return (
        f"g(i) AS (SELECT 0 WHERE :{count_param} > 0 UNION ALL "  # noqa: S608 - constants
        f"SELECT i + 1 FROM g WHERE i + 1 < :{count_param})"
    )


def _day(dialect: str, offset: str) -> str:
    if dialect == "postgresql":
        return f"(CAST(:start AS date) + CAST({offset} AS integer))"
    return f"date(:start, '+' || ({offset}) || ' days')"


def _weekday(dialect: str, day: str) -> str:
    if dialect == "postgresql":
        return f"extract(isodow from {day}) < 6"
    return f"strftime('%w', {day}) NOT IN ('0', '6')"


def _month(dialect: str, day: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def build(sites: int, items: int) -> dict[str, int]:
    """The base data set; returns ids and the ledger's row count."""
    from tracker.extensions import db
    from tracker.models import Item, Municipality, Site, User

    place = Municipality(number="0301", name="Oslo")
    db.session.add_all(
        [Site(code=f"S{n:03d}", name=f"Site {n}", municipality=place, kind="mo_senter")
         for n in range(sites)]
    )  # fmt: skip
    categories = ["syringe", "needle", "foil", "overdose_card", "other", "syringe", "needle"]
    db.session.add_all(
        [Item(code=f"I{n:02d}", name_nb=f"Vare {n}", name_en=f"Item {n}",
              category=categories[n % len(categories)], sort_order=n) for n in range(items)]
    )  # fmt: skip
    admin = User(
        email="bench-admin@test.no",
        name="Bench",
        password_hash="x",
        global_role="admin",
        active=True,
        session_version=1,
    )
    db.session.add_all([place, admin])
    db.session.commit()
    dialect = db.engine.dialect.name
    start = date.today() - timedelta(days=DAYS)
    now = datetime.now(UTC).replace(tzinfo=None)
    day = _day(dialect, "g.i")
    weekday = _weekday(dialect, day)
    days = (
        f"WITH RECURSIVE {_series(dialect, 'n')}, "  # noqa: S608 - built from constants
        f"days(i, d) AS (SELECT g.i, {day} FROM g WHERE {weekday})"
    )
    params = {"n": DAYS, "start": start, "now": now, "admin": admin.id}
    run = db.session.execute
    run(
        text(
            f"{days} INSERT INTO stock_movement "  # noqa: S608
            "(site_id, item_id, kind, quantity, occurred_on, recorded_at, recorded_by_id) "
            "SELECT s.id, it.id, 'distribution', -(1 + (s.id * 7 + it.id * 3 + days.i) % 40), "
            "days.d, :now, :admin FROM days, site s, item it"
        ),
        params,
    )
    run(
        text(
            f"{days} INSERT INTO tally_entry (site_id, entry_date, contacts, created_by_id, "  # noqa: S608
            "created_at, granularity, version) "
            "SELECT s.id, days.d, 5, :admin, :now, 'day', 1 FROM days, site s"
        ),
        params,
    )
    run(
        text(
            "INSERT INTO contacts_daily (site_id, day, contacts) "
            "SELECT site_id, entry_date, 5 FROM tally_entry"
        )
    )
    run(
        text(
            "INSERT INTO distribution_daily (site_id, item_id, day, quantity) "
            "SELECT site_id, item_id, occurred_on, -SUM(quantity) FROM stock_movement "
            "WHERE kind = 'distribution' GROUP BY site_id, item_id, occurred_on"
        )
    )
    month = _month(dialect, "day")
    run(
        text(
            "INSERT INTO distribution_monthly (site_id, item_id, month, quantity) "  # noqa: S608
            f"SELECT site_id, item_id, {month}, SUM(quantity) FROM distribution_daily "
            f"GROUP BY site_id, item_id, {month}"
        )
    )
    run(
        text(
            "INSERT INTO stock_balance (site_id, item_id, lot_key, quantity) "
            "SELECT site_id, item_id, 0, SUM(quantity) FROM stock_movement "
            "GROUP BY site_id, item_id"
        )
    )
    db.session.commit()
    return {"admin": admin.id, "start_ordinal": start.toordinal()}


def ledger_rows() -> int:
    from tracker.extensions import db

    return int(db.session.scalar(text("SELECT count(*) FROM stock_movement")))


def pad(to: int, base: dict[str, int], sites: int, items: int) -> None:
    """Receipt / discard pairs (net zero) until the ledger holds `to` rows; one statement."""
    from tracker.extensions import db

    missing = to - ledger_rows()
    missing -= missing % 2
    if missing <= 0:
        return
    dialect = db.engine.dialect.name
    if dialect == "postgresql":  # the app's statement timeout is for requests, not bulk loads
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
    day = _day(dialect, f"(g.i / 2) % {DAYS}")
    db.session.execute(
        text(
            f"WITH RECURSIVE {_series(dialect, 'n')} INSERT INTO stock_movement "  # noqa: S608
            "(site_id, item_id, kind, quantity, occurred_on, recorded_at, recorded_by_id) "
            f"SELECT (SELECT min(id) FROM site) + (g.i / 2) % {sites}, "
            f"(SELECT min(id) FROM item) + (g.i / 2 / {sites}) % {items}, "
            "CASE WHEN g.i % 2 = 0 THEN 'receipt' ELSE 'discard' END, "
            "CASE WHEN g.i % 2 = 0 THEN 1 ELSE -1 END * (1 + (g.i / 2) % 17), "
            f"{day}, :now, :admin FROM g"
        ),
        {
            "n": missing,
            "start": date.fromordinal(base["start_ordinal"]),
            "now": datetime.now(UTC).replace(tzinfo=None),
            "admin": base["admin"],
        },
    )
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def measure(app, token: str, repeat: int) -> dict[str, float]:  # noqa: ANN001
    """Median seconds of the report API (a year by month) and of the workbook."""
    from tracker.extensions import db
    from tracker.services import exports

    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=DAYS - 1)
    query = {"from": start.isoformat(), "to": end.isoformat(), "by": "month"}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    api, book = [], []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(repeat + 1):  # the first round warms caches and is dropped
            started = time.perf_counter()
            response = client.get(
                "/api/v1/reports/distribution", query_string=query, headers=headers
            )
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            response.close()
            took_api = time.perf_counter() - started
            started = time.perf_counter()
            exports.export_summary(
                exports.command_line_actor("bench-admin@test.no"),
                date_from=start,
                date_to=end,
                output=os.path.join(folder, f"{n}.xlsx"),
            )
            took_book = time.perf_counter() - started
            db.session.remove()
            if n:
                api.append(took_api)
                book.append(took_book)
    return {"api_s": statistics.median(api), "book_s": statistics.median(book)}


def run(kind: str, args: argparse.Namespace) -> None:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import users

    with scratch_database(kind) as url:
        app = create_app(TestConfig(url))
        with app.app_context():
            started = time.perf_counter()
            base = build(args.sites, args.items)
            pad(args.small, base, args.sites, args.items)
            print(
                f"[{kind}] base + padding: {ledger_rows():,} ledger rows in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            _, token = users.create_token(None, "bench-admin@test.no", "bench")
            small = measure(app, token, args.repeat)
            started = time.perf_counter()
            pad(args.large, base, args.sites, args.items)
            rows = ledger_rows()
            print(
                f"[{kind}] padded to {rows:,} ledger rows in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            large = measure(app, token, args.repeat)
            db.session.remove()
            db.engine.dispose()
    for name, key in (("report API", "api_s"), ("workbook", "book_s")):
        ratio = large[key] / small[key]
        print(
            f"[{kind}] {name}: {small[key]:.3f} s at {args.small:,} rows, {large[key]:.3f} s "
            f"at {rows:,} rows; ratio {ratio:.2f} (goal <= 1.5)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--items", type=int, default=7)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        run(kind, args)
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
