"""Invariant 1 under real parallel load: 4 gunicorn workers, hundreds of concurrent POSTs."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import make_item, make_site, make_token, make_user, receipt_body, tally_body
from tests.servers import gunicorn
from tracker.extensions import db
from tracker.models import StockBalance, StockMovement, TallyEntry
from tracker.services import ledger_check

REQUESTS = 400


@pytest.mark.slow
def test_parallel_tallies_and_receipts_leave_an_exact_balance(app, database_uri):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    token = make_token(make_user("staff", [site]))
    rng = random.Random(7)
    jobs = []
    for n in range(REQUESTS):
        quantity = rng.randint(1, 50)
        if n % 2:
            jobs.append(("/api/v1/receipts", receipt_body(site, {"SPR-2": quantity}), quantity))
        else:
            jobs.append(("/api/v1/tallies", tally_body(site, {"SPR-2": quantity}), -quantity))
    db.session.remove()

    with gunicorn(database_uri) as base, requests.Session() as http:
        headers = {"Authorization": f"Bearer {token}"}
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=32)
        http.mount("http://", adapter)

        def send(job):
            path, body, _ = job
            return http.post(base + path, json=body, headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(send, jobs))

    assert statuses.count(201) == REQUESTS, {s: statuses.count(s) for s in set(statuses)}
    expected = sum(delta for _, _, delta in jobs)
    assert db.session.scalar(select(StockBalance.quantity)) == expected
    assert len(db.session.scalars(select(StockMovement.id)).all()) == REQUESTS
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_concurrent_retries_with_one_idempotency_key_have_one_effect(app, database_uri):
    """The key is written before the ledger's hot rows (unit.remember): racing retries
    still make one entry and get its response back."""
    site = make_site("OSL-ID")
    make_item("SPR-9")
    token = make_token(make_user("staff", [site]))
    body = tally_body(site, {"SPR-9": 3})
    db.session.remove()
    with gunicorn(database_uri) as base, requests.Session() as http:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key-1"}
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=8))

        def send(_):
            response = http.post(f"{base}/api/v1/tallies", json=body, headers=headers, timeout=60)
            return response.status_code, response.json()["id"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(send, range(8)))
    assert {status for status, _ in results} == {201}
    assert len({tally_id for _, tally_id in results}) == 1
    assert db.session.scalar(select(func.count()).select_from(TallyEntry)) == 1
    assert ledger_check.verify() == []
