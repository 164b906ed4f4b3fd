"""Stock API and page cost against ledger size: the same sites and items, small vs huge ledger.

    python bench/stock.py [--db sqlite|postgres] [--small 50000] [--large 5000000] [--repeat 50]

On hand comes from the balances, so the time should not grow with the ledger (goal ratio
<= 1.2). Prints the mean time per request for each size and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import scratch_database
from dataset import build


def timed(url: str, movements: int, repeat: int, sites: int, items: int, days: int) -> float:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import users

    app = create_app(TestConfig(url))
    with app.app_context():
        started = time.perf_counter()
        info = build(sites, items, days, movements)
        print(f"  built {info['movements']:,} ledger rows in {time.perf_counter() - started:.0f} s")
        _, token = users.create_token(None, "bench-lead@test.no", "bench")
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        client.get("/api/v1/stock?site=S000", headers=headers)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/api/v1/stock?site=S000", headers=headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    with app.app_context():
        db.engine.dispose()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    results = {}
    for size in (args.small, args.large):
        with scratch_database(args.db) as url:
            results[size] = timed(url, size, args.repeat, args.sites, args.items, args.days)
        print(f"[{args.db}] stock API, {size:,} ledger rows: median {results[size] * 1000:.1f} ms")
    ratio = results[args.large] / results[args.small]
    print(f"[{args.db}] ratio large/small: {ratio:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
