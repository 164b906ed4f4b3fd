"""The offline app's server side (issue 25): the installable app, the data the phone keeps,
and the session-cookie writes of its queue (only with the CSRF header)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import (
    actor,
    api_client,
    login,
    make_item,
    make_site,
    make_user,
    tally_body,
)
from tracker.dates import OSLO, today
from tracker.extensions import db
from tracker.models import (
    Membership,
    NaloxoneHandout,
    OverdoseEvent,
    Referral,
    Site,
    TallyEntry,
)
from tracker.security import CSP
from tracker.services import offline, stock, tallies


@pytest.fixture
def world(app):
    site = make_site("OSL-OPP")
    other = make_site("BGO-MO", "4601")
    make_site("OSL-GML", active=False)
    make_item("SPR-2", "syringe")
    nal = make_item("NAL", "naloxone")
    staff = make_user("staff", [site, db.session.get(Site, 3)])
    stock.receive(
        actor(staff),
        site_code=site.code,
        received_on=today(),
        lines=[{"item": "NAL", "quantity": 5, "lot": "N1", "expiry": today() + timedelta(days=99)}],
    )
    return site, other, staff, nal


def token_of(client) -> str:
    response = client.get("/uten-nett/token")
    assert response.status_code == 200
    return response.get_json()["csrf"]


def handout_body(site) -> dict:
    return {
        "site": site.code,
        "date": today().isoformat(),
        "quantity": 1,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_cookie_write_without_the_csrf_header_is_refused_and_writes_nothing(client, world):
    site, _other, staff, _nal = world
    login(client, staff)
    for path, body in (
        ("/api/v1/tallies", tally_body(site, {"SPR-2": 4})),
        ("/api/v1/naloxone-handouts", handout_body(site)),
    ):
        # What another site's page could make the browser send: the cookie, no token.
        response = client.post(path, json=body)
        assert response.status_code == 403, path
        assert response.get_json()["code"] == "csrf"
        assert "CSRF" in response.get_json()["detail"]
        response = client.post(path, json=body, headers={"X-CSRFToken": "forged"})
        assert response.status_code == 403
    assert count(TallyEntry) == 0
    assert count(NaloxoneHandout) == 0


def test_a_cookie_write_with_the_csrf_header_is_saved_once_per_idempotency_key(client, world):
    site, _other, staff, _nal = world
    login(client, staff)
    headers = {"X-CSRFToken": token_of(client), "Idempotency-Key": "phone-1"}
    first = client.post("/api/v1/tallies", json=tally_body(site, {"SPR-2": 4}), headers=headers)
    again = client.post("/api/v1/tallies", json=tally_body(site, {"SPR-2": 4}), headers=headers)
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    headers["Idempotency-Key"] = "phone-2"
    handout = client.post("/api/v1/naloxone-handouts", json=handout_body(site), headers=headers)
    assert handout.status_code == 201
    assert count(TallyEntry) == 1
    assert count(NaloxoneHandout) == 1
    entry = db.session.scalars(select(TallyEntry)).one()
    assert entry.created_by_id == staff.id  # the same validation and audit as any client


def test_the_session_opens_only_the_queues_writes_not_reads_or_other_endpoints(client, world):
    site, _other, staff, _nal = world
    login(client, staff)
    token = {"X-CSRFToken": token_of(client)}
    assert client.get("/api/v1/tallies", headers=token).status_code == 401
    assert client.get("/api/v1/sites", headers=token).status_code == 401
    receipt = {"site": site.code, "date": today().isoformat(), "lines": []}
    assert client.post("/api/v1/receipts", json=receipt, headers=token).status_code == 401


def test_without_a_session_the_api_still_wants_a_bearer_token(client, world):
    site, _other, staff, _nal = world
    response = client.post("/api/v1/tallies", json=tally_body(site, {"SPR-2": 1}))
    assert response.status_code == 401
    bearer = api_client(client, staff)
    assert bearer.post("/tallies", json=tally_body(site, {"SPR-2": 1})).status_code == 201


def test_the_queues_refusals_carry_the_reason_in_bokmal(client, world):
    site, other, staff, _nal = world
    login(client, staff)
    headers = {"X-CSRFToken": token_of(client)}
    response = client.post("/api/v1/tallies", json=tally_body(other, {"SPR-2": 1}), headers=headers)
    assert response.status_code == 403
    assert "Du har ikke tilgang til stedet BGO-MO" in response.get_json()["detail"]
    db.session.execute(Membership.__table__.delete().where(Membership.site_id == site.id))
    db.session.commit()
    response = client.post("/api/v1/tallies", json=tally_body(site, {"SPR-2": 1}), headers=headers)
    assert response.status_code == 403  # access removed while the phone was offline
    inactive = db.session.get(Site, 3)
    response = client.post(
        "/api/v1/tallies", json=tally_body(inactive, {"SPR-2": 1}), headers=headers
    )
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Stedet OSL-GML er deaktivert."
    assert count(TallyEntry) == 0


def test_the_phones_data_is_the_users_active_sites_items_lots_and_usual_figures(client, world):
    site, _other, staff, _nal = world
    for n in range(1, 11):
        tallies.create_tally(
            actor(staff),
            site_code=site.code,
            entry_date=today() - timedelta(days=n),
            contacts=0,
            lines=[{"item": "SPR-2", "quantity": n * 10}],
        )
    assert client.get("/uten-nett/data").status_code == 302  # to the login page
    login(client, staff)
    response = client.get("/uten-nett/data")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["user"] == staff.id
    assert [s["code"] for s in data["sites"]] == ["OSL-OPP"]  # not other's, not the inactive
    (found,) = data["sites"]
    assert found["items"] == [
        {"code": "SPR-2", "name": "Vare SPR-2", "p90": 90, "unusual_above": 450}
    ]
    assert found["naloxone"] == "Vare NAL"
    assert [lot["lot"] for lot in found["lots"]] == ["N1"]


def test_an_item_without_a_weeks_history_is_never_unusual(client, world):
    site, _other, staff, _nal = world
    for n in range(1, 7):
        tallies.create_tally(
            actor(staff),
            site_code=site.code,
            entry_date=today() - timedelta(days=n),
            contacts=0,
            lines=[{"item": "SPR-2", "quantity": 10}],
        )
    login(client, staff)
    (found,) = client.get("/uten-nett/data").get_json()["sites"]
    assert found["items"][0]["unusual_above"] is None
    assert offline.unusual_above(10) == 99  # the floor
    assert offline.unusual_above(30) == 150


def test_the_app_shell_carries_no_user_data_and_the_app_is_installable(client, world):
    _site, _other, staff, _nal = world
    login(client, staff)
    shell = client.get("/uten-nett")
    html = shell.get_data(as_text=True)
    assert shell.status_code == 200
    assert staff.email not in html
    assert staff.name not in html
    assert "OSL-OPP" not in html
    assert 'data-offline-form="tally"' in html
    assert 'data-offline-form="naloxone"' in html
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone"
    assert body["start_url"] == "/utdeling"
    assert body["name"]
    assert body["short_name"]
    assert body["theme_color"]
    for icon in body["icons"]:
        with client.get(icon["src"]) as png:
            assert png.status_code == 200
            assert png.data.startswith(b"\x89PNG") or b"<svg" in png.data
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200
        assert worker.mimetype == "text/javascript"
        assert worker.headers["Service-Worker-Allowed"] == "/"
        assert "/api/" not in worker.get_data(as_text=True)  # caches no API answer
    page = client.get("/utdeling", follow_redirects=True).get_data(as_text=True)
    assert 'rel="manifest"' in page
    assert "offline.js" in page
    assert 'id="offline-queue"' in page
    assert "worker-src 'self'" in CSP
    assert "manifest-src 'self'" in CSP
    assert page.count("<script") == 2  # offline.js and the translated texts (JSON, not run)


def overdose_body(site, day=None, **extra) -> dict:
    return {
        "site": site.code,
        "date": (day or today()).isoformat(),
        "place": "at_site",
        "naloxone_doses": 1,
        "oxygen_given": True,
        "cpr_given": False,
        "ambulance_called": True,
        "outcome": "to_hospital",
        **extra,
    }


def referral_body(site, day=None, **extra) -> dict:
    return {
        "site": site.code,
        "date": (day or today()).isoformat(),
        "to": "nav",
        "count": 2,
        **extra,
    }


def test_overdose_and_referral_cookie_writes_need_the_csrf_header(client, world):
    site, _other, staff, _nal = world
    login(client, staff)
    for path, body in (
        ("/api/v1/overdose-events", overdose_body(site)),
        ("/api/v1/referrals", referral_body(site)),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 403, path
        assert response.get_json()["code"] == "csrf"
        assert client.post(path, json=body, headers={"X-CSRFToken": "x"}).status_code == 403
    assert count(OverdoseEvent) == 0
    assert count(Referral) == 0
    # Reads and the other day counts stay bearer-only.
    token = {"X-CSRFToken": token_of(client)}
    assert client.get("/api/v1/overdose-events", headers=token).status_code == 401
    assert client.get("/api/v1/referrals", headers=token).status_code == 401
    back = {"site": site.code, "date": today().isoformat(), "kind": "containers", "count": 1}
    assert client.post("/api/v1/returns", json=back, headers=token).status_code == 401


def test_overdose_and_referral_cookie_writes_with_the_header_are_saved_once(client, world):
    site, _other, staff, _nal = world
    login(client, staff)
    token = token_of(client)
    for n, (path, body) in enumerate(
        (
            ("/api/v1/overdose-events", overdose_body(site)),
            ("/api/v1/referrals", referral_body(site)),
        )
    ):
        headers = {"X-CSRFToken": token, "Idempotency-Key": f"phone-{n}"}
        first = client.post(path, json=body, headers=headers)
        again = client.post(path, json=body, headers=headers)
        assert first.status_code == 201, first.get_json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json()["id"] == first.get_json()["id"]
    event = db.session.scalars(select(OverdoseEvent)).one()
    assert (event.naloxone_doses, event.outcome, event.created_by_id) == (
        1,
        "to_hospital",
        staff.id,
    )
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.destination, referral.quantity) == ("nav", 2)


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/api/v1/overdose-events", overdose_body, OverdoseEvent),
        ("/api/v1/referrals", referral_body, Referral),
    ],
)
def test_overdose_and_referral_backdating_counts_from_the_devices_time(
    client, world, path, body, model
):
    """Made three days ago on the phone, dated 17 days back: inside staff's 14 days from the
    device's time; the day before is refused, and without made_at the same date is too."""
    site, _other, staff, _nal = world
    login(client, staff)
    headers = {"X-CSRFToken": token_of(client)}
    made = datetime.now(UTC) - timedelta(days=3)
    day = (made.astimezone(OSLO) - timedelta(days=14)).date()
    made_at = made.isoformat()
    refused = client.post(path, json=body(site, day), headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "backdate-needs-lead"
    too_old = body(site, day - timedelta(days=1), made_at=made_at)
    assert client.post(path, json=too_old, headers=headers).status_code == 403
    assert count(model) == 0
    saved = client.post(path, json=body(site, day, made_at=made_at), headers=headers)
    assert saved.status_code == 201, saved.get_json()
    assert count(model) == 1
