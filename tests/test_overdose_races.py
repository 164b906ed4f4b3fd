"""Invariant 8 for overdose events under real parallel load (gunicorn, SQLite or PostgreSQL):
racing deletes give the doses back once; racing edits apply one after another, or once with
If-Match; the event's movements always net to its doses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import make_item, make_site, make_token, make_user
from tests.servers import gunicorn
from tests.test_change_races import CLIENTS, _all_at_once, _session
from tracker.dates import today
from tracker.extensions import db
from tracker.models import OverdoseEvent, StockBalance, StockMovement
from tracker.services import ledger_check

EVENTS = 4
RECEIVED = 100


def _world(client):
    site = make_site("OSL-RACE")
    make_item("NAL", "naloxone")
    headers = {"Authorization": f"Bearer {make_token(make_user('staff', [site]))}"}
    receipt = {
        "site": site.code,
        "date": today().isoformat(),
        "lines": [{"item": "NAL", "quantity": RECEIVED, "lot": "R1", "expiry": "2099-01-01"}],
    }
    assert client.post("/api/v1/receipts", json=receipt, headers=headers).status_code == 201
    ids = []
    for _ in range(EVENTS):
        body = {
            "site": site.code,
            "date": today().isoformat(),
            "place": "at_site",
            "outcome": "recovered_on_site",
            "naloxone_doses": 2,
        }
        response = client.post("/api/v1/overdose-events", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    db.session.remove()
    return site, headers, ids


def _on_hand(site) -> int:
    return db.session.scalar(
        select(func.sum(StockBalance.quantity)).where(StockBalance.site_id == site.id)
    )


def _doses_match_movements() -> None:
    doses = dict(
        db.session.execute(
            select(OverdoseEvent.id, OverdoseEvent.naloxone_doses).where(
                OverdoseEvent.deleted_at.is_(None)
            )
        ).all()
    )
    moved = {
        event_id: -int(total)
        for event_id, total in db.session.execute(
            select(StockMovement.overdose_event_id, func.sum(StockMovement.quantity))
            .where(StockMovement.overdose_event_id.is_not(None))
            .group_by(StockMovement.overdose_event_id)
        )
        if total
    }
    assert moved == {i: d for i, d in doses.items() if d}


@pytest.mark.slow
def test_racing_deletes_and_edits_of_overdose_events(app, client, database_uri):
    site, headers, ids = _world(client)
    doomed, edited = ids[:2], ids[2:]
    with gunicorn(database_uri) as base, _session() as http:

        def send(job):
            event_id, n = job
            url = f"{base}/api/v1/overdose-events/{event_id}"
            if event_id in doomed:
                return event_id, http.delete(url, headers=headers, timeout=60).status_code
            body = {"naloxone_doses": 1 + n}
            response = http.patch(
                url, json=body, headers={**headers, "If-Match": '"1"'}, timeout=60
            )
            return event_id, response.status_code

        results = _all_at_once([(i, n) for i in ids for n in range(CLIENTS)], send)
    for event_id in doomed:
        statuses = sorted(s for i, s in results if i == event_id)
        assert statuses == [200] + [409] * (CLIENTS - 1), statuses
    for event_id in edited:
        statuses = sorted(s for i, s in results if i == event_id)
        assert statuses == [200] + [412] * (CLIENTS - 1), statuses
    db.session.remove()
    _doses_match_movements()
    used = db.session.scalar(
        select(func.sum(OverdoseEvent.naloxone_doses)).where(OverdoseEvent.deleted_at.is_(None))
    )
    assert _on_hand(site) == RECEIVED - used
    assert ledger_check.verify() == []
