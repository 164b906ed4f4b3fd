"""Naloxone handouts under real parallel load (4 gunicorn workers): the FEFO split never
overdraws a lot that a racing handout already emptied, racing deletes take effect once and
racing edits apply one after another, each lot's kits given back exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_item, make_site, make_token, make_user
from tests.servers import gunicorn
from tests.test_change_races import _all_at_once, _session
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Lot, NaloxoneHandout, StockBalance
from tracker.services import ledger_check

HANDOUTS = 8
CLIENTS = 4


def _world(client):
    """OSL-RACE holds SOON (10 kits, expires first) and LATE (100)."""
    site = make_site("OSL-RACE")
    make_item("NAL", "naloxone")
    token = make_token(make_user("lead", [site]))
    headers = {"Authorization": f"Bearer {token}"}
    for lot, quantity, days in (("SOON", 10, 60), ("LATE", 100, 400)):
        body = {
            "site": site.code,
            "date": today().isoformat(),
            "lines": [
                {
                    "item": "NAL",
                    "quantity": quantity,
                    "lot": lot,
                    "expiry": (today() + timedelta(days=days)).isoformat(),
                }
            ],
        }
        assert client.post("/api/v1/receipts", json=body, headers=headers).status_code == 201
    return site, headers


def _handout(quantity: int) -> dict:
    return {
        "site": "OSL-RACE",
        "date": today().isoformat(),
        "quantity": quantity,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
    }


def _balances(site) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Lot.lot_number, StockBalance.quantity)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(StockBalance.site_id == site.id)
    ).all()
    return dict(rows)


@pytest.mark.slow
def test_racing_handouts_split_from_what_the_others_left(app, client, database_uri):
    site, headers = _world(client)
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def post(_n):
            response = http.post(
                f"{base}/api/v1/naloxone-handouts", json=_handout(3), headers=headers, timeout=60
            )
            return response.status_code, response.json()

        results = _all_at_once(list(range(HANDOUTS)), post)
    assert [status for status, _ in results] == [201] * HANDOUTS
    # 24 kits: SOON's 10 exactly (never below zero while LATE has stock), 14 from LATE
    assert _balances(site) == {"SOON": 0, "LATE": 86}
    taken = [sum(x["quantity"] for x in body["lots"]) for _, body in results]
    assert taken == [3] * HANDOUTS
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_deletes_of_a_split_handout_take_effect_once(app, client, database_uri):
    site, headers = _world(client)
    ids = []
    for _ in range(HANDOUTS // 2):
        response = client.post("/api/v1/naloxone-handouts", json=_handout(4), headers=headers)
        ids.append(response.get_json()["id"])
    # 16 kits: SOON 4, 4, 2+2 (split), then LATE 4 and 2 more
    assert _balances(site) == {"SOON": 0, "LATE": 94}
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def delete(handout_id):
            response = http.delete(
                f"{base}/api/v1/naloxone-handouts/{handout_id}", headers=headers, timeout=60
            )
            return handout_id, response.status_code

        results = _all_at_once([i for i in ids for _ in range(CLIENTS)], delete)
    for handout_id in ids:
        statuses = sorted(s for i, s in results if i == handout_id)
        assert statuses == [200] + [409] * (CLIENTS - 1), (handout_id, statuses)
    assert _balances(site) == {"SOON": 10, "LATE": 100}
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_edits_of_a_handout_apply_one_after_another(app, client, database_uri):
    site, headers = _world(client)
    ids = []
    for _ in range(HANDOUTS // 2):
        response = client.post("/api/v1/naloxone-handouts", json=_handout(2), headers=headers)
        ids.append(response.get_json()["id"])
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def patch(job):
            handout_id, n = job
            response = http.patch(
                f"{base}/api/v1/naloxone-handouts/{handout_id}",
                json={"quantity": 1 + 3 * n},
                headers=headers,
                timeout=60,
            )
            return response.status_code

        statuses = _all_at_once([(i, n) for i in ids for n in range(CLIENTS)], patch)
    assert statuses == [200] * len(statuses)
    db.session.expire_all()
    handouts = db.session.scalars(select(NaloxoneHandout)).all()
    for handout in handouts:
        assert sum(q for _, q in handout.lots) == handout.quantity
    kits = sum(h.quantity for h in handouts)
    balances = _balances(site)
    assert balances["SOON"] >= 0
    assert sum(balances.values()) == 110 - kits
    assert ledger_check.verify() == []
