"""Tally POSTs in one process, for a profiler: `py-spy record -- python bench/profile_entry.py`.

    python bench/profile_entry.py [--db sqlite|postgres] [--requests 2000]

Prints the mean wall time and CPU time (this process) per POST (test client, no HTTP
server); run under py-spy to see where a request spends its CPU. Under load, compare CPU.
"""

from __future__ import annotations

import argparse
import time

from common import scratch_database
from entry import prepare


def run(url: str, requests: int) -> tuple[float, float]:
    from tracker import create_app
    from tracker.config import Config
    from tracker.extensions import db

    tokens, bodies = prepare(url)
    token = tokens[0]
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for _ in range(20):
        client.post("/api/v1/tallies", data=bodies[0], headers=headers)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        assert client.post("/api/v1/tallies", data=bodies[0], headers=headers).status_code == 201
    elapsed = (time.perf_counter() - started) / requests
    cpu = (time.process_time() - cpu) / requests
    with app.app_context():
        db.engine.dispose()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with scratch_database(args.db) as url:
        per, cpu = run(url, args.requests)
    print(
        f"[{args.db}] {per * 1000:.2f} ms per tally POST in-process, {cpu * 1000:.2f} ms CPU "
        f"({args.requests} POSTs)"
    )


if __name__ == "__main__":
    main()
