"""Transfers and discards out of one site never take it below zero under parallel requests.

Real gunicorn workers on the test database (SQLite or PostgreSQL, per TEST_DB).
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import make_item, make_site, make_token, make_user, receipt_body
from tests.servers import gunicorn
from tracker.dates import today
from tracker.extensions import db
from tracker.models import StockBalance, StockMovement, Transfer
from tracker.services import ledger_check

ON_HAND = 100
EACH = 3
REQUESTS = 80


@pytest.mark.slow
def test_parallel_transfers_and_discards_never_overdraw_the_sender(app, client, database_uri):
    sender = make_site("OSL-MO")
    receivers = [make_site("OSL-SR"), make_site("OSL-UT")]
    make_item("SPR-2")
    lead = make_user("lead", [sender, *receivers])
    token = make_token(lead)
    response = client.post(
        "/api/v1/receipts",
        json=receipt_body(sender, {"SPR-2": ON_HAND}),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    jobs = []
    for n in range(REQUESTS):
        if n % 4 == 3:
            body = {
                "site": "OSL-MO",
                "date": today().isoformat(),
                "item": "SPR-2",
                "quantity": EACH,
                "reason": "damaged",
            }
            jobs.append(("/api/v1/discards", body))
        else:
            body = {
                "from": "OSL-MO",
                "to": receivers[n % 2].code,
                "date": today().isoformat(),
                "lines": [{"item": "SPR-2", "quantity": EACH}],
            }
            jobs.append(("/api/v1/transfers", body))
    db.session.remove()

    with gunicorn(database_uri) as base, requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
        headers = {"Authorization": f"Bearer {token}"}

        def send(job):
            path, body = job
            return http.post(base + path, json=body, headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(send, jobs))

        assert set(statuses) <= {201, 409}, {s: statuses.count(s) for s in set(statuses)}
        assert statuses.count(201) == ON_HAND // EACH

        # the shipments are received at once by many parallel requests: each exactly once
        ids = db.session.scalars(select(Transfer.id)).all()
        db.session.remove()

        def receive(transfer_id):
            return http.post(
                f"{base}/api/v1/transfers/{transfer_id}/receive",
                json={"date": today().isoformat()},
                headers=headers,
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            received = list(pool.map(receive, [i for i in ids for _ in range(3)]))
    assert received.count(200) == len(ids), {s: received.count(s) for s in set(received)}
    assert received.count(409) == 2 * len(ids)

    sender_balance = db.session.scalar(
        select(StockBalance.quantity).where(StockBalance.site_id == sender.id)
    )
    assert sender_balance == ON_HAND % EACH
    total = db.session.scalar(select(func.sum(StockBalance.quantity)))
    discarded = -db.session.scalar(
        select(func.sum(StockMovement.quantity)).where(StockMovement.kind == "discard")
    )
    assert total + discarded == ON_HAND
    assert ledger_check.verify() == []
