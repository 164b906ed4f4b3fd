"""Referrals, returns and contacts by group through the API: counts per site and day."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, ContactGroupCount, EquipmentReturn, Referral


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    staff = make_user("staff", [site])
    return {"site": site, "other": other, "api": api_client(client, staff), "client": client}


def rows() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Referral, EquipmentReturn, ContactGroupCount, AuditEvent)
    )


def body(site, **fields):
    return {"site": site.code, "date": today().isoformat(), **fields}


def test_referral_is_saved_listed_and_audited(world):
    api, site = world["api"], world["site"]
    response = api.post("/referrals", body(site, to="lar_tsb", count=2))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["to"] == "lar_tsb"
    assert response.get_json()["count"] == 2
    assert api.post("/referrals", body(site, to="nav", count=1)).status_code == 201
    listed = api.get("/referrals?site=OSL-MO").get_json()
    assert sorted((r["to"], r["count"]) for r in listed) == [("lar_tsb", 2), ("nav", 1)]
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "referral")
    )
    assert audited == 2


def test_return_is_saved_and_listed(world):
    api, site = world["api"], world["site"]
    assert api.post("/returns", body(site, kind="container_small", count=3)).status_code == 201
    assert api.post("/returns", body(site, kind="pieces", count=120)).status_code == 201
    listed = api.get("/returns").get_json()
    assert sorted((r["kind"], r["count"]) for r in listed) == [
        ("container_small", 3),
        ("pieces", 120),
    ]


def test_contact_groups_only_at_a_site_that_counts_them(world):
    api, site = world["api"], world["site"]
    before = rows()
    refused = api.post("/contact-groups", body(site, women=3, men=5))
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "groups-off-at-site"
    assert rows() == before
    site.contacts_by_group = True
    db.session.commit()
    saved = api.post("/contact-groups", body(site, women=3, men=5, first_visit=2, repeat_visit=6))
    assert saved.status_code == 201, saved.get_json()
    assert saved.get_json()["other_gender"] == 0
    assert api.get("/contact-groups").get_json()[0]["men"] == 5


def test_the_site_setting_is_changed_by_a_coordinator(world, client):
    coordinator = api_client(client, make_user("coordinator", municipality="0301"))
    response = coordinator.patch("/sites/OSL-MO", {"contacts_by_group": True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["contacts_by_group"] is True
    assert world["api"].patch("/sites/OSL-MO", {"contacts_by_group": False}).status_code == 403


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/referrals", {"to": "jail", "count": 1}),
        ("/referrals", {"to": "nav", "count": 0}),
        ("/referrals", {"to": "nav", "count": 1.5}),
        ("/referrals", {"to": "nav", "count": 10_001}),
        ("/referrals", {"to": "nav"}),
        ("/referrals", {"to": "nav", "count": 1, "date": "2026-13-01"}),
        (
            "/referrals",
            {"to": "nav", "count": 1, "date": (today() + timedelta(days=9)).isoformat()},
        ),
        ("/referrals", {"to": "nav", "count": 1, "note": "x"}),
        ("/returns", {"kind": "bag", "count": 1}),
        ("/returns", {"kind": "pieces", "count": -4}),
        ("/returns", {"kind": "pieces", "count": "4"}),
        ("/contact-groups", {"women": -1}),
        ("/contact-groups", {"women": True}),
        ("/contact-groups", {"children": 2}),
        ("/contact-groups", {}),
    ],
)
def test_bad_input_is_refused_and_nothing_written(world, path, fields):
    api, site = world["api"], world["site"]
    site.contacts_by_group = True
    db.session.commit()
    before = rows()
    response = api.post(path, body(site, **fields))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert rows() == before


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/referrals", {"to": "nav", "count": 1}),
        ("/returns", {"kind": "pieces", "count": 4}),
        ("/contact-groups", {"women": 1}),
    ],
)
def test_staff_cannot_write_or_read_at_another_site(world, path, fields):
    api, other = world["api"], world["other"]
    other.contacts_by_group = True
    db.session.commit()
    before = rows()
    assert api.post(path, body(other, **fields)).status_code == 403
    assert api.get(f"{path}?site=BGO-MO").status_code == 403
    assert rows() == before
    assert api.post(path, body(make_site("NEW-1"), **fields)).status_code == 403
    assert api.post(path, {**body(other, **fields), "site": "NOWHERE"}).status_code == 404


def test_staff_list_holds_only_their_sites(world, client):
    admin = api_client(client, make_user("admin"))
    assert admin.post("/referrals", body(world["other"], to="nav", count=1)).status_code == 201
    assert world["api"].get("/referrals").get_json() == []
    assert len(admin.get("/referrals").get_json()) == 1


def test_idempotency_key_has_one_effect(world):
    api, site = world["api"], world["site"]
    headers = {"Idempotency-Key": "ref-1"}
    first = api.post("/referrals", body(site, to="nav", count=1), headers=headers)
    again = api.post("/referrals", body(site, to="nav", count=1), headers=headers)
    assert first.get_json() == again.get_json()
    assert db.session.scalar(select(func.count(Referral.id))) == 1
    other = api.post("/referrals", body(site, to="nav", count=2), headers=headers)
    assert other.status_code == 422
