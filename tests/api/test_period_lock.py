"""Every write dated inside a submitted period is refused (409, naming the submission)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, StockMovement, TallyEntry, TrainingSession, Transfer

START = (today().replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
END = today().replace(day=1) - timedelta(days=1)
DAY = START + timedelta(days=4)
AFTER = END + timedelta(days=1)  # the first of this month: open


@pytest.fixture
def locked(client):
    """Two sites of 0301 with one of each kind of entry on DAY, then the month submitted."""
    site, other = make_site("OSL-MO"), make_site("OSL-SR")
    make_item("SPR", "syringe")
    api = api_client(client, make_user("admin"))
    assert api.post("/receipts", json=receipt_body(site, {"SPR": 500}, DAY)).status_code == 201
    assert api.post("/receipts", json=receipt_body(site, {"SPR": 500}, AFTER)).status_code == 201
    inside = api.post("/tallies", json=tally_body(site, {"SPR": 4}, 2, DAY)).json
    outside = api.post("/tallies", json=tally_body(site, {"SPR": 4}, 2, AFTER)).json
    ship = {
        "from": "OSL-MO",
        "to": "OSL-SR",
        "date": DAY.isoformat(),
        "lines": [{"item": "SPR", "quantity": 5}],
    }
    shipped = api.post("/transfers", json=ship).json
    shipped_after = api.post("/transfers", json={**ship, "date": AFTER.isoformat()}).json
    count = api.post("/stock-counts", json={"site": "OSL-SR", "date": DAY.isoformat()}).json
    lines = api.put(
        f"/stock-counts/{count['id']}/lines", json={"lines": [{"item": "SPR", "quantity": 3}]}
    )
    assert lines.status_code == 200, lines.json
    session = api.post(
        "/training-sessions",
        json={
            "site": "OSL-MO",
            "date": DAY.isoformat(),
            "type": "cpr",
            "participants": {"pwud": 6},
        },
    ).json
    submitted = api.post(
        "/submissions",
        json={"municipality": "0301", "from": START.isoformat(), "to": END.isoformat()},
    )
    assert submitted.status_code == 201, submitted.json
    return {
        "api": api, "site": site, "other": other, "inside": inside, "outside": outside,
        "shipped": shipped, "shipped_after": shipped_after, "count": count, "session": session,
        "submission": submitted.json,
    }  # fmt: skip


def _handout(api, w):
    body = {
        "site": "OSL-MO", "date": DAY.isoformat(), "quantity": 1, "recipient_group": "pwud",
        "first_time": True, "training_given": False, "item": "NAL",
    }  # fmt: skip
    make_item("NAL", "naloxone", tracks_lots=False)
    return api.post("/naloxone-handouts", json=body)


def _import(api, w):
    day = DAY + timedelta(days=2)  # a day with no entry in the app (an import may not overlap)
    data = f"sted;dato;vare;antall;kontakter\nOSL-MO;{day.strftime('%d.%m.%Y')};SPR;12;3\n"
    return api.post(
        "/imports",
        json=None,
        data={"file": (io.BytesIO(data.encode()), "late.csv")},
        content_type="multipart/form-data",
    )


WRITES = {
    "tally create": lambda api, w: api.post("/tallies", json=tally_body(w["site"], {"SPR": 1}, 1, DAY)),
    "tally edit": lambda api, w: api.patch(f"/tallies/{w['inside']['id']}", json={"contacts": 9}),
    "tally moved in": lambda api, w: api.patch(f"/tallies/{w['outside']['id']}", json={"date": DAY.isoformat()}),
    "tally moved out": lambda api, w: api.patch(f"/tallies/{w['inside']['id']}", json={"date": AFTER.isoformat()}),
    "tally delete": lambda api, w: api.delete(f"/tallies/{w['inside']['id']}"),
    "naloxone handout": _handout,
    "receipt": lambda api, w: api.post("/receipts", json=receipt_body(w["site"], {"SPR": 5}, DAY)),
    "import": _import,
    "count open": lambda api, w: api.post("/stock-counts", json={"site": "OSL-MO", "date": DAY.isoformat()}),
    "count close": lambda api, w: api.post(f"/stock-counts/{w['count']['id']}/close", json={}),
    "discard": lambda api, w: api.post(
        "/discards", json={"site": "OSL-MO", "date": DAY.isoformat(), "item": "SPR", "quantity": 1, "reason": "damaged"}
    ),
    "transfer ship": lambda api, w: api.post(
        "/transfers", json={"from": "OSL-MO", "to": "OSL-SR", "date": DAY.isoformat(), "lines": [{"item": "SPR", "quantity": 1}]}
    ),
    "transfer receive": lambda api, w: api.post(f"/transfers/{w['shipped']['id']}/receive", json={"date": DAY.isoformat()}),
    "transfer cancel": lambda api, w: api.post(f"/transfers/{w['shipped']['id']}/cancel", json={"reason": "feil"}),
    "training record": lambda api, w: api.post(
        "/training-sessions", json={"site": "OSL-MO", "date": DAY.isoformat(), "type": "cpr", "participants": {"pwud": 1}}
    ),
    "training correct": lambda api, w: api.patch(f"/training-sessions/{w['session']['id']}", json={"participants": {"pwud": 7}}),
}  # fmt: skip


def _state():
    return [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (StockMovement, AuditEvent, TallyEntry, TrainingSession, Transfer)
    ] + [
        db.session.scalar(select(func.max(TallyEntry.version))),
        db.session.scalar(select(func.max(TrainingSession.pwud_count))),
    ]


@pytest.mark.parametrize("kind", list(WRITES))
def test_every_write_inside_a_submitted_period_is_refused(locked, kind):
    before = _state()
    response = WRITES[kind](locked["api"], locked)
    assert response.status_code == 409, response.json
    assert response.json["type"].endswith("period-submitted"), response.json
    assert f"innsending {locked['submission']['id']}" in response.json["detail"]
    db.session.expire_all()
    assert _state() == before


def test_writes_outside_the_period_or_after_a_reopen_go_through(locked):
    api = locked["api"]
    assert (
        api.post("/tallies", json=tally_body(locked["site"], {"SPR": 1}, 1, AFTER)).status_code
        == 201
    )
    receive = api.post(
        f"/transfers/{locked['shipped_after']['id']}/receive", json={"date": AFTER.isoformat()}
    )
    assert receive.status_code == 200, receive.json
    sub = locked["submission"]["id"]
    assert api.post(f"/submissions/{sub}/reopen", json={"reason": "Rettelse"}).status_code == 200
    for kind in ("tally edit", "receipt", "transfer receive", "training correct", "count close"):
        response = WRITES[kind](api, locked)
        assert response.status_code in (200, 201), (kind, response.json)
