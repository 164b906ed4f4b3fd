"""Blank is not zero (issue 20): not reported is null, an entry reports 0 for the site's list;
completeness out of opening weekdays; the SWITCH ratio; the naloxone report; training filters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests import reports_data
from tests.attacker import assert_protected
from tests.factories import api_client, make_item, make_site, make_user
from tracker.exports.person_tables import NALOXONE_KEYS, TOTAL, naloxone_identities
from tracker.extensions import db
from tracker.models import AuditEvent, SiteItem
from tracker.services.completeness import completeness, opening_days, percent

MARCH = {"from": "2025-03-01", "to": "2025-04-30"}


@pytest.fixture
def shop(client):
    site = make_site("OSL-MO")
    quiet = make_site("OSL-STILLE")
    other = make_site("BGO-MO", municipality="4601")
    for code, category in (("SPR", "syringe"), ("KAN", "needle"), ("FOLIE", "foil")):
        make_item(code, category)
    foil = db.session.scalar(select(SiteItem.item_id).limit(1))  # none yet: every item is on
    assert foil is None
    lead = make_user("lead", [site])
    return {
        "site": site,
        "quiet": quiet,
        "other": other,
        "lead": lead,
        "staff": make_user("staff", [site]),
        "api": api_client(client, lead),
        "coordinator": api_client(client, make_user("coordinator", municipality="0301")),
    }


def turn_off(site, code: str) -> None:
    from tracker.models import Item

    item = db.session.scalar(select(Item).where(Item.code == code))
    db.session.add(SiteItem(site_id=site.id, item_id=item.id, active=False))
    db.session.commit()


def post_tally(api, site, day: str, contacts: int = 0, **lines: int):
    body = {
        "site": site.code,
        "date": day,
        "contacts": contacts,
        "lines": [{"item": code, "quantity": q} for code, q in lines.items()],
    }
    response = api.post("/tallies", body)
    assert response.status_code == 201, response.get_json()
    return response


def cells(body, site: str) -> dict:
    return {(r["category"], r["bucket"]): r["quantity"] for r in body["rows"] if r["site"] == site}


def test_no_entry_is_null_an_item_left_blank_is_0_and_an_item_off_the_list_is_null(shop):
    turn_off(shop["site"], "FOLIE")
    post_tally(shop["api"], shop["site"], "2025-03-04", contacts=2, SPR=35)
    body = shop["coordinator"].get("/reports/distribution", query_string=MARCH).get_json()
    mo = cells(body, "OSL-MO")
    assert mo[("syringe", "2025-03")] == 35
    assert mo[("needle", "2025-03")] == 0  # on the list, left blank: a reported 0
    assert mo[("foil", "2025-03")] is None  # off the site's list: never reported
    assert mo[("other", "2025-03")] is None  # no item of the category at all
    assert all(mo[(c, "2025-04")] is None for c in body["categories"])  # no entry in April
    assert set(cells(body, "OSL-STILLE").values()) == {None}  # a site without entries
    site = next(s for s in body["sites"] if s["site"] == "OSL-MO")
    assert site["totals"]["needle"] == 0
    assert site["totals"]["foil"] is None
    assert site["contacts"] == 2
    quiet = next(s for s in body["sites"] if s["site"] == "OSL-STILLE")
    assert quiet["contacts"] is None
    assert quiet["totals"]["syringe"] is None
    assert body["totals"]["syringe"] == 35
    assert body["totals"]["foil"] is None


def test_a_deleted_entry_no_longer_reports_its_day(shop):
    response = post_tally(shop["api"], shop["site"], "2025-03-04", SPR=5)
    assert shop["api"].delete(f"/tallies/{response.get_json()['id']}").status_code in (200, 204)
    body = shop["coordinator"].get("/reports/distribution", query_string=MARCH).get_json()
    assert cells(body, "OSL-MO")[("syringe", "2025-03")] is None


def test_an_all_zero_tally_is_stored_by_the_api_and_reports_zeros(shop):
    # March 2025 is past the staff backdating window: the lead enters it.
    writer = shop["api"]
    response = post_tally(writer, shop["site"], "2025-03-05", SPR=0, KAN=0)
    assert response.get_json()["lines"] == []  # zeros need no lines: the entry itself counts
    body = shop["coordinator"].get("/reports/distribution", query_string=MARCH).get_json()
    mo = cells(body, "OSL-MO")
    assert (mo[("syringe", "2025-03")], mo[("foil", "2025-03")]) == (0, 0)
    site = next(s for s in body["sites"] if s["site"] == "OSL-MO")
    assert site["contacts"] == 0
    assert site["completeness"]["days_reported"] == 1
    # An entry must still name at least one line.
    refused = writer.post(
        "/tallies", {"site": "OSL-MO", "date": "2025-03-06", "contacts": 0, "lines": []}
    )
    assert refused.status_code == 422


def test_completeness_counts_entries_on_the_sites_opening_weekdays(shop):
    api = shop["api"]
    assert api.patch("/sites/OSL-MO", {"opening_weekdays": [3, 1]}).get_json()[
        "opening_weekdays"
    ] == [1, 3]
    post_tally(api, shop["site"], "2025-03-04", SPR=1)  # a Tuesday: closed, still an entry
    post_tally(api, shop["site"], "2025-03-05", SPR=1)  # a Wednesday
    post_tally(api, shop["site"], "2025-03-05", KAN=1)  # the same day again
    body = (
        shop["coordinator"]
        .get("/reports/distribution", query_string={"from": "2025-03-01", "to": "2025-03-31"})
        .get_json()
    )
    site = next(s for s in body["sites"] if s["site"] == "OSL-MO")
    # March 2025: Mondays 3, 10, 17, 24, 31 and Wednesdays 5, 12, 19, 26.
    assert site["completeness"] == {
        "days_reported": 1,
        "opening_days": 9,
        "days_with_entry": 2,
        "months_reported": 1,
        "months": 1,
        "percent": 11.1,
    }
    quiet = next(s for s in body["sites"] if s["site"] == "OSL-STILLE")
    assert quiet["opening_weekdays"] == [1, 2, 3, 4, 5]
    assert quiet["completeness"]["opening_days"] == 21
    assert quiet["completeness"]["days_reported"] == 0


def test_opening_days_arithmetic():
    weekdays = [1, 2, 3, 4, 5]
    assert opening_days(date(2025, 3, 1), date(2025, 3, 31), weekdays) == 21
    assert opening_days(date(2025, 1, 1), date(2025, 12, 31), weekdays) == 261
    assert opening_days(date(2025, 3, 1), date(2025, 3, 2), weekdays) == 0  # a weekend
    assert opening_days(date(2025, 3, 1), date(2025, 3, 31), range(1, 8)) == 31
    assert opening_days(date(2025, 3, 2), date(2025, 3, 1), weekdays) == 0
    for start in range(1, 15):
        for length in range(0, 30):
            first = date(2025, 3, start)
            last = date.fromordinal(first.toordinal() + length)
            slow = sum(
                1
                for n in range(first.toordinal(), last.toordinal() + 1)
                if date.fromordinal(n).isoweekday() in (2, 6)
            )
            assert opening_days(first, last, [2, 6]) == slow


def test_completeness_counts_months_for_month_figures_and_stops_at_today():
    days = {(date(2024, 1, 1), "month"), (date(2024, 2, 1), "month")}
    done = completeness(
        days, [1, 2, 3, 4, 5], date(2024, 1, 1), date(2024, 12, 31), date(2030, 1, 1)
    )
    assert (done.months_reported, done.months, done.days_with_entry) == (2, 12, 0)
    # A period running into the future counts opening days up to today only.
    done = completeness(
        set(), [1, 2, 3, 4, 5], date(2025, 3, 1), date(2025, 3, 31), date(2025, 3, 7)
    )
    assert (done.opening_days, done.months) == (5, 1)


def test_switch_percent_keeps_one_decimal_rounded_half_up():
    assert percent(35, 10_000) == 0.4  # 0.35 %: the float 0.35 would round to 0.3
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(0, 5) == 0.0
    assert percent(5, 0) is None


def test_switch_ratio_per_site_and_month_in_the_distribution_report(shop):
    api = shop["api"]
    post_tally(api, shop["site"], "2025-03-04", SPR=6000, KAN=4000, FOLIE=35)
    post_tally(api, shop["site"], "2025-04-01", SPR=0, KAN=0)  # open, nothing handed out
    body = (
        shop["coordinator"]
        .get("/reports/distribution", query_string={**MARCH, "by": "week"})
        .get_json()
    )
    site = next(s for s in body["sites"] if s["site"] == "OSL-MO")
    assert site["switch"]["percent"] == 0.4
    assert site["switch"]["months"] == [
        {"month": "2025-03", "percent": 0.4},
        {"month": "2025-04", "percent": None},  # nothing injecting handed out: no ratio
    ]
    quiet = next(s for s in body["sites"] if s["site"] == "OSL-STILLE")
    assert quiet["switch"]["percent"] is None
    assert body["switch_percent"] == 0.4


def test_a_lead_sets_opening_weekdays_staff_and_other_sites_cannot(shop, client):
    api = shop["api"]
    response = api.patch("/sites/OSL-MO", {"opening_weekdays": [1, 2, 3, 4, 5, 6]})
    assert response.status_code == 200
    assert api.get("/sites/OSL-MO").get_json()["opening_weekdays"] == [1, 2, 3, 4, 5, 6]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.after["opening_weekdays"] == [1, 2, 3, 4, 5, 6]
    # The lead may not rename the site, nor set another site's days.
    assert api.patch("/sites/OSL-MO", {"name": "Nytt"}).status_code == 403
    assert api.patch("/sites/BGO-MO", {"opening_weekdays": [1]}).status_code == 403
    staff = api_client(client, shop["staff"])
    assert staff.patch("/sites/OSL-MO", {"opening_weekdays": [1]}).status_code == 403
    assert shop["coordinator"].patch("/sites/OSL-MO", {"opening_weekdays": [7]}).status_code == 200
    for bad in ([], [0], [8], [1, 1], ["mandag"], "12345"):
        response = api.patch("/sites/OSL-MO", {"opening_weekdays": bad})
        assert response.status_code == 422, bad
        assert "opening_weekdays" in str(response.get_json())
    db.session.expire_all()
    assert shop["site"].opening_weekdays == "7"


@pytest.fixture
def data(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    return reports_data.build()


T2 = {"from": "2025-05-01", "to": "2025-08-31"}


def naloxone_cells(body) -> dict:
    shown = {(s["site"], k): s["figures"][k] for s in body["sites"] for k in NALOXONE_KEYS}
    shown.update({(TOTAL, k): body["totals"][k] for k in NALOXONE_KEYS})
    return shown


def test_naloxone_report_by_group_first_refill_reason_and_training(client, data):
    api = api_client(client, data.coordinator)
    body = api.get("/reports/naloxone", query_string=T2).get_json()
    assert set(body["totals"]) == set(NALOXONE_KEYS)
    assert [s["site"] for s in body["sites"]] == ["OSL-A", "OSL-B", "OSL-C"]
    a = body["sites"][0]["figures"]
    assert (a["kits"], a["group.pwud"], a["group.relative"], a["first"], a["refill"]) == (
        10,
        9,
        1,
        8,
        2,
    )
    assert a["reason.used_on_overdose"] == 2
    assert a["training_given"] == 0
    assert body["totals"]["kits"] == 13
    assert body["external"] is False
    assert body["threshold"] is None


def test_naloxone_report_for_external_use_pins_no_small_figure(client, data):
    api = api_client(client, data.coordinator)
    true = naloxone_cells(api.get("/reports/naloxone", query_string=T2).get_json())
    body = api.get("/reports/naloxone", query_string={**T2, "external": "true"}).get_json()
    assert body["external"] is True
    assert body["threshold"] == 5
    shown = naloxone_cells(body)
    assert "<5" in shown.values()
    assert_protected(shown, true, naloxone_identities(["OSL-A", "OSL-B", "OSL-C"]))
    one = api.get("/reports/naloxone", query_string={**T2, "site": "OSL-B", "external": "1"})
    only = naloxone_cells(one.get_json())
    assert only[(TOTAL, "kits")] == "<5"  # one site: its total row is hidden as well
    assert_protected(
        only,
        naloxone_cells(
            api.get("/reports/naloxone", query_string={**T2, "site": "OSL-B"}).get_json()
        ),
        naloxone_identities(["OSL-B"]),
    )


def test_naloxone_report_access_and_bad_input(client, data):
    assert (
        api_client(client, data.staff_a).get("/reports/naloxone", query_string=T2).status_code
        == 403
    )
    lead = api_client(client, data.lead_a)
    assert lead.get("/reports/naloxone", query_string={**T2, "site": "OSL-B"}).status_code == 403
    body = lead.get("/reports/naloxone", query_string=T2).get_json()
    assert [s["site"] for s in body["sites"]] == ["OSL-A"]
    coordinator = api_client(client, data.coordinator)
    assert (
        coordinator.get("/reports/naloxone", query_string={**T2, "site": "BGO-D"}).status_code
        == 403
    )
    assert (
        coordinator.get("/reports/naloxone", query_string={"from": "2025-05-01"}).status_code == 422
    )
    assert (
        coordinator.get("/reports/naloxone", query_string={**T2, "external": "kanskje"}).status_code
        == 422
    )
    assert api_client(client, None).get("/reports/naloxone", query_string=T2).status_code == 401


def test_training_summary_takes_the_report_filters_and_counts_cpr_months(client, data):
    api = api_client(client, data.admin)
    body = api.get("/training-summary", query_string={**T2, "municipality": "0301"}).get_json()
    assert [s["site"] for s in body] == ["OSL-A", "OSL-B", "OSL-C"]
    a = body[0]
    assert (a["months_with_cpr_course"], a["months"]) == (1, 4)
    several = api.get(
        "/training-summary", query_string=[*T2.items(), ("site", "OSL-B"), ("site", "BGO-D")]
    ).get_json()
    assert [s["site"] for s in several] == ["BGO-D", "OSL-B"]
    assert several[0]["months_with_cpr_course"] == 1
    assert (
        api.get("/training-summary", query_string={**T2, "municipality": "9999"}).status_code == 404
    )
    assert api.get("/training-summary", query_string={**T2, "municipality": "x"}).status_code == 422
    coordinator = api_client(client, data.coordinator)
    assert (
        coordinator.get("/training-summary", query_string={**T2, "site": "BGO-D"}).status_code
        == 403
    )


def test_the_csv_leaves_not_reported_empty_and_keeps_reported_zeros(shop):
    post_tally(shop["api"], shop["site"], "2025-03-04", SPR=3)
    response = shop["coordinator"].get("/reports/distribution.csv", query_string=MARCH)
    lines = response.get_data().decode("utf-8-sig").splitlines()
    response.close()
    assert "OSL-MO;Testsenter;0301;Kanyler;2025-03;2025-03-01;2025-03-31;0" in lines
    assert "OSL-MO;Testsenter;0301;Kanyler;2025-04;2025-04-01;2025-04-30;" in lines
    assert "OSL-STILLE;Testsenter;0301;Sprøyter;2025-03;2025-03-01;2025-03-31;" in lines
    comma = shop["coordinator"].get(
        "/reports/distribution.csv", query_string={**MARCH, "sep": "comma"}
    )
    lines = comma.get_data().decode("utf-8-sig").splitlines()
    comma.close()
    assert "OSL-MO,Testsenter,0301,Kanyler,2025-04,2025-04-01,2025-04-30," in lines
