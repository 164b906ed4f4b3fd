"""Invariant 8 for kits: racing changes of one kit's contents apply one after another, whole.

Real gunicorn workers on the test database (SQLite or PostgreSQL, per TEST_DB).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import make_item, make_token, make_user
from tests.servers import gunicorn
from tracker.extensions import db
from tracker.models import AuditEvent, Item, KitContent

CLIENTS = 6


@pytest.mark.slow
def test_racing_puts_of_a_kits_contents_leave_one_whole_set(app, database_uri):
    make_item("SPR", category="syringe")
    make_item("KAN", category="needle")
    make_item("FOL", category="foil")
    make_item("PAKKE", category="other")
    token = make_token(make_user("admin"))
    db.session.remove()
    asked = [
        [{"item": "SPR", "quantity": n + 1}, {"item": "KAN", "quantity": 10 * (n + 1)}]
        + ([{"item": "FOL", "quantity": n + 1}] if n % 2 else [])
        for n in range(CLIENTS)
    ]
    start = threading.Barrier(CLIENTS)
    with gunicorn(database_uri) as base, requests.Session() as http:

        def put(contents):
            start.wait()
            return http.put(
                f"{base}/api/v1/items/PAKKE/contents",
                json={"contents": contents},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            statuses = list(pool.map(put, asked))
    assert statuses == [200] * CLIENTS
    codes = dict(db.session.execute(select(Item.id, Item.code)).all())
    rows = db.session.execute(select(KitContent.item_id, KitContent.quantity)).all()
    held = sorted((codes[item_id], quantity) for item_id, quantity in rows)
    wanted = [sorted((line["item"], line["quantity"]) for line in lines) for lines in asked]
    assert held in wanted  # one PUT's contents, whole: never a mix of two
    changes = select(func.count()).where(AuditEvent.action == "set_contents")
    assert db.session.scalar(changes) == CLIENTS


@pytest.mark.slow
def test_two_kits_made_at_once_never_hold_each_other(app, database_uri):
    """PAKKE-n takes in STOR-n while STOR-n is made a kit: one wins, the other gets 422."""
    rounds = 4
    make_item("SPR", category="syringe")
    for n in range(rounds):
        make_item(f"PAKKE-{n}", category="other")
        make_item(f"STOR-{n}", category="other")
    token = make_token(make_user("admin"))
    db.session.remove()
    with gunicorn(database_uri) as base, requests.Session() as http:
        for n in range(rounds):
            start = threading.Barrier(2)
            jobs = [(f"PAKKE-{n}", f"STOR-{n}"), (f"STOR-{n}", "SPR")]

            def put(job):
                kit, content = job
                start.wait()  # noqa: B023 - each round's barrier, used within the round
                return http.put(
                    f"{base}/api/v1/items/{kit}/contents",
                    json={"contents": [{"item": content, "quantity": 2}]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                ).status_code

            with ThreadPoolExecutor(max_workers=2) as pool:
                assert sorted(pool.map(put, jobs)) == [200, 422], n
    kits = set(db.session.scalars(select(KitContent.kit_id)))
    contents = set(db.session.scalars(select(KitContent.item_id)))
    assert kits.isdisjoint(contents)  # no kit is inside a kit
