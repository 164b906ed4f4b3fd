"""The summary workbook export: time against bare openpyxl, peak memory, ledger-size ratio.

    python bench/export.py [--db sqlite|postgres] [--small 50000] [--large 5000000] [--repeat 3]

Builds 100 sites x 20 items x 365 days twice, once with about 50 000 and once with about
5 000 000 ledger rows, and exports the full year for every site (Utdeling by month). For
each size a fresh process measures:
- the export time, as a ratio to writing the same cells (same sheets, rows and columns) with
  bare openpyxl write-only in the same run (goal <= 1.5);
- peak memory: the process's peak RSS, and the Python heap peak of one export (tracemalloc)
  (goal <= 200 MB);
and the script prints the large/small export time ratio (goal <= 1.5): reports read the
daily aggregate, so the number of ledger rows should not matter.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import scratch_database
from dataset import build

HERE = Path(__file__).resolve().parent


def bare_openpyxl(shape: list[tuple[str, list[int]]], path: str) -> None:
    """The same cells, row by row, as plain integers with openpyxl write-only, nothing else."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, lengths in shape:
        sheet = book.create_sheet(title)
        for length in lengths:
            sheet.append(list(range(length)))
    book.save(path)


def workbook_shape(path: str) -> tuple[list[tuple[str, list[int]]], int]:
    """Per sheet, the number of non-empty cells in each row; and their total."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    shape = []
    for sheet in book.worksheets:
        lengths = [sum(v is not None for v in row) for row in sheet.iter_rows(values_only=True)]
        shape.append((sheet.title, lengths))
    book.close()
    return shape, sum(sum(lengths) for _, lengths in shape)


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork
    and exec, so a child started by the process that built the data set would inherit it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, repeat: int, days: int, whole_months: bool) -> dict[str, float]:
    """Run in a fresh process: export times, bare openpyxl times, memory."""
    import tracemalloc

    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import exports

    app = create_app(TestConfig(url))
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    if whole_months:  # the months wholly inside the data set, as a tertial or year would be
        start = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = end.replace(day=1) - timedelta(days=1)
    data_times: list[float] = []
    with app.app_context(), tempfile.TemporaryDirectory() as folder:

        def export(name: str) -> float:
            started = time.perf_counter()

            def progress(step: str) -> None:
                if step == "data":
                    data_times.append(time.perf_counter() - started)

            exports.export_summary(
                exports.command_line_actor("bench-admin@test.no"),
                date_from=start,
                date_to=end,
                output=f"{folder}/{name}.xlsx",
                progress=progress,
            )
            elapsed = time.perf_counter() - started
            db.session.remove()
            return elapsed

        export("warm")
        shape, cells = workbook_shape(f"{folder}/warm.xlsx")
        export_times, bare_times = [], []
        for n in range(repeat):  # interleaved, so both see the same machine load
            export_times.append(export(f"run{n}"))
            started = time.perf_counter()
            bare_openpyxl(shape, f"{folder}/bare{n}.xlsx")
            bare_times.append(time.perf_counter() - started)
        rss_mb = peak_rss_mb()
        tracemalloc.start()
        export("traced")
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        size_kb = Path(f"{folder}/warm.xlsx").stat().st_size / 1024
        db.engine.dispose()
    return {
        "export_s": statistics.median(export_times),
        "bare_s": statistics.median(bare_times),
        "ratio": statistics.median(e / b for e, b in zip(export_times, bare_times, strict=True)),
        "data_s": statistics.median(data_times[1:]),
        "cells": cells,
        "rows": sum(len(lengths) for _, lengths in shape),
        "rss_mb": rss_mb,
        "heap_peak_mb": traced_peak,
        "size_kb": size_kb,
    }


def run(db: str, movements: int, args: argparse.Namespace) -> dict[str, float]:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db as handle

    with scratch_database(db) as url:
        app = create_app(TestConfig(url))
        with app.app_context():
            started = time.perf_counter()
            info = build(args.sites, args.items, args.days, movements)
            took = time.perf_counter() - started
            print(f"  built {info['movements']:,} ledger rows in {took:.0f} s", flush=True)
            handle.session.remove()
            if db == "sqlite":  # as after any normal day: the bulk load's WAL checkpointed
                raw = handle.engine.raw_connection()
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                raw.close()
            handle.engine.dispose()
        output = subprocess.check_output(
            [
                sys.executable,
                __file__,
                "--measure",
                url,
                "--repeat",
                str(args.repeat),
                "--days",
                str(args.days),
                *(["--whole-months"] if args.whole_months else []),
            ],
            cwd=HERE,
        )
    return json.loads(output.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--whole-months",
        action="store_true",
        help="Export the whole months inside the data set (default: all its 365 days).",
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, args.days, args.whole_months)))
        return
    results = {}
    for size in (args.small, args.large):
        figures = results[size] = run(args.db, size, args)
        print(
            f"[{args.db}] {size:,} ledger rows: export {figures['export_s']:.2f} s "
            f"({figures['rows']:,} rows, {figures['cells']:,} cells, {figures['size_kb']:.0f} KB); "
            f"of which queries {figures['data_s']:.2f} s; bare openpyxl {figures['bare_s']:.2f} s; "
            f"ratio {figures['ratio']:.2f} (goal <= 1.5); peak RSS "
            f"{figures['rss_mb']:.0f} MB, export heap peak {figures['heap_peak_mb']:.1f} MB "
            "(goal <= 200 MB)",
            flush=True,
        )
    ratio = results[args.large]["export_s"] / results[args.small]["export_s"]
    print(
        f"[{args.db}] export time {args.large:,} / {args.small:,} ledger rows: {ratio:.2f} "
        "(goal <= 1.5)"
    )


if __name__ == "__main__":
    main()
