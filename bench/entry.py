"""Entry throughput: tally POSTs/s through gunicorn (4 workers) against a bare one-INSERT app.

    python bench/entry.py [--db sqlite|postgres|both] [--seconds 15] [--clients 32]

Prints requests/s, the ratio tracker/baseline (goal >= 0.6) and latency percentiles, for each
database. Client and servers share this machine's cores: the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import ROOT, scratch_database, summary

TODAY_BODY = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *args],
        cwd=ROOT,
        env={**os.environ, **env, "BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def hammer(
    port: int, path: str, body: bytes, headers: dict[str, str], seconds: float, clients: int
) -> tuple[int, int, list[float]]:
    """clients threads POST for `seconds`; returns (ok, errors, latencies)."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    ok = errors = 0
    latencies: list[float] = []

    def run() -> None:
        nonlocal ok, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        good = bad = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                good, bad = (good + 1, bad) if response.status == 201 else (good, bad + 1)
            except OSError:
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        with lock:
            ok += good
            errors += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok, errors, latencies


def prepare(url: str) -> tuple[str, bytes]:
    """A site, items and a staff token in the scratch database; returns (token, tally body)."""
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.dates import today
    from tracker.extensions import db
    from tracker.models import Item, Membership, Municipality, Site, User
    from tracker.services import users

    app = create_app(TestConfig(url))
    with app.app_context():
        oslo = Municipality(number="0301", name="Oslo")
        site = Site(code="OSL-MO", name="MO", municipality=oslo, kind="mo_senter")
        items = [
            Item(code=c, name_nb=c, name_en=c, category=k)
            for c, k in (("SPR-2", "syringe"), ("KAN-23", "needle"), ("FOLIE", "foil"))
        ]
        user = User(
            email="bench@test.no",
            name="Bench",
            password_hash="x",
            active=True,
            session_version=1,
            memberships=[Membership(site=site, role="staff")],
        )
        db.session.add_all([oslo, site, *items, user])
        db.session.commit()
        _, token = users.create_token(None, "bench@test.no", "bench")
        body = {
            "site": "OSL-MO",
            "date": today().isoformat(),
            "contacts": 3,
            "lines": [
                {"item": "SPR-2", "quantity": 10},
                {"item": "KAN-23", "quantity": 10},
                {"item": "FOLIE", "quantity": 5},
            ],
        }
        db.engine.dispose()
    return token, json.dumps(body).encode()


def measure(kind: str, seconds: float, clients: int) -> None:
    with scratch_database(kind) as url:
        token, body = prepare(url)
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "WEB_CONCURRENCY": "4"}
        port = free_port()
        base = serve(["-c", "bench/gunicorn_baseline.py", "bench.baseline_app:app"], env, port)
        try:
            b_ok, b_err, b_lat = hammer(
                port, "/insert", body, {"Content-Type": "application/json"}, seconds, clients
            )
        finally:
            base.terminate()
            base.wait()
        port = free_port()
        app = serve(
            ["-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"], env, port
        )
        try:
            t_ok, t_err, t_lat = hammer(
                port,
                "/api/v1/tallies",
                body,
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                seconds,
                clients,
            )
        finally:
            app.terminate()
            app.wait()
        verify(url)
    b_rate, t_rate = b_ok / seconds, t_ok / seconds
    print(
        f"[{kind}] baseline one-INSERT app: {b_rate:7.1f} req/s ({b_err} errors); {summary(b_lat)}"
    )
    print(
        f"[{kind}] tracker tally POST:      {t_rate:7.1f} req/s ({t_err} errors); {summary(t_lat)}"
    )
    print(
        f"[{kind}] ratio tracker/baseline: {t_rate / b_rate:.2f} (goal >= 0.6), "
        f"{clients} clients, {seconds:.0f} s each"
    )


def verify(url: str) -> None:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import ledger

    app = create_app(TestConfig(url))
    with app.app_context():
        assert ledger.verify() == [], "ledger mismatch after the run"
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        measure(kind, args.seconds, args.clients)


if __name__ == "__main__":
    main()
