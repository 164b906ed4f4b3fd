"""Training sessions and certifications: validity, renewal, deactivation, validation, figures."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import actor, make_site, make_training, make_user
from tracker.dates import today
from tracker.errors import Forbidden, ValidationError
from tracker.extensions import db
from tracker.models import AuditEvent, Certification, TrainingAttendee, TrainingSession
from tracker.services import certifications, training, users
from tracker.services.certifications import add_months, certification_status, status_of


@pytest.fixture
def world(app):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    lead = make_user("lead", [site])
    anne = make_user("staff", [site], email="anne@test.no")
    bjorn = make_user("staff", [site], email="bjorn@test.no")
    return {"site": site, "other": other, "lead": lead, "anne": anne, "bjorn": bjorn}


def rows() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (TrainingSession, TrainingAttendee, Certification, AuditEvent)
    )


def standing(site, user, on, kind="cpr"):
    (entry,) = certification_status([site.id], on, kind)
    return next(s for s in entry.staff if s.user_id == user.id)


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_cpr_certification_expires_the_day_after_twelve_months(world):
    held = date(2025, 11, 3)
    make_training(world["site"], world["lead"], held_on=held, attendees=[world["anne"]])
    cert = db.session.scalars(select(Certification)).one()
    assert (cert.certified_on, cert.valid_until) == (held, date(2026, 11, 3))
    assert standing(world["site"], world["anne"], date(2026, 11, 3)).status == "expiring"
    assert standing(world["site"], world["anne"], date(2026, 11, 4)).status == "expired"
    assert standing(world["site"], world["anne"], date(2026, 9, 3)).status == "valid"
    assert standing(world["site"], world["anne"], date(2026, 9, 4)).status == "expiring"
    assert standing(world["site"], world["bjorn"], date(2026, 9, 4)).status == "missing"


def test_status_boundaries():
    on = date(2026, 6, 1)
    assert status_of(None, on) == "missing"
    assert status_of(on - timedelta(days=1), on) == "expired"
    assert status_of(on, on) == "expiring"
    assert status_of(on + timedelta(days=60), on) == "expiring"
    assert status_of(on + timedelta(days=61), on) == "valid"


def test_months_come_from_config(app, world):
    app.config["CERTIFICATION_MONTHS"] = {"cpr": 6}
    try:
        make_training(
            world["site"], world["lead"], held_on=date(2026, 1, 10), attendees=[world["anne"]]
        )
    finally:
        app.config["CERTIFICATION_MONTHS"] = {}
    assert db.session.scalars(select(Certification.valid_until)).one() == date(2026, 7, 10)


def test_first_aid_and_cpr_are_separate_certifications(world):
    make_training(world["site"], world["lead"], "first_aid", date(2026, 3, 1), [world["anne"]])
    on = date(2026, 4, 1)
    assert standing(world["site"], world["anne"], on, "first_aid").status == "valid"
    assert standing(world["site"], world["anne"], on, "cpr").status == "missing"


def test_renewal_extends_from_the_new_session(world):
    make_training(world["site"], world["lead"], held_on=date(2025, 6, 1), attendees=[world["anne"]])
    make_training(
        world["site"], world["lead"], held_on=date(2026, 5, 20), attendees=[world["anne"]]
    )
    now = standing(world["site"], world["anne"], date(2026, 6, 2))
    assert (now.certified_on, now.valid_until, now.status) == (
        date(2026, 5, 20),
        date(2027, 5, 20),
        "valid",
    )
    # On a day before the renewal the old certification still decides.
    before = standing(world["site"], world["anne"], date(2026, 5, 19))
    assert (before.valid_until, before.status) == (date(2026, 6, 1), "expiring")


def test_an_earlier_session_recorded_late_does_not_shorten_validity(world):
    make_training(
        world["site"], world["lead"], held_on=date(2026, 5, 20), attendees=[world["anne"]]
    )
    make_training(world["site"], world["lead"], held_on=date(2026, 1, 5), attendees=[world["anne"]])
    assert standing(world["site"], world["anne"], date(2026, 6, 1)).valid_until == date(2027, 5, 20)


def test_a_deactivated_user_drops_out_of_compliance(app, world):
    site = world["site"]
    make_training(site, world["lead"], held_on=date(2026, 1, 5), attendees=[world["anne"]])
    on = date(2026, 2, 1)
    (before,) = certification_status([site.id], on)
    assert (before.active_staff, before.certified) == (3, 1)
    assert before.compliance == pytest.approx(1 / 3)
    admin = make_user("admin")
    users.set_active(actor(admin), world["bjorn"].email, False)
    (after,) = certification_status([site.id], on)
    assert (after.active_staff, after.certified, after.count("missing")) == (2, 1, 1)
    assert after.compliance == pytest.approx(0.5)
    assert world["bjorn"].id not in {s.user_id for s in after.staff}


def test_record_session_certifies_attendees_and_audits(world):
    session = make_training(
        world["site"], world["lead"], attendees=[world["anne"], world["bjorn"]], pwud=6
    )
    assert (session.pwud_count, session.staff_count) == (6, 2)  # staff defaults to attendees
    assert rows() == (1, 2, 2, 1)
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.entity, event.action, event.user_id) == (
        "training_session",
        "create",
        world["lead"].id,
    )


def _record(world, **overrides):
    fields = {
        "site_code": world["site"].code,
        "held_on": today(),
        "training_type": "cpr",
        "counts": {"pwud": 3},
        "attendees": [world["anne"].email],
    }
    fields.update(overrides)
    return training.record_session(actor(world["lead"]), **fields)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"counts": {"pwud": -1}}, "pwud"),
        ({"counts": {"relative": 501}}, "relative"),
        ({"counts": {"other": 2.5}}, "other"),
        ({"counts": {"pwud": True}}, "pwud"),
        ({"counts": {"pwud": 0, "staff": 0}, "attendees": []}, "_schema"),
        ({"counts": {"staff": 0}}, "staff"),
        ({"held_on": today() + timedelta(days=1)}, "date"),
        ({"held_on": date(1999, 12, 31)}, "date"),
        ({"training_type": "yoga"}, "type"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"note": "Deltaker 311299 56715 kom for sent"}, "note"),
        ({"trainer": "31129956715"}, "trainer"),
        ({"attendees": ["nobody@test.no"]}, "attendees"),
        ({"attendees": ["anne@test.no", "ANNE@test.no"]}, "attendees"),
    ],
)
def test_bad_sessions_are_refused_without_writing(world, overrides, field):
    with pytest.raises(ValidationError) as caught:
        _record(world, **overrides)
    assert field in caught.value.errors
    assert rows() == (0, 0, 0, 0)


def test_national_id_message_never_echoes_the_number(world):
    with pytest.raises(ValidationError) as caught:
        _record(world, note="fnr 31129956715")
    assert "31129956715" not in caught.value.detail
    assert "31129956715" not in str(caught.value.errors)


def test_staff_of_another_site_cannot_be_attendees(world):
    outsider = make_user("staff", [world["other"]])
    with pytest.raises(ValidationError):
        _record(world, attendees=[outsider.email])
    assert rows() == (0, 0, 0, 0)


def test_deactivated_staff_cannot_be_picked(world):
    world["anne"].active = False
    db.session.commit()
    with pytest.raises(ValidationError):
        _record(world)


def test_staff_may_not_record_and_leads_only_at_their_own_sites(world):
    with pytest.raises(Forbidden):
        training.record_session(
            actor(world["anne"]),
            site_code=world["site"].code,
            held_on=today(),
            training_type="cpr",
            counts={"pwud": 2},
        )
    with pytest.raises(Forbidden):
        _record(world, site_code=world["other"].code, attendees=[])
    assert rows() == (0, 0, 0, 0)


def test_coordinator_records_in_their_municipality_only(world):
    coordinator = make_user("coordinator", municipality="0301")
    session = training.record_session(
        actor(coordinator),
        site_code="OSL-MO",
        held_on=today(),
        training_type="naloxone",
        counts={"relative": 3},
    )
    assert session.relative_count == 3
    with pytest.raises(Forbidden):
        training.record_session(
            actor(coordinator),
            site_code="BGO-MO",
            held_on=today(),
            training_type="naloxone",
            counts={"relative": 3},
        )


def test_correcting_a_session_reissues_certifications(world):
    session = _record(world, held_on=date(2026, 1, 10))
    training.correct_session(
        actor(world["lead"]),
        session.id,
        {"held_on": date(2026, 1, 12), "attendees": [world["bjorn"].email], "counts": {"pwud": 5}},
    )
    certs = db.session.execute(select(Certification.user_id, Certification.valid_until)).all()
    assert certs == [(world["bjorn"].id, date(2027, 1, 12))]
    assert (session.pwud_count, session.staff_count) == (5, 1)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before["attendees"] == [world["anne"].id]


def test_a_bad_correction_changes_nothing(world):
    session = _record(world, held_on=date(2026, 1, 10))
    with pytest.raises(ValidationError):
        training.correct_session(
            actor(world["lead"]),
            session.id,
            {"attendees": [world["bjorn"].email], "note": "31129956715"},
        )
    db.session.expire_all()
    again = db.session.get(TrainingSession, session.id)
    assert [a.user_id for a in again.attendees] == [world["anne"].id]
    assert db.session.scalars(select(Certification.user_id)).all() == [world["anne"].id]
    assert rows()[3] == 1


def test_training_summary_known_answer(world):
    site, other, lead = world["site"], world["other"], world["lead"]
    admin = make_user("admin")
    anne, bjorn = world["anne"], world["bjorn"]
    make_training(site, lead, "cpr", date(2026, 1, 8), [anne, bjorn], pwud=6, other=1)
    make_training(site, lead, "cpr", date(2026, 3, 12), [], pwud=4, relative=2)
    make_training(site, lead, "naloxone", date(2026, 2, 2), [anne], pwud=3, relative=5, staff=2)
    make_training(site, lead, "cpr", date(2026, 2, 20), [bjorn], staff=1)  # staff only
    make_training(site, lead, "cpr", date(2025, 12, 31), [], pwud=9)  # outside the period
    make_training(other, admin, "smoking_technique", date(2026, 1, 15), [], pwud=7)
    result = training.training_summary([site.id, other.id], date(2026, 1, 1), date(2026, 3, 31))
    assert [s.site_code for s in result] == ["BGO-MO", "OSL-MO"]
    bgo, osl = result
    cpr = osl.by_type["cpr"]
    assert (cpr.sessions, cpr.counts, cpr.participants) == (
        3,
        {"pwud": 10, "relative": 2, "staff": 3, "other": 1},
        16,
    )
    nal = osl.by_type["naloxone"]
    assert (nal.sessions, nal.counts) == (1, {"pwud": 3, "relative": 5, "staff": 2, "other": 0})
    assert osl.by_type["first_aid"].sessions == 0
    assert osl.cpr_course_months == {"2026-01": True, "2026-02": False, "2026-03": True}
    assert osl.months_with_cpr_course == 2
    assert bgo.by_type["smoking_technique"].counts["pwud"] == 7
    assert bgo.cpr_course_months == {"2026-01": False, "2026-02": False, "2026-03": False}

    status = {s.site_code: s for s in certification_status([site.id, other.id], date(2026, 4, 1))}
    osl_status = status["OSL-MO"]
    # lead (never trained), anne (Jan), bjorn (renewed Feb)
    assert (osl_status.active_staff, osl_status.certified, osl_status.count("missing")) == (3, 2, 1)
    assert osl_status.compliance == pytest.approx(2 / 3)
    assert {s.email: s.valid_until for s in osl_status.staff if s.valid_until} == {
        "anne@test.no": date(2027, 1, 8),
        "bjorn@test.no": date(2027, 2, 20),
    }
    assert (status["BGO-MO"].active_staff, status["BGO-MO"].compliance) == (0, None)


def test_overview_filters_by_status_but_keeps_the_counts(world):
    make_training(world["site"], world["lead"], held_on=date(2026, 1, 8), attendees=[world["anne"]])
    (entry,) = certifications.overview(
        actor(world["lead"]), on=date(2026, 2, 1), site="OSL-MO", status="missing"
    )
    assert {s.email for s in entry.shown} == {world["lead"].email, "bjorn@test.no"}
    assert (entry.count("valid"), entry.count("missing")) == (1, 2)
