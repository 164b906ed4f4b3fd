"""How far back an entry may be dated: staff BACKDATE_DAYS from when it was made, leads more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.dates import OSLO, today
from tracker.extensions import db
from tracker.models import NaloxoneHandout, Receipt, TallyEntry


@pytest.fixture
def shop(client):
    site = make_site("OSL-MO")
    make_item("SPR", "syringe")
    make_item("NAL", "naloxone", tracks_lots=False)
    return {
        "site": site,
        "staff": api_client(client, make_user("staff", [site])),
        "lead": api_client(client, make_user("lead", [site])),
        "coordinator": api_client(client, make_user("coordinator", municipality="0301")),
    }


def days_ago(n: int):
    return today() - timedelta(days=n)


def handout(day, **extra):
    return {
        "site": "OSL-MO", "date": day.isoformat(), "quantity": 1, "recipient_group": "pwud",
        "first_time": True, "training_given": False, "item": "NAL", **extra,
    }  # fmt: skip


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_may_enter_up_to_fourteen_days_back(shop):
    staff = shop["staff"]
    assert (
        staff.post("/tallies", tally_body(shop["site"], {"SPR": 1}, 1, days_ago(14))).status_code
        == 201
    )
    assert staff.post("/naloxone-handouts", handout(days_ago(14))).status_code == 201
    assert (
        staff.post("/receipts", receipt_body(shop["site"], {"SPR": 5}, days_ago(14))).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/tallies", lambda s: tally_body(s, {"SPR": 1}, 1, days_ago(15)), TallyEntry),
        ("/naloxone-handouts", lambda s: handout(days_ago(15)), NaloxoneHandout),
        ("/receipts", lambda s: receipt_body(s, {"SPR": 5}, days_ago(15)), Receipt),
    ],
)
def test_an_older_date_needs_a_lead(shop, path, body, model):
    refused = shop["staff"].post(path, body(shop["site"]))
    assert refused.status_code == 403
    assert refused.json["code"] == "backdate-needs-lead"
    assert "14 dager tilbake" in refused.json["detail"]
    assert days_ago(14).strftime("%d.%m.%Y") in refused.json["detail"]
    assert count(model) == 0
    assert shop["lead"].post(path, body(shop["site"])).status_code == 201
    assert shop["coordinator"].post(path, body(shop["site"])).status_code == 201
    assert count(model) == 2


def test_an_entry_made_offline_counts_from_the_device_time(shop):
    made = datetime.now(UTC) - timedelta(days=3)
    day = (made.astimezone(OSLO) - timedelta(days=14)).date()  # 17 days ago
    body = {**tally_body(shop["site"], {"SPR": 1}, 1, day), "made_at": made.isoformat()}
    assert shop["staff"].post("/tallies", body).status_code == 201
    handout_body = {**handout(day), "made_at": made.isoformat()}
    assert shop["staff"].post("/naloxone-handouts", handout_body).status_code == 201
    too_old = {**body, "date": (day - timedelta(days=1)).isoformat()}
    assert shop["staff"].post("/tallies", too_old).status_code == 403


def test_a_device_time_later_than_the_server_counts_as_now(shop):
    future = datetime.now(UTC) + timedelta(days=30)
    body = {**tally_body(shop["site"], {"SPR": 1}, 1, days_ago(15)), "made_at": future.isoformat()}
    assert shop["staff"].post("/tallies", body).status_code == 403


def test_a_device_clock_set_far_back_does_not_open_the_past(shop):
    made = datetime.now(UTC) - timedelta(days=400)
    body = {**tally_body(shop["site"], {"SPR": 1}, 1, days_ago(300)), "made_at": made.isoformat()}
    assert shop["staff"].post("/tallies", body).status_code == 403
    at_limit = {**body, "date": days_ago(28).isoformat()}  # made_at counts from 14 days back
    assert shop["staff"].post("/tallies", at_limit).status_code == 201


def test_a_future_date_is_refused_for_everyone(shop):
    for who in ("staff", "lead", "coordinator"):
        body = tally_body(shop["site"], {"SPR": 1}, 1, today() + timedelta(days=2))
        assert shop[who].post("/tallies", body).status_code == 422


def test_staff_cannot_edit_or_delete_an_entry_older_than_the_window(shop):
    old = shop["lead"].post("/tallies", tally_body(shop["site"], {"SPR": 1}, 1, days_ago(20))).json
    assert shop["staff"].patch(f"/tallies/{old['id']}", {"contacts": 3}).status_code == 403
    assert shop["staff"].delete(f"/tallies/{old['id']}").status_code == 403
    recent = (
        shop["staff"].post("/tallies", tally_body(shop["site"], {"SPR": 1}, 1, days_ago(2))).json
    )
    moved = shop["staff"].patch(f"/tallies/{recent['id']}", {"date": days_ago(30).isoformat()})
    assert moved.status_code == 403
    assert shop["lead"].patch(f"/tallies/{old['id']}", {"contacts": 3}).status_code == 200


def test_the_window_is_configurable(shop, app):
    app.config["BACKDATE_DAYS"] = 3
    try:
        body = tally_body(shop["site"], {"SPR": 1}, 1, days_ago(4))
        refused = shop["staff"].post("/tallies", body)
        assert refused.status_code == 403
        assert "3 dager tilbake" in refused.json["detail"]
    finally:
        app.config["BACKDATE_DAYS"] = 14


def test_backdating_never_opens_a_submitted_period(shop):
    end = today().replace(day=1) - timedelta(days=1)
    period = {"site": ["OSL-MO"], "from": end.replace(day=1).isoformat(), "to": end.isoformat()}
    assert shop["coordinator"].post("/submissions", period).status_code == 201
    body = tally_body(shop["site"], {"SPR": 1}, 1, end)
    assert shop["lead"].post("/tallies", body).status_code == 409
    assert shop["coordinator"].post("/tallies", body).status_code == 409
