"""Stock API cost against ledger size: the same sites and items, small vs huge ledger.

    python bench/stock.py [--db sqlite|postgres] [--small 50000] [--large 5000000]
                          [--rounds 7] [--repeat 20]

Both databases are built first and stay up; rounds alternate small and large (S L, L S, ...)
so load from other processes hits both alike. Each round times `repeat` requests; the figure
is the median over all requests, and the ratio large/small (goal <= 1.2) is also given as the
median of the paired per-round ratios. On hand comes from the balances and usage from the
daily aggregate, so the time should not grow with the ledger. At the end the query plans of
every statement one stock request sends are checked on the large database: none may scan
the ledger (stock_movement).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack

from common import scratch_database
from dataset import build
from sqlalchemy import event

PATH = "/api/v1/stock?site=S000"


def prepare(url: str, movements: int, sites: int, items: int, days: int):  # noqa: ANN201
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import users

    app = create_app(TestConfig(url))
    with app.app_context():
        started = time.perf_counter()
        info = build(sites, items, days, movements)
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        print(
            f"  built {info['movements']:,} ledger rows in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        _, token = users.create_token(None, "bench-lead@test.no", "bench")
        db.session.remove()
    return app, {"Authorization": f"Bearer {token}"}


def timed(app, headers: dict[str, str], repeat: int) -> list[float]:  # noqa: ANN001
    client = app.test_client()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(PATH, headers=headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)
    return samples


def explain(app, headers: dict[str, str]) -> list[str]:  # noqa: ANN001
    """Plans of the statements one stock request sends; returns the ones that scan the ledger."""
    from tracker.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        app.test_client().get(PATH, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    bad = []
    is_pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for statement, parameters in seen:
            prefix = "EXPLAIN " if is_pg else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            plan = "\n".join(str(row[-1]) for row in rows)
            first = " ".join(statement.split())[:110]
            print(f"  -- {first}")
            for line in plan.splitlines():
                print(f"       {line}")
            scans = ("Seq Scan on stock_movement",) if is_pg else ("SCAN stock_movement",)
            if any(s in plan for s in scans):
                bad.append(first)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    sizes = (args.small, args.large)
    with ExitStack() as stack:
        apps = {}
        for size in sizes:
            url = stack.enter_context(scratch_database(args.db))
            apps[size] = prepare(url, size, args.sites, args.items, args.days)
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        ratios = []
        for size in sizes:
            timed(*apps[size], 5)  # warm up
        for number in range(args.rounds):
            medians = {}
            for size in sizes if number % 2 == 0 else reversed(sizes):
                got = timed(*apps[size], args.repeat)
                samples[size].extend(got)
                medians[size] = statistics.median(got)
            ratios.append(medians[args.large] / medians[args.small])
        for size in sizes:
            print(
                f"[{args.db}] stock API, {size:,} ledger rows: median "
                f"{statistics.median(samples[size]) * 1000:.2f} ms "
                f"({len(samples[size])} requests)"
            )
        overall = statistics.median(samples[args.large]) / statistics.median(samples[args.small])
        print(
            f"[{args.db}] ratio large/small: {overall:.2f} over all requests, "
            f"{statistics.median(ratios):.2f} median of paired rounds "
            f"({', '.join(f'{r:.2f}' for r in ratios)}) (goal <= 1.2)"
        )
        print(f"[{args.db}] query plans on the {args.large:,}-row ledger:")
        bad = explain(*apps[args.large])
        print(f"[{args.db}] statements scanning the ledger: {len(bad)} {bad if bad else ''}")
        for app, _ in apps.values():
            from tracker.extensions import db

            with app.app_context():
                db.engine.dispose()
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
