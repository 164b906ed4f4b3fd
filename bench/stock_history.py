"""Stock at a date and the movement report against ledger size: 50 000 vs 5 000 000 rows.

    python bench/stock_history.py [--db sqlite|postgres] [--small 50000] [--large 5000000]
                                  [--rounds 5] [--repeat 10] [--sites 100] [--items 20]

Two databases with the same sites, items and year of days, one with `small` ledger rows and
one with `large` (bench/dataset.py: rows written in bulk, then `stock_daily` filled from them
in one INSERT ... SELECT). Rounds alternate S L, L S, ... Each request is one of:

- `GET /api/v1/stock?site=S000&date=D` for D in the middle of the year (the hardest day: as
  far from the first day as from today),
- `GET /api/v1/reports/stock-movements?site=S000&from=F&to=T` for a month in the middle.

Figures are medians over all requests and the median of the paired per-round ratios large/small
(goal <= 1.5). Afterwards the query plans of both requests on the large database are printed
and checked: none may read the ledger (stock_movement).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack
from datetime import date, timedelta

from common import scratch_database
from sqlalchemy import event
from stock import prepare


def paths(days: int) -> dict[str, str]:
    end = date.today() - timedelta(days=1)
    middle = end - timedelta(days=days // 2)
    first = middle.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {
        "stock at a date": f"/api/v1/stock?site=S000&date={middle.isoformat()}",
        "movement report": (
            f"/api/v1/reports/stock-movements?site=S000&from={first.isoformat()}"
            f"&to={last.isoformat()}"
        ),
    }


def timed(app, headers, path: str, repeat: int) -> list[float]:  # noqa: ANN001
    client = app.test_client()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)
    return samples


def ledger_scans(app, headers, path: str) -> list[str]:  # noqa: ANN001
    """The statements of one request whose plan reads stock_movement."""
    from tracker.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        app.test_client().get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    is_pg = engine.dialect.name == "postgresql"
    bad = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            prefix = "EXPLAIN " if is_pg else "EXPLAIN QUERY PLAN "
            plan = "\n".join(
                str(r[-1]) for r in conn.exec_driver_sql(prefix + statement, parameters)
            )
            if "stock_movement" in plan:
                bad.append(" ".join(statement.split())[:100])
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    sizes = (args.small, args.large)
    requests = paths(args.days)
    with ExitStack() as stack:
        apps = {}
        for size in sizes:
            url = stack.enter_context(scratch_database(args.db))
            apps[size] = prepare(url, size, args.sites, args.items, args.days)
        for name, path in requests.items():
            samples: dict[int, list[float]] = {size: [] for size in sizes}
            ratios = []
            for size in sizes:
                timed(*apps[size], path, 3)  # warm up
            for number in range(args.rounds):
                medians = {}
                for size in sizes if number % 2 == 0 else reversed(sizes):
                    got = timed(*apps[size], path, args.repeat)
                    samples[size].extend(got)
                    medians[size] = statistics.median(got)
                ratios.append(medians[args.large] / medians[args.small])
            for size in sizes:
                print(
                    f"[{args.db}] {name}, {size:,} ledger rows: median "
                    f"{statistics.median(samples[size]) * 1000:.2f} ms "
                    f"({len(samples[size])} requests)"
                )
            overall = statistics.median(samples[args.large]) / statistics.median(
                samples[args.small]
            )
            print(
                f"[{args.db}] {name}: ratio large/small {overall:.2f}"
                f" over all requests, {statistics.median(ratios):.2f} median of paired rounds "
                f"({', '.join(f'{r:.2f}' for r in ratios)}) (goal <= 1.5)",
                flush=True,
            )
            bad = ledger_scans(*apps[args.large], path)
            print(f"[{args.db}] {name}: statements reading the ledger: {len(bad)} {bad or ''}")
        for app, _ in apps.values():
            from tracker.extensions import db

            with app.app_context():
                db.engine.dispose()
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
