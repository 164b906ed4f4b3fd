"""SQL statements (and transactions) one tally POST sends, counted by a SQLAlchemy listener.

    python bench/statements.py [--db sqlite|postgres] [--show]

Runs the bench's tally body through the app in-process (test client) a few times and prints
the statements of the last POST: the number the entry benchmark's requests each pay.
"""

from __future__ import annotations

import argparse

from common import scratch_database
from entry import prepare
from sqlalchemy import event

SKIP = ("SAVEPOINT", "RELEASE", "PRAGMA")


def count(url: str, show: bool) -> tuple[int, int, list[str]]:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db

    tokens, bodies = prepare(url)
    token = tokens[0]
    body = bodies[0]
    app = create_app(TestConfig(url))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    statements: list[str] = []
    begins = [0]

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not statement.lstrip().upper().startswith(SKIP):
            statements.append(" ".join(statement.split()))

    def began(conn):  # noqa: ANN001
        begins[0] += 1

    with app.app_context():
        engine = db.engine
    for _ in range(3):  # warm caches (compiled statements, pool)
        assert client.post("/api/v1/tallies", data=body, headers=headers).status_code == 201
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "begin", began)
    response = client.post("/api/v1/tallies", data=body, headers=headers)
    event.remove(engine, "before_cursor_execute", record)
    event.remove(engine, "begin", began)
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
    if show:
        for statement in statements:
            print("   ", statement[:160])
    return len(statements), begins[0], statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        with scratch_database(kind) as url:
            n, begins, _ = count(url, args.show)
        print(f"[{kind}] one tally POST: {n} statements in {begins} transaction(s)")


if __name__ == "__main__":
    main()
