"""Entry throughput: tally POSTs/s through gunicorn (4 workers) against a bare one-INSERT app.

Also the true floor: the same rows as one tally written with the fewest round trips, no
framework, the token lookup outside the write lock (bench/baseline_app.py, `/floor`): the
upper bound for any code with this data model. With --idempotency the floor writes the
idempotency record too, as the tracker does.

    python bench/entry.py [--db sqlite|postgres|both] [--seconds 5] [--rounds 5] [--clients 32]
                          [--sites 1] [--idempotency]

Both servers run at once; rounds alternate baseline, floor and tracker (B F T, T F B, ...)
so load from other processes on the machine hits all alike. Prints the median requests/s
of each, the medians of the paired per-round ratios tracker/floor (goal >= 0.8),
tracker/baseline (goal >= 0.6) and floor/baseline, and latency percentiles over all rounds.
Client and servers share this machine's cores: the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from common import ROOT, scratch_database, summary


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
    port: int,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    seconds: float,
    clients: int,
    keyed: bool = False,
    tokens: list[str] | None = None,
) -> tuple[int, int, list[float]]:
    """clients threads POST for `seconds`, cycling through bodies; returns (ok, errors, latencies).

    With keyed, every request carries a fresh Idempotency-Key, as the entry form sends one.
    With tokens, body n is sent with tokens[n] (each site's own staff member).
    """
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    ok = errors = 0
    latencies: list[float] = []

    def run(number: int) -> None:
        nonlocal ok, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        good = bad = 0
        sent = 0
        while time.monotonic() < stop:
            index = (number + sent) % len(bodies)
            body = bodies[index]
            sent += 1
            extra = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
            if tokens:
                extra["Authorization"] = f"Bearer {tokens[index]}"

            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={**headers, **extra})
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

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok, errors, latencies


def prepare(url: str, sites: int = 1) -> tuple[list[str], list[bytes]]:
    """Sites, items and staff tokens in the scratch database; returns (tokens, tally bodies).

    With sites > 1 each site has its own staff member and token, and the bodies cycle over
    the sites, as a national installation's entries do; with 1 every entry hits the same
    balance rows.
    """
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.dates import today
    from tracker.extensions import db
    from tracker.models import Item, Membership, Municipality, Site, User
    from tracker.services import users

    app = create_app(TestConfig(url))
    with app.app_context():
        oslo = Municipality(number="0301", name="Oslo")
        site_rows = [
            Site(code=f"OSL-{n:03d}", name=f"MO {n}", municipality=oslo, kind="mo_senter")
            for n in range(sites)
        ]
        items = [
            Item(code=c, name_nb=c, name_en=c, category=k)
            for c, k in (("SPR-2", "syringe"), ("KAN-23", "needle"), ("FOLIE", "foil"))
        ]
        staff = [
            User(
                email=f"bench{n}@test.no",
                name="Bench",
                password_hash="x",
                active=True,
                session_version=1,
                memberships=[Membership(site=site, role="staff")],
            )
            for n, site in enumerate(site_rows)
        ]
        db.session.add_all([oslo, *site_rows, *items, *staff])
        db.session.commit()
        tokens = [users.create_token(None, u.email, "bench")[1] for u in staff]
        bodies = [
            json.dumps(
                {
                    "site": site.code,
                    "date": today().isoformat(),
                    "contacts": 3,
                    "lines": [
                        {"item": "SPR-2", "quantity": 10},
                        {"item": "KAN-23", "quantity": 10},
                        {"item": "FOLIE", "quantity": 5},
                    ],
                }
            ).encode()
            for site in site_rows
        ]
        db.engine.dispose()
    return tokens, bodies


def measure(
    kind: str, seconds: float, clients: int, rounds: int, sites: int, keyed: bool
) -> dict[str, float]:
    """Both servers up at once; baseline and tracker rounds alternate (B T T B B T ...)."""
    with scratch_database(kind) as url:
        tokens, bodies = prepare(url, sites)
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "WEB_CONCURRENCY": "4"}
        base_port, app_port = free_port(), free_port()
        servers = [
            serve(["-c", "bench/gunicorn_baseline.py", "bench.baseline_app:app"], env, base_port)
        ]
        try:
            servers.append(
                serve(
                    ["-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"],
                    env,
                    app_port,
                )
            )
            json_headers = {"Content-Type": "application/json"}
            subjects = {
                "baseline": (base_port, "/insert", json_headers, False, None),
                "floor": (base_port, "/floor", json_headers, keyed, tokens),
                "tracker": (app_port, "/api/v1/tallies", json_headers, keyed, tokens),
            }
            rates: dict[str, list[float]] = {name: [] for name in subjects}
            lat: dict[str, list[float]] = {name: [] for name in subjects}
            errs = dict.fromkeys(subjects, 0)
            for port, path, headers, k, t in subjects.values():  # warm up all three
                hammer(port, path, bodies, headers, 1, clients, k, t)
            for number in range(rounds):
                order = list(subjects) if number % 2 == 0 else list(reversed(subjects))
                for name in order:
                    port, path, headers, k, t = subjects[name]
                    ok, err, latencies = hammer(port, path, bodies, headers, seconds, clients, k, t)
                    rates[name].append(ok / seconds)
                    lat[name].extend(latencies)
                    errs[name] += err
        finally:
            for server in servers:
                server.terminate()
                server.wait()
        verify(url)
    ratios = paired(rates["tracker"], rates["baseline"])
    label = (
        f"[{kind}, {sites} site{'s' if sites > 1 else ''}{', Idempotency-Key' if keyed else ''}]"
    )
    median = {name: statistics.median(rates[name]) for name in subjects}
    for name, caption in (
        ("baseline", "baseline one-INSERT app:"),
        ("floor", "true floor (same rows):  "),
        ("tracker", "tracker tally POST:     "),
    ):
        print(
            f"{label} {caption} {median[name]:7.1f} req/s median "
            f"({errs[name]} errors); {summary(lat[name])}"
        )
    floor_ratios = paired(rates["floor"], rates["baseline"])
    stack_ratios = paired(rates["tracker"], rates["floor"])

    def rounds_of(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} (rounds: {', '.join(f'{r:.2f}' for r in values)})"

    print(f"{label} tracker/floor    {rounds_of(stack_ratios)}; goal >= 0.8")
    print(f"{label} tracker/baseline {rounds_of(ratios)}; goal >= 0.6")
    print(
        f"{label} floor/baseline   {rounds_of(floor_ratios)}; the most any code could reach\n"
        f"{label} {clients} clients, {rounds} x {seconds:.0f} s each, interleaved; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return {
        **median,
        "ratio": statistics.median(ratios),
        "floor_ratio": statistics.median(floor_ratios),
        "stack_ratio": statistics.median(stack_ratios),
    }


def paired(subject: list[float], base: list[float]) -> list[float]:
    """Per-round ratios subject/base (each pair measured back to back)."""
    return [s / b for s, b in zip(subject, base, strict=True) if b]


def verify(url: str) -> None:
    from tracker import create_app
    from tracker.config import TestConfig
    from tracker.extensions import db
    from tracker.services import ledger_check

    app = create_app(TestConfig(url))
    with app.app_context():
        assert ledger_check.verify() == [], "ledger mismatch after the run"
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--idempotency", action="store_true", help="a fresh key per request")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        measure(kind, args.seconds, args.clients, args.rounds, args.sites, args.idempotency)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
