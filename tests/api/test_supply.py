"""Issue 24, supply: unmet demand, drug alerts, delivery days and who handed naloxone out,
through the API, with their effect on days left and the reorder suggestion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import receive, stock_world
from tests.factories import api_client, make_lot, make_training, make_user, tally_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Discrepancy,
    DrugAlert,
    NaloxoneHandout,
    UnmetDemand,
    User,
)
from tracker.services import deliveries, reorder
from tracker.services.access import Actor


@pytest.fixture
def world(client):
    """OSL-MO: 1000 syringes 40 days ago, 168 handed out in the last 28 days (6 a day)."""
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 1000}, today() - timedelta(days=40))
    for days_ago, quantity in [(27, 84), (10, 56), (1, 28)]:
        body = tally_body(world["a"], {"SPR-2": quantity}, day=today() - timedelta(days=days_ago))
        assert world["lead_a"].post("/tallies", body).status_code == 201  # past staff's window
    return world  # on hand 1000 - 168 = 832


def count(model, *where) -> int:
    db.session.expire_all()
    n = db.session.scalar(select(func.count()).select_from(model).where(*where))
    db.session.commit()
    return int(n or 0)


def line_for(lines, site="OSL-MO", item="SPR-2"):
    return next(line for line in lines if line["site"] == site and line["item"] == item)


def level(site="OSL-MO", item="SPR-2"):
    """The stock-level line (on the reorder list or not), as GET /reorder would show it."""
    from tracker.schemas.reorder import ReorderLineOut

    db.session.expire_all()
    lines = ReorderLineOut(many=True).dump(reorder.stock_levels(None, site))
    db.session.commit()
    return line_for(lines, site, item)


def unmet(day_offset: int = 3, quantity: int = 56, site: str = "OSL-MO", item: str = "SPR-2"):
    return {
        "site": site,
        "date": (today() - timedelta(days=day_offset)).isoformat(),
        "item": item,
        "quantity": quantity,
    }


# --- Unmet demand ---------------------------------------------------------------------------


def test_unmet_demand_is_recorded_listed_and_audited(world):
    response = world["staff_a"].post("/unmet-demand", unmet())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["site"], body["item"], body["quantity"]) == ("OSL-MO", "SPR-2", 56)
    listed = world["staff_a"].get("/unmet-demand?site=OSL-MO").get_json()
    assert [r["id"] for r in listed] == [body["id"]]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "unmet_demand")
    ).all()
    assert actions == ["create"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"quantity": 0}, 422),
        ({"quantity": -3}, 422),
        ({"quantity": 2.5}, 422),
        ({"quantity": 10_001}, 422),
        ({"item": "NOPE"}, 404),
        ({"site": "NOPE"}, 404),
        ({"date": "2026-13-01"}, 422),
        ({"date": (today() + timedelta(days=5)).isoformat()}, 422),
        ({"extra": 1}, 422),
    ],
)
def test_bad_unmet_demand_is_refused_and_nothing_written(world, change, status):
    response = world["staff_a"].post("/unmet-demand", {**unmet(), **change})
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert count(UnmetDemand) == 0


def test_staff_cannot_record_unmet_demand_at_another_site(world):
    assert world["staff_b"].post("/unmet-demand", unmet()).status_code == 403
    assert world["staff_b"].get("/unmet-demand?site=OSL-MO").status_code == 403
    assert count(UnmetDemand) == 0


def test_a_retried_unmet_demand_post_is_saved_once(world):
    headers = {"Idempotency-Key": "tomt-1"}
    first = world["staff_a"].post("/unmet-demand", unmet(), headers=headers)
    again = world["staff_a"].post("/unmet-demand", unmet(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(UnmetDemand) == 1
    other = world["staff_a"].post("/unmet-demand", unmet(quantity=2), headers=headers)
    assert other.status_code == 422


def test_unmet_demand_adds_to_usage_in_days_left_and_the_stock_page(world):
    before = level()
    assert before["daily_usage"] == 6.0
    assert world["staff_a"].post("/unmet-demand", unmet(quantity=56)).status_code == 201
    # 56 in four weeks is 2 a day more: 8 a day; 832 / 8 = 104 days
    after = level()
    assert after["daily_usage"] == 8.0
    assert after["days_left"] == 104.0
    assert after["unmet_recent"] == 56
    stock = world["staff_a"].get("/stock?site=OSL-MO").get_json()
    line = next(s for s in stock if s["item"] == "SPR-2")
    assert line["days_left"] == 104.0
    assert line["unmet_recent"] == 56


def test_unmet_demand_older_than_four_weeks_or_today_does_not_count(world):
    assert world["lead_a"].post("/unmet-demand", unmet(day_offset=29)).status_code == 201
    assert world["staff_a"].post("/unmet-demand", unmet(day_offset=0)).status_code == 201
    line = level()
    assert line["daily_usage"] == 6.0
    assert line["unmet_recent"] == 0


def test_the_unmet_demand_summary_is_per_site_and_item(world):
    assert world["staff_a"].post("/unmet-demand", unmet(quantity=30)).status_code == 201
    assert world["staff_a"].post("/unmet-demand", unmet(quantity=8)).status_code == 201
    start, end = (today() - timedelta(days=10)).isoformat(), today().isoformat()
    report = world["coord_oslo"].get(f"/unmet-demand/summary?from={start}&to={end}").get_json()
    by_site = {s["site"]: s for s in report["sites"]}
    assert by_site["OSL-MO"]["items"] == {"SPR-2": 38}
    assert by_site["OSL-SR"]["total"] == 0
    assert report["total"] == 38
    staff = world["staff_a"].get(f"/unmet-demand/summary?from={start}&to={end}")
    assert staff.status_code == 403


# --- Delivery days and the reorder formula -----------------------------------------------------


def test_delivery_days_are_read_and_replaced_by_the_lead(world):
    empty = world["staff_a"].get("/sites/OSL-MO/deliveries").get_json()
    assert (empty["weekdays"], empty["dates"], empty["next_delivery"]) == ([], [], None)
    extra = (today() + timedelta(days=3)).isoformat()
    body = {"weekdays": [5, 2], "dates": [extra], "lead_time_days": 1}
    response = world["lead_a"].put("/sites/OSL-MO/deliveries", body)
    assert response.status_code == 200, response.get_json()
    got = world["staff_a"].get("/sites/OSL-MO/deliveries").get_json()
    assert (got["weekdays"], got["dates"], got["lead_time_days"]) == ([2, 5], [extra], 1)
    assert got["next_delivery"] is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "deliveries")).all()
    assert [e.action for e in events] == ["update"]


@pytest.mark.parametrize(
    "body",
    [
        {"weekdays": [0], "lead_time_days": 1},
        {"weekdays": [8]},
        {"weekdays": [2, 2]},
        {"weekdays": [2], "lead_time_days": -1},
        {"weekdays": [2], "lead_time_days": 61},
        {"weekdays": [2], "dates": ["2020-01-01"]},
        {"weekdays": [2], "dates": ["tuesday"]},
        {"weekdays": "2"},
        {"lead_time_days": 1},
    ],
)
def test_bad_delivery_days_are_refused_and_nothing_changes(world, body):
    response = world["lead_a"].put("/sites/OSL-MO/deliveries", body)
    assert response.status_code == 422, response.get_json()
    assert world["staff_a"].get("/sites/OSL-MO/deliveries").get_json()["weekdays"] == []


def test_staff_and_other_sites_leads_cannot_change_delivery_days(world):
    body = {"weekdays": [2]}
    assert world["staff_a"].put("/sites/OSL-MO/deliveries", body).status_code == 403
    assert world["lead_b"].put("/sites/OSL-MO/deliveries", body).status_code == 403
    assert world["lead_b"].get("/sites/OSL-MO/deliveries").status_code == 403
    assert world["coord_oslo"].put("/sites/OSL-MO/deliveries", body).status_code == 200


def test_order_window_worked_example():
    """Monday order, deliveries Tuesday and Friday, lead time 1: Tuesday, lasting to Friday."""
    monday = date(2026, 12, 7)
    plan = deliveries.Deliveries(site=None, weekdays=[2, 5], lead_time_days=1)  # type: ignore[arg-type]
    assert plan.order_window(monday) == (date(2026, 12, 8), date(2026, 12, 11))
    plan.lead_time_days = 2  # too late for Tuesday: Friday, then next Tuesday
    assert plan.order_window(monday) == (date(2026, 12, 11), date(2026, 12, 15))
    plan.weekdays, plan.dates = [], [date(2026, 12, 9)]  # one date only: no delivery after it
    assert plan.order_window(monday) is None
    assert deliveries.Deliveries(site=None).order_window(monday) is None  # type: ignore[arg-type]


def _set_levels(world, reorder_level, target, item="SPR-2"):
    response = world["lead_a"].put(
        f"/sites/OSL-MO/items/{item}/levels",
        {"reorder_level": reorder_level, "target_level": target},
    )
    assert response.status_code == 200, response.get_json()


def test_reorder_with_delivery_days_covers_usage_until_the_delivery_after_next(world, app):
    """Usage 6 + unmet 2 = 8 a day; with deliveries every day and no lead time an order
    today arrives tomorrow and must last until the day after: 2 days. 8 x 2 = 16, plus the
    reorder level 900 as safety stock, minus 832 on hand: 84."""
    _set_levels(world, 900, 2000)
    assert world["staff_a"].post("/unmet-demand", unmet(quantity=56)).status_code == 201
    body = {"weekdays": [1, 2, 3, 4, 5, 6, 7], "lead_time_days": 0}
    assert world["lead_a"].put("/sites/OSL-MO/deliveries", body).status_code == 200
    line = level()
    assert line["next_delivery"] == (today() + timedelta(days=1)).isoformat()
    assert line["cover_until"] == (today() + timedelta(days=2)).isoformat()
    assert line["suggested"] == 8 * 2 + 900 - 832
    assert line["below_reorder"] is True
    # With more on its way the suggestion shrinks, and nothing is suggested below zero.
    _set_levels(world, 100, 2000)
    line = level()
    assert line["suggested"] == 0
    assert line["below_reorder"] is False
    assert "SPR-2" not in [
        r["item"]
        for r in world["lead_a"].get("/reorder?site=OSL-MO").get_json()
        if r["site"] == "OSL-MO" and r["below_reorder"]
    ]


def test_without_delivery_days_the_suggestion_fills_to_the_target_as_before(world):
    _set_levels(world, 900, 2000)
    assert world["staff_a"].post("/unmet-demand", unmet(quantity=56)).status_code == 201
    line = level()
    assert (line["next_delivery"], line["cover_until"]) == (None, None)
    assert line["suggested"] == 2000 - 832


def test_the_stock_page_data_marks_items_that_run_out_before_the_next_delivery(world):
    # 832 on hand at 6 a day lasts 138 days; a delivery only in 200 days is too late.
    later = (today() + timedelta(days=200)).isoformat()
    assert (
        world["lead_a"]
        .put("/sites/OSL-MO/deliveries", {"weekdays": [], "dates": [later]})
        .status_code
        == 200
    )
    line = next(
        s for s in world["staff_a"].get("/stock?site=OSL-MO").get_json() if s["item"] == "SPR-2"
    )
    assert line["runs_out_before_delivery"] is True
    soon = (today() + timedelta(days=7)).isoformat()
    assert (
        world["lead_a"]
        .put("/sites/OSL-MO/deliveries", {"weekdays": [], "dates": [soon]})
        .status_code
        == 200
    )
    line = next(
        s for s in world["staff_a"].get("/stock?site=OSL-MO").get_json() if s["item"] == "SPR-2"
    )
    assert line["runs_out_before_delivery"] is False


# --- Drug alerts ----------------------------------------------------------------------------


def alert(municipality: str | None = "0301", **extra):
    return {
        "title": "Nitazener i omløp",
        "text": "Sterke opioider solgt som heroin. Del ut ekstra nalokson.",
        "severity": "critical",
        "municipality": municipality,
        **extra,
    }


def test_a_coordinator_posts_for_their_municipality_and_staff_see_it(world):
    response = world["coord_oslo"].post("/alerts", alert())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["municipality"] == "0301"
    seen = world["staff_a"].get("/alerts?active=true").get_json()
    assert [a["title"] for a in seen] == ["Nitazener i omløp"]
    bergen = api_client(world["staff_a"].client, make_user("staff", [world["c"]]))
    assert bergen.get("/alerts?active=true").get_json() == []


def test_alert_access_staff_no_other_municipality_national_only_admin(world):
    assert world["staff_a"].post("/alerts", alert()).status_code == 403
    assert world["lead_a"].post("/alerts", alert()).status_code == 403
    assert world["coord_oslo"].post("/alerts", alert("4601")).status_code == 403
    assert world["coord_oslo"].post("/alerts", alert(None)).status_code == 403
    assert count(DrugAlert) == 0
    assert world["admin"].post("/alerts", alert(None)).status_code == 201
    assert world["admin"].post("/alerts", alert("4601")).status_code == 201


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"title": ""}, 422),
        ({"text": ""}, 422),
        ({"severity": "panic"}, 422),
        ({"municipality": "9999"}, 404),
        ({"municipality": "oslo"}, 422),
        ({"valid_from": "2026-12-10", "valid_to": "2026-12-01"}, 422),
        ({"text": "Gjelder 31129956715"}, 422),
        ({"title": "x" * 201}, 422),
    ],
)
def test_bad_alerts_are_refused_and_nothing_written(world, change, status):
    response = world["admin"].post("/alerts", {**alert(), **change})
    assert response.status_code == status, response.get_json()
    assert "31129956715" not in response.get_data(as_text=True)
    assert count(DrugAlert) == 0


def test_ending_an_alert_is_audited_once_and_others_cannot(world):
    alert_id = world["coord_oslo"].post("/alerts", alert()).get_json()["id"]
    assert world["staff_a"].post(f"/alerts/{alert_id}/end").status_code == 403
    national = world["admin"].post("/alerts", alert(None)).get_json()["id"]
    assert world["coord_oslo"].post(f"/alerts/{national}/end").status_code == 403
    assert world["coord_oslo"].post(f"/alerts/{alert_id}/end").status_code == 200
    assert world["coord_oslo"].post(f"/alerts/{alert_id}/end").status_code == 409
    assert world["coord_oslo"].post("/alerts/999999/end").status_code == 404
    assert [a["id"] for a in world["staff_a"].get("/alerts?active=true").get_json()] == [national]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "drug_alert").order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "create", "end"]


def test_an_alert_multiplies_naloxone_usage_in_the_reorder_suggestion(naloxone_world, app):
    """28 kits asked for in 4 weeks is 1 a day; daily deliveries: an order lasts 2 days.
    Without an alert 1 x 2 + reorder level 5 = 7; with one 1.5 x 2 + 5 = 8; at 2.0, 9."""
    world = naloxone_world
    body = {
        "site": "OSL-MO",
        "date": (today() - timedelta(days=2)).isoformat(),
        "item": "NALOKSON",
        "quantity": 28,
    }
    assert world["staff_a"].post("/unmet-demand", body).status_code == 201  # 1 a day
    _set_levels(world, 5, 20, item="NALOKSON")
    everyday = {"weekdays": [1, 2, 3, 4, 5, 6, 7], "lead_time_days": 0}
    assert world["lead_a"].put("/sites/OSL-MO/deliveries", everyday).status_code == 200
    before = level(item="NALOKSON")
    assert (before["alert_factor"], before["suggested"]) == (1.0, 1 * 2 + 5)
    assert world["coord_oslo"].post("/alerts", alert()).status_code == 201
    during = level(item="NALOKSON")
    assert (during["alert_factor"], during["suggested"]) == (1.5, 3 + 5)  # 1.5 x 2 days
    syringes = level()
    assert syringes["alert_factor"] == 1.0
    app.config["ALERT_NALOXONE_FACTOR"] = 2.0
    doubled = level(item="NALOKSON")
    assert doubled["suggested"] == 4 + 5
    # Bergen is not covered by Oslo's alert.
    factors = reorder.alerts.naloxone_factors([world["a"], world["c"]], today())
    assert factors == {world["a"].id: 2.0, world["c"].id: 1.0}
    app.config["ALERT_NALOXONE_FACTOR"] = 1.5


def test_without_delivery_days_an_alert_raises_the_naloxone_levels(world):
    _set_levels(world, 10, 20, item="NALOKSON")
    before = level(item="NALOKSON")
    assert before["suggested"] == 20
    assert world["coord_oslo"].post("/alerts", alert()).status_code == 201
    during = level(item="NALOKSON")
    assert during["suggested"] == 30  # target 20 x 1.5


def test_a_future_or_ended_alert_has_no_effect(world):
    later = (today() + timedelta(days=3)).isoformat()
    assert world["coord_oslo"].post("/alerts", alert(valid_from=later)).status_code == 201
    assert reorder.alerts.naloxone_factors([world["a"]], today()) == {world["a"].id: 1.0}
    assert world["staff_a"].get("/alerts?active=true").get_json() == []


# --- Who handed naloxone out ----------------------------------------------------------------


def handout(**extra):
    return {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "quantity": 1,
        "lot": "NL1",
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
        **extra,
    }


@pytest.fixture
def naloxone_world(world):
    from tracker.models import Item

    item = db.session.scalar(select(Item).where(Item.code == "NALOKSON"))
    make_lot(item, "NL1")
    return world


def test_a_handout_by_someone_without_the_course_is_kept_and_flagged(naloxone_world):
    world = naloxone_world
    response = world["staff_a"].post("/naloxone-handouts", handout())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["handed_out_by"] is not None
    (flag,) = db.session.scalars(
        select(Discrepancy).where(Discrepancy.kind == "uncertified_handout")
    ).all()
    assert (flag.kind, flag.naloxone_handout_id, flag.quantity) == (
        "uncertified_handout",
        body["id"],
        1,
    )
    listed = world["lead_a"].get("/discrepancies?site=OSL-MO").get_json()
    assert "uncertified_handout" in [d["kind"] for d in listed]


def test_a_handout_by_a_certified_colleague_is_not_flagged(naloxone_world, app):
    from tracker.models import Site

    site = db.session.scalar(select(Site).where(Site.code == "OSL-MO"))
    colleague, enterer = make_user("staff", [site]), make_user("staff", [site])
    api = api_client(naloxone_world["staff_a"].client, enterer)
    make_training(site, make_user("admin"), "naloxone_course", attendees=[colleague])
    response = api.post("/naloxone-handouts", handout(handed_out_by=colleague.id))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["handed_out_by"] == colleague.id
    assert count(Discrepancy, Discrepancy.kind == "uncertified_handout") == 0
    # The older `naloxone` type (training for users and relatives) does not certify staff.
    make_training(site, make_user("admin"), "naloxone", attendees=[enterer])
    assert api.post("/naloxone-handouts", handout()).status_code == 201
    assert count(Discrepancy, Discrepancy.kind == "uncertified_handout") == 1


def test_the_hander_must_be_staff_at_the_site(naloxone_world):
    world = naloxone_world
    from tracker.models import Site

    bergen = db.session.scalar(select(Site).where(Site.code == "BGO-MO"))
    stranger = make_user("staff", [bergen])
    response = world["staff_a"].post("/naloxone-handouts", handout(handed_out_by=stranger.id))
    assert response.status_code == 422
    assert world["staff_a"].post("/naloxone-handouts", handout(handed_out_by=0)).status_code == 422
    assert count(NaloxoneHandout) == 0
    assert count(Discrepancy, Discrepancy.kind == "uncertified_handout") == 0


def test_certified_distributors_per_site(naloxone_world):
    from tracker.models import Site
    from tracker.services import certifications

    site = db.session.scalar(select(Site).where(Site.code == "OSL-MO"))
    admin = make_user("admin")
    trained = make_user("staff", [site])
    make_training(site, admin, "naloxone_course", attendees=[trained])
    standing = certifications.certified_distributors(Actor(admin), "OSL-MO", today())
    certified = {s.user_id for s in standing.staff if s.status in ("valid", "expiring")}
    assert certified == {trained.id}
    until = next(s.valid_until for s in standing.staff if s.user_id == trained.id)
    assert until == certifications.add_months(today(), 24)


def test_staff_record_unmet_demand_only_within_the_backdating_window(world):
    old = unmet(day_offset=20)
    refused = world["staff_a"].post("/unmet-demand", old)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "backdate-needs-lead"
    assert count(UnmetDemand) == 0
    assert world["lead_a"].post("/unmet-demand", old).status_code == 201


def test_unmet_demand_in_a_submitted_period_is_refused(world):
    from tracker.services import submissions
    from tracker.services.access import Actor as Who

    end = today().replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    admin = db.session.scalar(select(User).where(User.global_role == "admin"))
    submissions.submit(Who(admin), date_from=start, date_to=end, sites=["OSL-MO"])
    body = {**unmet(), "date": end.isoformat()}
    refused = world["lead_a"].post("/unmet-demand", body)
    assert refused.status_code == 409, refused.get_json()
    assert count(UnmetDemand) == 0
