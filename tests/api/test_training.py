"""Training sessions and certifications through the API: access per role and site, errors."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_site, make_training, make_user
from tests.querycount import count_queries
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, Certification, TrainingSession


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    people = {
        "staff": make_user("staff", [site], email="staff@test.no"),
        "lead": make_user("lead", [site], email="lead@test.no"),
        "coordinator": make_user("coordinator", municipality="0301"),
        "admin": make_user("admin"),
    }
    make_user("staff", [other], email="bgo@test.no")
    return {"site": site, "other": other, **people, "client": client}


def body(site="OSL-MO", **overrides):
    data = {
        "site": site,
        "date": today().isoformat(),
        "type": "cpr",
        "participants": {"pwud": 5, "relative": 1},
        "attendees": [],
        "duration_minutes": 90,
        "trainer": "Sykepleier Kari",
        "note": "Kameratredning med dukker",
    }
    data.update(overrides)
    return data


def rows() -> tuple[int, int, int]:
    """Sessions, certifications and training audit events (tokens leave their own)."""
    return (
        db.session.scalar(select(func.count(TrainingSession.id))),
        db.session.scalar(select(func.count(Certification.id))),
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.entity == "training_session")
        ),
    )


def test_lead_records_a_cpr_session_with_two_staff_attendees(world):
    api = api_client(world["client"], world["lead"])
    response = api.post("/training-sessions", body(attendees=["staff@test.no", "lead@test.no"]))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["participants"] == {"pwud": 5, "relative": 1, "staff": 2, "other": 0}
    assert data["total"] == 8
    assert sorted(a["email"] for a in data["attendees"]) == ["lead@test.no", "staff@test.no"]
    assert (data["type"], data["duration_minutes"], data["site"]) == ("cpr", 90, "OSL-MO")
    certs = api.get("/certifications?site=OSL-MO").get_json()
    assert len(certs) == 1
    (osl,) = certs
    assert osl["counts"] == {"valid": 2, "expiring": 0, "expired": 0, "missing": 0}
    assert osl["compliance"] == 1.0
    until = {s["email"]: s["valid_until"] for s in osl["staff"]}
    assert until["staff@test.no"] == (today().replace(year=today().year + 1)).isoformat()
    got = api.get(f"/training-sessions/{data['id']}")
    assert got.status_code == 200
    assert got.get_json() == data


# role x own/other site -> status of POST /training-sessions
@pytest.mark.parametrize(
    ("role", "site", "status"),
    [
        ("staff", "OSL-MO", 403),
        ("staff", "BGO-MO", 403),
        ("lead", "OSL-MO", 201),
        ("lead", "BGO-MO", 403),
        ("coordinator", "OSL-MO", 201),
        ("coordinator", "BGO-MO", 403),
        ("admin", "OSL-MO", 201),
        ("admin", "BGO-MO", 201),
    ],
)
def test_who_may_record_where(world, role, site, status):
    api = api_client(world["client"], world[role])
    response = api.post("/training-sessions", body(site=site))
    assert response.status_code == status, response.get_json()
    assert rows()[0] == (1 if status == 201 else 0)
    if status == 403:
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [("staff", 200, 403), ("lead", 200, 403), ("coordinator", 200, 403), ("admin", 200, 200)],
)
def test_who_may_read_where(world, role, own, other):
    admin = world["admin"]
    osl = make_training(world["site"], admin)
    bgo = make_training(world["other"], admin)
    api = api_client(world["client"], world[role])
    assert api.get(f"/training-sessions/{osl.id}").status_code == own
    assert api.get(f"/training-sessions/{bgo.id}").status_code == other
    assert api.get("/training-sessions?site=OSL-MO").status_code == own
    assert api.get("/training-sessions?site=BGO-MO").status_code == other
    assert api.get("/certifications?site=OSL-MO").status_code == own
    assert api.get("/certifications?site=BGO-MO").status_code == other
    listed = {s["site"] for s in api.get("/training-sessions").get_json()}
    assert listed == ({"OSL-MO", "BGO-MO"} if other == 200 else {"OSL-MO"})
    sites = {c["site"] for c in api.get("/certifications").get_json()}
    assert sites == ({"OSL-MO", "BGO-MO"} if other == 200 else {"OSL-MO"})


def test_staff_may_not_correct_but_a_lead_may(world):
    session = make_training(world["site"], world["lead"])
    staff = api_client(world["client"], world["staff"])
    assert staff.patch(f"/training-sessions/{session.id}", {"trainer": "X"}).status_code == 403
    lead = api_client(world["client"], world["lead"])
    response = lead.patch(
        f"/training-sessions/{session.id}",
        {"participants": {"pwud": 9}, "attendees": ["staff@test.no"]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["participants"]["pwud"] == 9
    assert db.session.scalars(select(Certification.user_id)).all() == [world["staff"].id]


def test_unknown_session_is_404(world):
    api = api_client(world["client"], world["admin"])
    assert api.get("/training-sessions/999").status_code == 404
    assert api.get(f"/training-sessions/{2**63}").status_code == 404  # no 500 from the driver
    assert api.patch("/training-sessions/999", {"trainer": "X"}).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"participants": {"pwud": -1}}, "participants"),
        ({"participants": {"pwud": 501}}, "participants"),
        ({"participants": {"pwud": 2.5}}, "participants"),
        ({"participants": {"pwud": "3"}}, "participants"),
        ({"participants": {"kids": 3}}, "participants"),
        ({"participants": {"pwud": 0}}, "_schema"),
        ({"date": (today() + timedelta(days=1)).isoformat()}, "date"),
        ({"type": "yoga"}, "type"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"note": "Deltaker 31129956715 kom for sent"}, "note"),
        ({"note": "D-nummer 02013299997"}, "note"),
        ({"attendees": ["bgo@test.no"]}, "attendees"),
        ({"attendees": ["not-an-email"]}, "attendees"),
        ({"participants": {"pwud": 2, "staff": 0}, "attendees": ["staff@test.no"]}, "staff"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(world, overrides, field):
    api = api_client(world["client"], world["lead"])
    response = api.post("/training-sessions", body(**overrides))
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in problem["errors"], problem
    assert "31129956715" not in response.get_data(as_text=True)
    assert rows() == (0, 0, 0)


def test_missing_site_is_404(world):
    api = api_client(world["client"], world["admin"])
    assert api.post("/training-sessions", body(site="NOPE")).status_code == 404
    assert api.get("/certifications?site=NOPE").status_code == 404
    assert rows() == (0, 0, 0)


def test_certifications_by_status_and_day(world):
    make_training(
        world["site"], world["lead"], held_on=date(2025, 12, 1), attendees=[world["staff"]]
    )
    api = api_client(world["client"], world["lead"])
    (osl,) = api.get("/certifications?site=OSL-MO&status=expiring&on=2026-11-01").get_json()
    assert [s["email"] for s in osl["staff"]] == ["staff@test.no"]
    assert osl["counts"] == {"valid": 0, "expiring": 1, "expired": 0, "missing": 1}
    (osl,) = api.get("/certifications?site=OSL-MO&status=expired&on=2026-12-02").get_json()
    assert [s["email"] for s in osl["staff"]] == ["staff@test.no"]
    assert api.get("/certifications?status=nonsense").status_code == 422


def test_idempotent_post_records_once(world):
    api = api_client(world["client"], world["lead"])
    headers = {"Idempotency-Key": "cpr-2026-11"}
    first = api.post("/training-sessions", body(attendees=["staff@test.no"]), headers=headers)
    second = api.post("/training-sessions", body(attendees=["staff@test.no"]), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert rows() == (1, 1, 1)


def test_without_token_is_401(world):
    api = api_client(world["client"], None)
    assert api.get("/training-sessions").status_code == 401
    assert api.post("/training-sessions", body()).status_code == 401
    assert api.get("/certifications").status_code == 401


def test_training_summary_per_site_and_month(world):
    lead = world["lead"]
    make_training(world["site"], lead, "cpr", date(2026, 1, 8), pwud=6, other=1)
    make_training(world["site"], lead, "cpr", date(2026, 1, 20), pwud=2)
    make_training(world["other"], world["admin"], "naloxone", date(2026, 1, 9), pwud=3)
    api = api_client(world["client"], lead)
    response = api.get("/training-summary?from=2026-01-01&to=2026-02-28")
    assert response.status_code == 200, response.get_json()
    (osl,) = response.get_json()  # the lead sees only their own site
    assert osl["site"] == "OSL-MO"
    assert osl["cpr_course_months"] == {"2026-01": True, "2026-02": False}
    assert osl["months_with_cpr_course"] == 1
    cpr = next(t for t in osl["types"] if t["type"] == "cpr")
    assert cpr == {
        "type": "cpr",
        "sessions": 2,
        "minutes": 0,
        "participants": {"pwud": 8, "relative": 0, "staff": 0, "other": 1},
        "total": 9,
    }
    assert api.get("/training-summary?from=2026-01-01&to=2026-02-28&site=BGO-MO").status_code == 403
    assert api.get("/training-summary?from=2026-03-01&to=2026-02-28").status_code == 422
    assert api.get("/training-summary?from=2026-03-01").status_code == 422
    assert api.get("/training-summary?from=0001-01-01&to=2026-01-01").status_code == 422


def _read_queries(client, n: int) -> tuple[int, int, int]:
    """Queries for the session list, the overview and the summary with n sessions and staff."""
    site = make_site(f"Q{n}")
    admin = make_user("admin")
    staff = [make_user("staff", [site]) for _ in range(n)]
    for i in range(n):
        make_training(site, admin, held_on=date(2026, 1, 1) + timedelta(days=i), attendees=staff)
    api = api_client(client, admin)
    counts = []
    for path in (
        f"/training-sessions?site={site.code}",
        f"/certifications?site={site.code}",
        f"/training-summary?site={site.code}&from=2026-01-01&to=2026-12-31",
    ):
        with count_queries() as counter:
            response = api.get(path)
        assert response.status_code == 200
        counts.append(counter.count)
    return tuple(counts)


def test_reads_send_the_same_queries_for_1_and_12_sessions(client):
    assert _read_queries(client, 1) == _read_queries(client, 12)
