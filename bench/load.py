"""Load and faults: gunicorn (4 workers) under 50 clients, then a SIGKILLed worker and a
PostgreSQL restart; afterwards the ledger must verify and every acknowledged write be stored.

    python bench/load.py [--db postgres|sqlite|both] [--seconds 60] [--fault-seconds 20]
                         [--clients 50] [--no-pg-restart]

Loopback only and bounded in time. The mix: distribution entries (POST /tallies), naloxone
handouts, goods received (POST /receipts, standing in for transfers until that endpoint is
merged) and report-like reads (GET /stock). Phases:
  steady      --seconds of load
  kill        --fault-seconds of load; one worker gets SIGKILL after 3 s
  pg-restart  --fault-seconds of load; `pg_ctlcluster ... restart` after 3 s (PostgreSQL only)
Prints requests, errors by status, p50/p95/p99 per phase, and the checks; exits 1 if a check
fails. Restarting PostgreSQL disturbs everyone using it: run this rarely.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from common import ROOT, percentile, scratch_database

OPS = (("entry", 45), ("handout", 15), ("receipt", 15), ("stock", 25))
SITES = ("OSL-A", "OSL-B", "BGO-A", "TRD-A")


@dataclass
class Result:
    phase: str
    op: str
    status: int  # 0: connection error, -1: client timeout
    seconds: float
    at: float  # time.monotonic() when sent
    retry_after: bool
    entity_id: int | None = None


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "steady"
    stop: threading.Event = field(default_factory=threading.Event)


def seed(url: str) -> dict[str, str]:
    """Sites, items with stock, one staff token per site."""
    from tests.factories import make_item, make_lot, make_site, make_token, make_user
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.dates import today
    from tracker.extensions import db
    from tracker.services import stock
    from tracker.services.access import Actor

    app = create_app(TestConfig(url))
    tokens = {}
    with app.app_context():
        sites = [make_site(code) for code in SITES]
        make_item("SPR-2")
        make_item("KAN-1", category="needle")
        make_lot(make_item("NAL-1", category="naloxone"), "L1")
        admin = make_user("admin")
        for site in sites:
            stock.receive(
                Actor(admin),
                site_code=site.code,
                received_on=today(),
                lines=[{"item": "SPR-2", "quantity": 100_000}, {"item": "KAN-1", "quantity": 1000}],
            )
            tokens[site.code] = make_token(make_user("staff", [site]))
        db.session.remove()
        db.engine.dispose()
    return tokens


def request_for(op: str, site: str, day: str) -> tuple[str, str, dict | None]:
    if op == "entry":
        lines = [{"item": "SPR-2", "quantity": random.randint(1, 20)}]
        if random.random() < 0.5:
            lines.append({"item": "KAN-1", "quantity": random.randint(1, 20)})
        body = {"site": site, "date": day, "contacts": random.randint(0, 5), "lines": lines}
        return "POST", "/api/v1/tallies", body
    if op == "handout":
        body = {
            "site": site,
            "date": day,
            "quantity": 1,
            "item": "NAL-1",
            "lot": "L1",
            "recipient_group": "pwud",
            "first_time": True,
            "training_given": False,
        }
        return "POST", "/api/v1/naloxone-handouts", body
    if op == "receipt":
        body = {"site": site, "date": day, "lines": [{"item": "KAN-1", "quantity": 10}]}
        return "POST", "/api/v1/receipts", body
    return "GET", f"/api/v1/stock?site={site}", None


def client(base: str, tokens: dict[str, str], run: Run, day: str, seed_: int) -> None:
    rng = random.Random(seed_)
    session = requests.Session()
    names, weights = zip(*OPS, strict=True)
    while not run.stop.is_set():
        op = rng.choices(names, weights)[0]
        site = rng.choice(SITES)
        method, path, body = request_for(op, site, day)
        headers = {"Authorization": f"Bearer {tokens[site]}", "X-Request-Id": uuid.uuid4().hex}
        phase = run.phase
        started = time.monotonic()
        try:
            response = session.request(method, base + path, json=body, headers=headers, timeout=30)
            status, retry = response.status_code, "Retry-After" in response.headers
            entity = response.json().get("id") if status == 201 else None
        except requests.Timeout:
            status, retry, entity = -1, False, None
        except requests.ConnectionError:
            status, retry, entity = 0, False, None
        elapsed = time.monotonic() - started
        with run.lock:
            run.results.append(Result(phase, op, status, elapsed, started, retry, entity))
        if status in (0, 503):
            time.sleep(0.2)  # a polite client backs off a little


def worker_pids(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def pg_running() -> bool:
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    return any(line.split()[3] == "online" for line in out.splitlines() if line.split())


def restart_postgres() -> float:
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"],
        check=False,
    )
    return time.monotonic() - started


def ensure_postgres_running() -> None:
    if not pg_running():
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"],
            check=False,
        )


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key",
        "WEB_CONCURRENCY": "4",
        "BIND": f"127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    out = log.open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def run_load(
    kind: str, seconds: float, fault_seconds: float, clients: int, pg_restart: bool
) -> dict:
    from tests.servers import free_port
    from tracker.dates import today

    with scratch_database(kind) as url:
        tokens = seed(url)
        port = free_port()
        log = Path(f"/tmp/tracker-load-{kind}-{port}.log")
        server = start_gunicorn(url, port, log)
        run = Run()
        day = today().isoformat()
        threads = [
            threading.Thread(
                target=client, args=(f"http://127.0.0.1:{port}", tokens, run, day, n), daemon=True
            )
            for n in range(clients)
        ]
        events: dict[str, object] = {}
        try:
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            run.phase = "kill"
            time.sleep(3)
            victim = worker_pids(server.pid)[0]
            os.kill(victim, signal.SIGKILL)
            events["killed_worker"] = victim
            time.sleep(max(0.0, fault_seconds - 3))
            if kind == "postgres" and pg_restart:
                run.phase = "pg-restart"
                time.sleep(3)
                events["pg_restart_seconds"] = round(restart_postgres(), 2)
                time.sleep(max(0.0, fault_seconds - 3))
        finally:
            run.stop.set()
            for thread in threads:
                thread.join(timeout=40)
            if kind == "postgres":
                ensure_postgres_running()
                events["postgres_running_after"] = pg_running()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        checks = verify(url, run.results, log)
        report = {"db": kind, "events": events, "phases": summarise(run.results), "checks": checks}
        print(json.dumps(report, indent=2), flush=True)  # before the scratch database goes
        return report


def summarise(results: list[Result]) -> dict:
    phases: dict[str, dict] = {}
    for phase in ("steady", "kill", "pg-restart"):
        rows = [r for r in results if r.phase == phase]
        if not rows:
            continue
        ms = [r.seconds * 1000 for r in rows if r.status > 0]
        span = max(r.at + r.seconds for r in rows) - min(r.at for r in rows)
        phases[phase] = {
            "seconds": round(span, 1),
            "requests": len(rows),
            "requests_per_s": round(len(rows) / span, 1),
            "by_status": dict(sorted(collections.Counter(r.status for r in rows).items())),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1) if ms else None,
            "writes_2xx": sum(1 for r in rows if r.status == 201),
            "503_without_retry_after": sum(
                1 for r in rows if r.status == 503 and not r.retry_after
            ),
            "by_op": dict(collections.Counter(r.op for r in rows)),
        }
    return phases


def verify(url: str, results: list[Result], log: Path) -> dict:
    """The ledger verifies, every acknowledged write is stored, no entry is half-written."""
    from sqlalchemy import func, select

    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.models import NaloxoneHandout, Receipt, StockMovement, TallyEntry, TallyLine
    from tracker.services import ledger_check

    app = create_app(TestConfig(url))
    models = {"entry": TallyEntry, "handout": NaloxoneHandout, "receipt": Receipt}
    with app.app_context():
        mismatches = ledger_check.verify()
        missing = {}
        for op, model in models.items():
            acked = {r.entity_id for r in results if r.op == op and r.status == 201}
            stored = set(db.session.scalars(select(model.id)))
            missing[op] = len(acked - stored)
        lines = db.session.scalar(select(func.coalesce(func.sum(TallyLine.quantity), 0)))
        moved = db.session.scalar(
            select(func.coalesce(-func.sum(StockMovement.quantity), 0)).where(
                StockMovement.tally_id.is_not(None)
            )
        )
        tallies_without_movements = db.session.scalar(
            select(func.count(TallyEntry.id)).where(
                ~TallyEntry.id.in_(
                    select(StockMovement.tally_id).where(StockMovement.tally_id.is_not(None))
                )
            )
        )
        db.session.remove()
        db.engine.dispose()
    text = log.read_text(errors="replace")
    return {
        "ledger_mismatches": len(mismatches),
        "acknowledged_writes_missing": missing,
        "tally_lines_equal_tally_movements": lines == moved,
        "tallies_without_movements": tallies_without_movements,
        "server_errors_5xx_not_503": sum(1 for r in results if r.status >= 500 and r.status != 503),
        "client_timeouts": sum(1 for r in results if r.status == -1),
        "connection_errors": sum(1 for r in results if r.status == 0),
        "logged_500s": sum(1 for line in text.splitlines() if '"status": 500' in line),
        "database_locked_warnings": text.count("database is locked"),
        "tracebacks_in_log": text.count("Traceback"),
    }


def passed(report: dict) -> bool:
    c = report["checks"]
    ok = (
        c["ledger_mismatches"] == 0
        and not any(c["acknowledged_writes_missing"].values())
        and c["tally_lines_equal_tally_movements"]
        and c["tallies_without_movements"] == 0
        and c["server_errors_5xx_not_503"] == 0
        and c["client_timeouts"] == 0
        and all(p["503_without_retry_after"] == 0 for p in report["phases"].values())
    )
    if report["db"] == "postgres":
        ok = ok and report["events"].get("postgres_running_after", True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--no-pg-restart", action="store_true")
    parser.add_argument("--json", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()
    kinds = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    reports = []
    for kind in kinds:
        report = run_load(
            kind, args.seconds, args.fault_seconds, args.clients, not args.no_pg_restart
        )
        reports.append(report)
        print(f"== {kind}: {'PASS' if passed(report) else 'FAIL'}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    return 0 if all(passed(r) for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
