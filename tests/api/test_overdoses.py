"""Overdose events through the API: naloxone used on site moves stock, never distribution."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body
from tests.national_ids import FODSELSNUMMER as VALID
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    DistributionDaily,
    OverdoseEvent,
    StockBalance,
    StockMovement,
)
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    naloxone = make_item("NAL-1", "naloxone")
    staff = make_user("staff", [site])
    api = api_client(client, staff)
    body = receipt_body(site, {})
    body["lines"] = [
        {"item": "NAL-1", "quantity": 10, "lot": lot, "expiry": (today() + days).isoformat()}
        for lot, days in (("A1", timedelta(days=90)), ("B2", timedelta(days=300)))
    ]
    assert api.post("/receipts", body).status_code == 201
    return {"site": site, "other": other, "naloxone": naloxone, "api": api, "staff": staff}


def event_body(where, **fields):
    body = {
        "site": where.code,
        "date": today().isoformat(),
        "place": "at_site",
        "outcome": "recovered_on_site",
        "naloxone_doses": 2,
        "ambulance_called": True,
    }
    body.update(fields)
    return body


def on_hand(site) -> int:
    rows = db.session.execute(
        select(StockBalance.quantity, StockBalance.lot_id).where(StockBalance.site_id == site.id)
    ).all()
    return sum(q for q, _lot in rows)


def state() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(StockMovement.id))),
        db.session.scalar(select(func.count(OverdoseEvent.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_doses_given_move_stock_as_used_on_site_not_distribution(world):
    api, site = world["api"], world["site"]
    response = api.post("/overdose-events", event_body(site))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lot"] == "A1"  # first expiry first out
    assert body["naloxone_doses"] == 2
    assert body["ambulance_called"] is True
    assert on_hand(site) == 18
    kinds = db.session.scalars(
        select(StockMovement.kind).where(StockMovement.overdose_event_id == body["id"])
    ).all()
    assert kinds == ["used_on_site"]
    assert db.session.scalar(select(func.count()).select_from(DistributionDaily)) == 0
    assert ledger_check.verify() == []


def test_an_event_without_naloxone_moves_nothing(world):
    api, site = world["api"], world["site"]
    before = state()
    response = api.post("/overdose-events", event_body(site, naloxone_doses=0, outcome="died"))
    assert response.status_code == 201
    assert response.get_json()["lot"] is None
    movements, events, audits = state()
    assert (movements, events, audits) == (before[0], before[1] + 1, before[2] + 1)


def test_a_named_lot_is_used(world):
    api, site = world["api"], world["site"]
    response = api.post("/overdose-events", event_body(site, lot="B2", naloxone_doses=1))
    assert response.get_json()["lot"] == "B2"


@pytest.mark.parametrize(
    "fields",
    [
        {"place": "street"},
        {"outcome": "fine"},
        {"naloxone_doses": -1},
        {"naloxone_doses": 21},
        {"naloxone_doses": 1.5},
        {"naloxone_doses": "2"},
        {"date": (today() + timedelta(days=5)).isoformat()},
        {"date": "2026-02-30"},
        {"lot": "NOPE"},
        {"note": f"pasient {VALID[0]}"},
        {"naloxone_doses": 0, "lot": "A1"},
        {"site": "NOWHERE"},
        {"unknown": 1},
        {"item": "NOPE-1"},
    ],
)
def test_bad_input_is_refused_and_nothing_written(world, fields):
    api, site = world["api"], world["site"]
    before = state()
    response = api.post("/overdose-events", event_body(site, **fields))
    assert response.status_code in (404, 409, 422), response.get_json()
    assert response.mimetype == "application/problem+json"
    assert state() == before


def test_staff_cannot_record_at_another_site(world):
    before = state()
    response = world["api"].post("/overdose-events", event_body(world["other"]))
    assert response.status_code == 403
    assert state() == before


def test_list_shows_only_own_sites(world, client):
    api, site, other = world["api"], world["site"], world["other"]
    admin = api_client(client, make_user("admin"))
    assert admin.post("/overdose-events", event_body(other, naloxone_doses=0)).status_code == 201
    assert api.post("/overdose-events", event_body(site)).status_code == 201
    listed = api.get("/overdose-events").get_json()
    assert [e["site"] for e in listed] == ["OSL-MO"]
    assert api.get("/overdose-events?site=BGO-MO").status_code == 403
    assert len(admin.get("/overdose-events").get_json()) == 2


def test_idempotent_post_has_one_effect(world):
    api, site = world["api"], world["site"]
    headers = {"Idempotency-Key": "od-1"}
    first = api.post("/overdose-events", event_body(site), headers=headers)
    second = api.post("/overdose-events", event_body(site), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count(OverdoseEvent.id))) == 1
    changed = api.post("/overdose-events", event_body(site, naloxone_doses=1), headers=headers)
    assert changed.status_code == 422


def test_patch_writes_corrections_and_if_match_guards(world):
    api, site = world["api"], world["site"]
    created = api.post("/overdose-events", event_body(site)).get_json()
    url = f"/overdose-events/{created['id']}"
    got = api.get(url)
    assert got.headers["ETag"] == '"1"'
    changed = api.patch(url, {"naloxone_doses": 3}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["ETag"] == '"2"'
    assert on_hand(site) == 17
    stale = api.patch(url, {"naloxone_doses": 1}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert on_hand(site) == 17
    assert api.patch(url, {"place": "outreach"}).get_json()["place"] == "outreach"
    assert on_hand(site) == 17
    assert api.patch(url, {"naloxone_doses": 0}).status_code == 200
    assert on_hand(site) == 20
    assert ledger_check.verify() == []


def test_patch_with_bad_input_changes_nothing(world):
    api, site = world["api"], world["site"]
    created = api.post("/overdose-events", event_body(site)).get_json()
    before = state()
    url = f"/overdose-events/{created['id']}"
    future = (today() + timedelta(days=3)).isoformat()
    for body in (
        {"naloxone_doses": 99},
        {"note": VALID[1]},
        {"lot": "NOPE"},
        {"id": 3},
        {"date": future},
        {"naloxone_doses": 0, "lot": "A1"},
    ):
        assert api.patch(url, body).status_code == 422
    assert state() == before
    assert api.get(url).get_json()["version"] == 1


def test_delete_gives_doses_back_once(world):
    api, site = world["api"], world["site"]
    created = api.post("/overdose-events", event_body(site)).get_json()
    url = f"/overdose-events/{created['id']}"
    assert on_hand(site) == 18
    deleted = api.delete(url)
    assert deleted.status_code == 200
    assert deleted.get_json()["deleted"] is True
    assert on_hand(site) == 20
    assert api.delete(url).status_code == 409
    assert on_hand(site) == 20
    assert api.get("/overdose-events").get_json() == []
    assert len(api.get("/overdose-events?include_deleted=true").get_json()) == 1
    assert ledger_check.verify() == []
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "overdose_event")
    ).all()
    assert sorted(actions) == ["create", "delete"]


def test_other_sites_event_is_forbidden_by_id(world, client):
    admin = api_client(client, make_user("admin"))
    other_event = admin.post("/overdose-events", event_body(world["other"], naloxone_doses=0))
    url = f"/overdose-events/{other_event.get_json()['id']}"
    assert world["api"].get(url).status_code == 403
    assert world["api"].patch(url, {"place": "outreach"}).status_code == 403
    assert world["api"].delete(url).status_code == 403
    assert world["api"].get("/overdose-events/999999").status_code == 404
    assert world["api"].get("/overdose-events/99999999999").status_code == 404


def test_inactive_site_refuses_events(world, client):
    site = world["site"]
    site.active = False
    db.session.commit()
    assert world["api"].post("/overdose-events", event_body(site)).status_code == 409


@pytest.mark.parametrize("header", ['""', "W/", '"x"', ","])
def test_an_if_match_naming_no_version_is_412_not_500(world, header):
    api, site = world["api"], world["site"]
    created = api.post("/overdose-events", event_body(site)).get_json()
    response = api.patch(
        f"/overdose-events/{created['id']}", {"place": "outreach"}, headers={"If-Match": header}
    )
    assert response.status_code == 412
    response = api.patch(f"/tallies/{created['id']}", {"contacts": 1}, headers={"If-Match": header})
    assert response.status_code in (404, 412)


def test_verify_ledger_finds_an_event_whose_doses_disagree_with_its_movements(world):
    api, site = world["api"], world["site"]
    created = api.post("/overdose-events", event_body(site)).get_json()
    db.session.execute(
        OverdoseEvent.__table__.update()
        .where(OverdoseEvent.id == created["id"])
        .values(naloxone_doses=5)
    )
    db.session.commit()
    found = ledger_check.verify()
    assert [m.table for m in found] == ["overdose_event"]
    assert (found[0].stored, found[0].from_ledger) == (5, 2)


def test_a_naloxone_item_turned_off_at_the_site_is_refused(world, client):
    api, site = world["api"], world["site"]
    make_item("NAL-2", "naloxone")
    lead = api_client(client, make_user("lead", [site]))
    assert lead.put("/sites/OSL-MO/items/NAL-2", {"active": False}).status_code == 200
    before = state()
    response = api.post("/overdose-events", event_body(site, item="NAL-2", naloxone_doses=1))
    assert response.status_code == 422
    assert response.get_json()["code"] == "item-off-at-site"
    assert state() == before


def test_an_overdose_before_the_stock_start_writes_no_movement(world):
    api, site = world["api"], world["site"]  # the receipt today set the stock start
    movements = db.session.scalar(select(func.count(StockMovement.id)))
    old = (today() - timedelta(days=10)).isoformat()  # within the staff's backdating window
    created = api.post("/overdose-events", event_body(site, date=old)).get_json()
    assert db.session.scalar(select(func.count(StockMovement.id))) == movements
    assert on_hand(site) == 20
    # moved across the start it uses stock, and back it gives it back
    moved = api.patch(f"/overdose-events/{created['id']}", {"date": today().isoformat()})
    assert moved.status_code == 200, moved.get_json()
    assert on_hand(site) == 18
    assert ledger_check.verify() == []
    back = api.patch(f"/overdose-events/{created['id']}", {"date": old})
    assert back.status_code == 200
    assert on_hand(site) == 20
    assert api.delete(f"/overdose-events/{created['id']}").status_code == 200
    assert on_hand(site) == 20
    assert ledger_check.verify() == []


def test_the_first_receipt_gives_back_doses_used_before_it(client):
    site = make_site("TRD-MO", municipality="5001")
    make_item("NAL-9", "naloxone")
    lead = api_client(client, make_user("lead", [site]))
    last_week = (today() - timedelta(days=7)).isoformat()
    body = event_body(site, date=last_week, naloxone_doses=3, item="NAL-9")
    assert lead.post("/overdose-events", body).status_code == 201
    assert on_hand(site) == -3
    receipt = receipt_body(site, {})
    receipt["lines"] = [{"item": "NAL-9", "quantity": 10, "lot": "T1", "expiry": "2099-01-01"}]
    assert lead.post("/receipts", receipt).status_code == 201
    assert on_hand(site) == 10  # the history's doses came back; stock is tracked from today
    assert db.session.scalar(select(OverdoseEvent.before_stock_start)) is True
    assert ledger_check.verify() == []
    # the lead moves the start back before the event: its doses are taken again
    month = (today() - timedelta(days=30)).isoformat()
    assert lead.patch(f"/sites/{site.code}", {"stock_start": month}).status_code == 200
    assert on_hand(site) == 7
    assert db.session.scalar(select(OverdoseEvent.before_stock_start)) is False
    assert ledger_check.verify() == []


def test_the_movement_report_has_a_used_on_site_column(world, client):
    api, site = world["api"], world["site"]
    assert api.post("/overdose-events", event_body(site)).status_code == 201
    lead = api_client(client, make_user("lead", [site]))
    query = {"site": site.code, "from": today().isoformat(), "to": today().isoformat()}
    report = lead.get("/reports/stock-movements", query_string=query)
    assert report.status_code == 200, report.get_json()
    (line,) = report.get_json()["lines"]
    assert line["movements"]["used_on_site"] == -2
    assert line["movements"]["distribution"] == 0
    assert line["closing"] == 18
