"""Import throughput and memory: the tracker's import against a bare executemany, same rows.

    python bench/import.py [--db sqlite|postgres|both] [--rows 1000000]

Writes a CSV in the import format (sites x days x items, contacts on each day's first row),
then in the same run and database:
  * baseline: csv.reader + code lookups + executemany of the same rows into a plain table
    with the same columns (no checks, no ledger), chunks of 5 000 rows, one transaction;
  * ledger alone: the same executemany into stock_movement, the real ledger table with its
    indexes and foreign keys: one imported movement per row, what an import must write at least;
  * tracker: `flask import FILE` semantics (imports.import_file, not a dry run): every row
    checked, staged, tally entries, lines, ledger movements, balances, daily aggregates.
Each runs in its own process so peak memory (ru_maxrss) is the import's own. Prints rows/s,
the ratios tracker/baseline (goal >= 0.5) and ledger alone/baseline, and peak memory
(goal <= 200 MB at 1 000 000 rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from common import scratch_database

SITES = [f"S{n:02d}" for n in range(40)]
ITEMS = ["SPR-1", "SPR-2", "KAN-1", "KAN-2", "FOLIE", "KORT"]


def write_csv(path: Path, rows: int) -> None:
    """rows lines: for each day, each site, each item; contacts on the day's first item."""
    start = date(2005, 1, 1)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["sted", "dato", "vare", "antall", "kontakter"])
        day = start
        while written < rows:
            stamp = day.strftime("%d.%m.%Y")
            for site_index, site in enumerate(SITES):
                for item_index, item in enumerate(ITEMS):
                    if written >= rows:
                        break
                    quantity = 1 + (written * 7 + site_index) % 400
                    contacts = 5 + site_index if item_index == 0 else ""
                    spaced = f"{quantity:,}".replace(",", " ")  # Norwegian thousands
                    writer.writerow([site, stamp, item, spaced, contacts])
                    written += 1
            day += timedelta(days=1)


def seed(url: str) -> None:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.models import Item, Municipality, Site, User

    app = create_app(TestConfig(url))
    with app.app_context():
        oslo = Municipality(number="0301", name="Oslo")
        db.session.add(oslo)
        for code in SITES:
            db.session.add(Site(code=code, name=code, municipality=oslo, kind="mo_senter"))
        for order, code in enumerate(ITEMS):
            category = {"S": "syringe", "K": "needle", "F": "foil"}[code[0]]
            db.session.add(
                Item(code=code, name_nb=code, name_en=code, category=category, sort_order=order)
            )
        db.session.add(
            User(
                email="admin@bench.no",
                name="Bench",
                password_hash="x",
                active=True,
                global_role="admin",
                session_version=1,
            )
        )
        db.session.commit()
        db.engine.dispose()


def child_tracker(url: str, path: str) -> dict:
    from sqlalchemy import select

    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services import imports
    from tracker.services.access import Actor

    app = create_app(TestConfig(url))
    with app.app_context():
        actor = Actor(db.session.scalar(select(User)))
        started = time.perf_counter()
        with open(path, "rb") as stream:
            result = imports.import_file(actor, stream, Path(path).name)
        elapsed = time.perf_counter() - started
        assert result.ok, result.errors[:3]
        assert result.imported > 0
        db.engine.dispose()
    return {"seconds": elapsed, "rows": result.imported}


def _read(path: str, sites: dict[str, int], items: dict[str, int]) -> Iterator[dict]:
    """The CSV's rows as insert parameters (the bench file is known-good: no checks)."""
    with open(path, encoding="utf-8", newline="") as source:
        reader = csv.reader(source, delimiter=";")
        next(reader)
        for number, (site, stamp, item, quantity, contacts) in enumerate(reader, start=1):
            d, m, y = stamp.split(".")
            yield {
                "id": number,
                "site_id": sites[site],
                "day": date(int(y), int(m), int(d)),
                "item_id": items[item],
                "quantity": int(quantity.replace(" ", "")),
                "contacts": int(contacts) if contacts else 0,
            }


def _executemany(url: str, path: str, setup: list[str], insert: str, extra: dict) -> dict:
    """Run the setup, then executemany `insert` over the file's rows in chunks of 5 000."""
    from sqlalchemy import create_engine, text

    from tracker.config import database_url

    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        for statement in setup:
            conn.execute(text(statement))
        sites = dict(conn.execute(text("SELECT code, id FROM site")).all())
        items = dict(conn.execute(text("SELECT code, id FROM item")).all())
        extra = {key: conn.execute(text(query)).scalar_one() for key, query in extra.items()}
    started = time.perf_counter()
    rows = 0
    statement = text(insert)
    with engine.begin() as conn:
        chunk = []
        for row in _read(path, sites, items):
            rows += 1
            chunk.append(row | extra)
            if len(chunk) == 5000:
                conn.execute(statement, chunk)
                chunk = []
        if chunk:
            conn.execute(statement, chunk)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {"seconds": elapsed, "rows": rows}


def child_baseline(url: str, path: str) -> dict:
    """Bare: read the CSV, look the codes up, executemany into a same-shaped plain table."""
    return _executemany(
        url,
        path,
        [
            "CREATE TABLE baseline_row (id INTEGER PRIMARY KEY, site_id INTEGER, day DATE, "
            "item_id INTEGER, quantity INTEGER, contacts INTEGER)"
        ],
        "INSERT INTO baseline_row (id, site_id, day, item_id, quantity, contacts) "
        "VALUES (:id, :site_id, :day, :item_id, :quantity, :contacts)",
        {},
    )


def child_ledger(url: str, path: str) -> dict:
    """The ledger alone: the same executemany, into stock_movement with its indexes and keys.

    One imported movement per row is what DESIGN.md asks of an import: this is the baseline's
    method paying for the ledger's indexes and foreign keys, and nothing else (the tracker
    also checks every row and writes a tally line and a daily row per row).
    """
    return _executemany(
        url,
        path,
        [
            "INSERT INTO import_batch (file_hash, filename, row_count, skipped_count, "
            "imported_by_id, imported_at) SELECT 'bench', 'bench.csv', 0, 0, id, "
            "CURRENT_TIMESTAMP FROM user_account"
        ],
        "INSERT INTO stock_movement (site_id, item_id, kind, quantity, occurred_on, "
        "recorded_at, recorded_by_id, import_batch_id, import_row) VALUES (:site_id, :item_id, "
        "'distribution', -:quantity, :day, CURRENT_TIMESTAMP, :user_id, :batch_id, :id)",
        {
            "user_id": "SELECT id FROM user_account",
            "batch_id": "SELECT id FROM import_batch",
        },
    )


def run_child(kind: str, url: str, path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


CHILDREN = {"baseline": child_baseline, "ledger": child_ledger, "tracker": child_tracker}


def bench(db: str, rows: int, path: Path) -> dict:
    figures = {}
    for kind in CHILDREN:
        with scratch_database(db) as url:
            seed(url)
            figures[kind] = run_child(kind, url, path)
    rate = {kind: f["rows"] / f["seconds"] for kind, f in figures.items()}
    base, ours = figures["baseline"], figures["tracker"]
    print(
        f"{db:8} rows {rows:>9,}  baseline {rate['baseline']:>9,.0f} rows/s "
        f"({base['seconds']:.1f} s, {base['peak_mb']:.0f} MB)  ledger alone "
        f"{rate['ledger']:>9,.0f} rows/s ({figures['ledger']['seconds']:.1f} s)  tracker "
        f"{rate['tracker']:>9,.0f} rows/s ({ours['seconds']:.1f} s, peak {ours['peak_mb']:.0f} MB)",
        flush=True,
    )
    print(
        f"{db:8} ratio tracker/baseline {rate['tracker'] / rate['baseline']:.2f} (goal >= 0.5); "
        f"ledger alone/baseline {rate['ledger'] / rate['baseline']:.2f} (the baseline's own "
        f"executemany, into the ledger table); tracker/ledger alone "
        f"{rate['tracker'] / rate['ledger']:.2f}",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=list(CHILDREN))
    parser.add_argument("--url")
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.child:
        figures = CHILDREN[args.child](args.url, args.file)
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        write_csv(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"import file: {args.rows:,} rows, {size:.0f} MB", flush=True)
        for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            bench(db, args.rows, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
