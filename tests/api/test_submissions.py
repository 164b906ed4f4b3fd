"""Submissions: a period is reported, kept byte for byte, locked, reopened, resubmitted."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import (
    api_client,
    make_item,
    make_lot,
    make_site,
    make_user,
    receipt_body,
    tally_body,
)
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, Submission, SubmissionFigure

START = (today().replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
END = today().replace(day=1) - timedelta(days=1)
DAY = START + timedelta(days=4)


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("OSL-SR")
    make_item("SPR", "syringe")
    make_lot(make_item("NAL", "naloxone"), "L1")
    coordinator = make_user("coordinator", municipality="0301")
    return {
        "site": site,
        "other": other,
        "coordinator": coordinator,
        "api": api_client(client, coordinator),
    }


def submit(api, **extra):
    body = {"site": ["OSL-MO"], "from": START.isoformat(), "to": END.isoformat(), **extra}
    return api.post("/submissions", json=body)


def test_submission_keeps_the_workbook_byte_for_byte(world):
    api = world["api"]
    assert (
        api.post("/tallies", json=tally_body(world["site"], {"SPR": 40}, 7, DAY)).status_code == 201
    )
    response = submit(api, note="T1")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["locked"] is True
    assert body["sites"] == ["OSL-MO"]
    assert body["submitted_by"] == world["coordinator"].email
    assert body["submitted_at"]
    kept = api.get(f"/submissions/{body['id']}/workbook.xlsx")
    assert kept.status_code == 200
    assert hashlib.sha256(kept.data).hexdigest() == body["sha256"]
    assert len(kept.data) == body["size"]
    again = api.get(f"/submissions/{body['id']}/workbook.xlsx")
    assert again.data == kept.data  # the kept bytes, not a new export
    book = load_workbook(io.BytesIO(kept.data), read_only=True)
    assert "Endringer" not in book.sheetnames
    figures = {
        f.measure: f.value
        for f in db.session.scalars(
            select(SubmissionFigure).where(SubmissionFigure.submission_id == body["id"])
        )
    }
    assert figures == {"distributed": 40, "contacts": 7}
    listed = api.get("/submissions").json
    assert [s["id"] for s in listed] == [body["id"]]


def test_a_submitted_period_refuses_an_entry_until_reopened_with_a_reason(world):
    api = world["api"]
    sub = submit(api).json
    refused = api.post("/tallies", json=tally_body(world["site"], {"SPR": 5}, 1, DAY))
    assert refused.status_code == 409
    assert refused.json["type"].endswith("period-submitted")
    assert f"innsending {sub['id']}" in refused.json["detail"]
    assert START.strftime("%d.%m.%Y") in refused.json["detail"]
    assert world["coordinator"].name in refused.json["detail"]
    # outside the period, and another site in it, are open
    assert (
        api.post(
            "/tallies", json=tally_body(world["site"], {"SPR": 5}, 1, END + timedelta(days=1))
        ).status_code
        == 201
    )
    assert (
        api.post("/tallies", json=tally_body(world["other"], {"SPR": 5}, 1, DAY)).status_code == 201
    )
    no_reason = api.post(f"/submissions/{sub['id']}/reopen", json={"reason": "  "})
    assert no_reason.status_code == 422
    reopened = api.post(f"/submissions/{sub['id']}/reopen", json={"reason": "Glemt skjema"})
    assert reopened.status_code == 200, reopened.json
    assert reopened.json["locked"] is False
    assert reopened.json["reopen_reason"] == "Glemt skjema"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "submission", AuditEvent.action == "reopen")
        )
        == 1
    )
    assert api.post(f"/submissions/{sub['id']}/reopen", json={"reason": "igjen"}).status_code == 409
    assert (
        api.post("/tallies", json=tally_body(world["site"], {"SPR": 5}, 1, DAY)).status_code == 201
    )


def table_rows(rows):
    """The sheet's rows from its heading row on (the title and period lines come first)."""
    rows = list(rows)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Kommunenr")
    return rows[start:]


def test_a_resubmission_lists_the_changed_figure_and_the_entry_behind_it(world):
    api = world["api"]
    api.post("/tallies", json=tally_body(world["site"], {"SPR": 40}, 7, DAY))
    first = submit(api).json
    api.post(f"/submissions/{first['id']}/reopen", json={"reason": "Sen lapp"})
    late = api.post("/tallies", json=tally_body(world["site"], {"SPR": 3}, 0, DAY)).json
    second = submit(api)
    assert second.status_code == 201, second.json
    assert second.json["previous_id"] == first["id"]
    data = api.get(f"/submissions/{second.json['id']}/workbook.xlsx").data
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Endringer"]
    rows = table_rows(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Kommunenr", "Sted", "Vare", "Mål", "Før", "Etter")
    changed = [r for r in rows[1:] if len(r) > 1 and r[1] == "OSL-MO"]
    assert len(changed) == 1
    assert changed[0][2:6] == ("SPR", "Utdelt", 40, 43)
    assert f"registrering {late['id']}" in changed[0][6]


def test_the_external_endringer_sheet_protects_small_person_figures_and_names_no_entry(world):
    api = world["api"]
    handout = {
        "site": "OSL-MO", "date": DAY.isoformat(), "quantity": 10, "recipient_group": "pwud",
        "first_time": True, "training_given": False, "lot": "L1",
    }  # fmt: skip
    assert api.post("/naloxone-handouts", json=handout).status_code == 201
    first = submit(api, external=True).json
    api.post(f"/submissions/{first['id']}/reopen", json={"reason": "Sen lapp"})
    assert (
        api.post(
            "/naloxone-handouts", json={**handout, "quantity": 2, "recipient_group": "relative"}
        ).status_code
        == 201
    )
    api.post("/tallies", json=tally_body(world["site"], {"SPR": 3}, 0, DAY))
    second = submit(api, external=True).json
    data = api.get(f"/submissions/{second['id']}/workbook.xlsx").data
    rows = table_rows(
        load_workbook(io.BytesIO(data), read_only=True)["Endringer"].iter_rows(values_only=True)
    )
    assert len([c for c in rows[0] if c is not None]) == 6  # no column of entries
    values = {(r[2], r[3]): (r[4], r[5]) for r in rows[1:] if len(r) > 1 and r[1] == "OSL-MO"}
    assert values[("SPR", "Utdelt")] == (0, 3)  # item counts are never protected
    assert values[("NAL", "Utdelt")] == (10, 12)
    assert values[(None, "Nalokson: Pårørende")] == (0, "<5")
    person_level = [v for (item, measure), v in values.items() if measure.startswith("Nalokson")]
    assert person_level
    for before, after in person_level:
        assert not (isinstance(after, int) and 0 < after < 5)
        assert not (isinstance(before, int) and 0 < before < 5)


def test_staff_cannot_submit_and_another_municipality_cannot_see_or_reopen(world, client):
    sub = submit(world["api"]).json
    staff = api_client(client, make_user("staff", [world["site"]]))
    assert submit(staff).status_code == 403
    lead = api_client(client, make_user("lead", [world["site"]]))
    assert submit(lead).status_code == 403
    assert lead.get("/submissions").json[0]["id"] == sub["id"]  # leads see why it is locked
    assert lead.post(f"/submissions/{sub['id']}/reopen", json={"reason": "x"}).status_code == 403
    bergen = api_client(client, make_user("coordinator", municipality="4601"))
    assert submit(bergen).status_code in (403, 404)
    assert bergen.get(f"/submissions/{sub['id']}").status_code == 404
    assert bergen.get(f"/submissions/{sub['id']}/workbook.xlsx").status_code == 404
    assert bergen.post(f"/submissions/{sub['id']}/reopen", json={"reason": "x"}).status_code == 404
    assert bergen.get("/submissions").json == []
    admin = api_client(client, make_user("admin"))
    assert admin.get(f"/submissions/{sub['id']}").status_code == 200


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"from": END.isoformat(), "to": START.isoformat()}, 422),
        ({"site": ["NOPE"]}, 404),
        ({"site": [], "municipality": None}, 422),
        ({"municipality": "9999", "site": []}, 404),
        ({"unknown": 1}, 422),
        ({"from": "2026-02-30"}, 422),
        ({"note": "31129956715"}, 422),
    ],
)
def test_bad_input_writes_nothing(world, change, status):
    body = {"site": ["OSL-MO"], "from": START.isoformat(), "to": END.isoformat(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = world["api"].post("/submissions", json=body)
    assert response.status_code == status, response.json
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "submission")
        )
        == 0
    )


def test_a_period_cannot_be_submitted_twice_while_it_stands(world):
    api = world["api"]
    assert submit(api).status_code == 201
    assert submit(api).status_code == 409
    municipality = api.post(
        "/submissions",
        json={"municipality": "0301", "from": DAY.isoformat(), "to": DAY.isoformat()},
    )
    assert municipality.status_code == 409


def test_a_municipality_submission_locks_every_site_of_it(world):
    api = world["api"]
    body = {"municipality": "0301", "from": START.isoformat(), "to": END.isoformat()}
    response = api.post("/submissions", json=body)
    assert response.status_code == 201, response.json
    assert response.json["sites"] == ["OSL-MO", "OSL-SR"]
    assert response.json["municipality"] == "0301"
    assert (
        api.post("/receipts", json=receipt_body(world["other"], {"SPR": 5}, DAY)).status_code == 409
    )
