"""Invariant 8 for the supply records of issue 24: racing changes have exactly one effect."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_site, make_token, make_user
from tests.servers import gunicorn
from tests.test_change_races import CLIENTS, _all_at_once, _session
from tracker.extensions import db
from tracker.models import AuditEvent, DeliveryDate, DeliverySchedule, DrugAlert


@pytest.mark.slow
def test_racing_ends_of_an_alert_end_it_once(app, client, database_uri):
    make_site("OSL-VAR")
    token = make_token(make_user("coordinator", municipality="0301"))
    api = api_client(client, None)
    api.token = token
    body = {"title": "Nitazener", "text": "Farlig.", "severity": "critical", "municipality": "0301"}
    alert_id = api.post("/alerts", body).get_json()["id"]
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def end(_n):
            return http.post(
                f"{base}/api/v1/alerts/{alert_id}/end",
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).status_code

        statuses = _all_at_once(range(CLIENTS), end)
    assert sorted(statuses) == [200] + [409] * (CLIENTS - 1), statuses
    ends = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "drug_alert", AuditEvent.action == "end")
    ).all()
    assert len(ends) == 1
    assert db.session.get(DrugAlert, alert_id).ended_at is not None


@pytest.mark.slow
def test_racing_delivery_day_changes_leave_one_of_them_whole(app, client, database_uri):
    make_site("OSL-LEV")
    token = make_token(make_user("coordinator", municipality="0301"))
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def put(n):
            return http.put(
                f"{base}/api/v1/sites/OSL-LEV/deliveries",
                json={"weekdays": [n % 7 + 1], "lead_time_days": n},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).status_code

        statuses = _all_at_once(range(CLIENTS), put)
    assert statuses == [200] * CLIENTS, statuses
    (row,) = db.session.scalars(select(DeliverySchedule)).all()
    assert row.weekdays == str(row.lead_time_days % 7 + 1)  # one request's values, whole
    assert db.session.scalar(select(func.count()).select_from(DeliveryDate)) == 0
    updates = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "deliveries")).all()
    assert len(updates) == CLIENTS
