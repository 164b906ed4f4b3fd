"""Overdoses, referrals, returns and contact groups keep the date rules of every entry:
staff backdate only BACKDATE_DAYS (older dates need a lead), and nothing is written inside
a submitted period (409, naming the submission) until it is reopened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import ContactGroupCount, EquipmentReturn, OverdoseEvent, Referral

START = (today().replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
END = today().replace(day=1) - timedelta(days=1)
DAY = START + timedelta(days=4)
BODIES = {
    "/overdose-events": {"place": "at_site", "outcome": "unknown"},
    "/referrals": {"to": "nav", "count": 1},
    "/returns": {"kind": "pieces", "count": 3},
    "/contact-groups": {"women": 1},
}


def rows() -> tuple[int, ...]:
    models = (OverdoseEvent, Referral, EquipmentReturn, ContactGroupCount)
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    site.contacts_by_group = True
    db.session.commit()
    return {
        "site": site,
        "staff": api_client(client, make_user("staff", [site])),
        "lead": api_client(client, make_user("lead", [site])),
        "admin": api_client(client, make_user("admin")),
    }


@pytest.mark.parametrize("path", BODIES)
def test_staff_backdate_within_the_window_only(world, path):
    old = (today() - timedelta(days=40)).isoformat()
    body = {"site": "OSL-MO", "date": old, **BODIES[path]}
    before = rows()
    refused = world["staff"].post(path, body)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "backdate-needs-lead"
    assert rows() == before
    assert world["lead"].post(path, body).status_code == 201
    recent = {**body, "date": (today() - timedelta(days=3)).isoformat()}
    assert world["staff"].post(path, recent).status_code == 201


@pytest.mark.parametrize("path", BODIES)
def test_nothing_is_written_inside_a_submitted_period(world, path):
    api = world["admin"]
    event = api.post("/overdose-events", {"site": "OSL-MO", "date": DAY.isoformat(),
                                          **BODIES["/overdose-events"]}).get_json()  # fmt: skip
    submitted = api.post(
        "/submissions", {"municipality": "0301", "from": START.isoformat(), "to": END.isoformat()}
    )
    assert submitted.status_code == 201, submitted.get_json()
    before = rows()
    refused = api.post(path, {"site": "OSL-MO", "date": DAY.isoformat(), **BODIES[path]})
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "period-submitted"
    assert rows() == before
    assert api.patch(f"/overdose-events/{event['id']}", {"place": "outreach"}).status_code == 409
    assert api.delete(f"/overdose-events/{event['id']}").status_code == 409
    moved_in = api.post(
        "/overdose-events",
        {"site": "OSL-MO", "date": today().isoformat(), **BODIES["/overdose-events"]},
    ).get_json()
    into = api.patch(f"/overdose-events/{moved_in['id']}", {"date": DAY.isoformat()})
    assert into.status_code == 409
