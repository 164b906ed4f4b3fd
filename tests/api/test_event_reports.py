"""Overdoses, referrals, returns and contacts by group in the JSON report, the workbook and
the report page; small figures about persons protected in external files (LP attacker)."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from tests.attacker import assert_protected
from tests.factories import actor, api_client, login, make_item, make_site, make_user
from tracker.exports.event_tables import (
    OVERDOSE_KEYS,
    REFERRAL_KEYS,
    TOTAL,
    group_identities,
    overdose_identities,
    referral_identities,
)
from tracker.exports.suppression import HIDDEN
from tracker.extensions import db
from tracker.services import day_counts, overdoses, stock, tallies

MAY, JUNE = date(2025, 5, 10), date(2025, 6, 3)
PERIOD = {"from": "2025-05-01", "to": "2025-06-30"}


@pytest.fixture
def data(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    a, b = make_site("OSL-A"), make_site("OSL-B")
    b.contacts_by_group = a.contacts_by_group = True
    db.session.commit()
    make_item("SPR", "syringe")
    make_item("KAN", "needle")
    make_item("NAL", "naloxone")
    admin = actor(make_user("admin"))
    stock.receive(
        admin, site_code="OSL-A", received_on=date(2025, 4, 1),
        lines=[{"item": "NAL", "quantity": 20, "lot": "L1", "expiry": date(2027, 1, 1)}],
    )  # fmt: skip
    for day, lines in ((MAY, {"SPR": 300, "KAN": 100}), (JUNE, {"SPR": 50})):
        tallies.create_tally(
            admin, site_code="OSL-A", entry_date=day, contacts=40,
            lines=[{"item": k, "quantity": q} for k, q in lines.items()],
        )  # fmt: skip
    events = [
        ("OSL-A", MAY, "at_site", "recovered_on_site", 2, True),
        ("OSL-A", MAY, "at_site", "recovered_on_site", 1, False),
        ("OSL-A", MAY, "outreach", "to_hospital", 0, True),
        ("OSL-A", JUNE, "elsewhere", "died", 1, True),
        ("OSL-B", MAY, "at_site", "unknown", 0, False),
    ]
    for site, day, place, outcome, doses, ambulance in events:
        overdoses.record(
            admin, site_code=site, event_date=day, place=place, outcome=outcome,
            naloxone_doses=doses, ambulance_called=ambulance,
        )  # fmt: skip
    for site, day, to, count in (
        ("OSL-A", MAY, "lar_tsb", 2),
        ("OSL-A", MAY, "nav", 7),
        ("OSL-A", JUNE, "housing", 1),
        ("OSL-B", JUNE, "legevakt", 12),
    ):
        day_counts.add_referral(admin, site_code=site, day=day, to=to, count=count)
    for day, kind, count in (
        (MAY, "pieces", 80),
        (MAY, "container_small", 3),
        (JUNE, "pieces", 10),
    ):
        day_counts.add_return(admin, site_code="OSL-A", day=day, kind=kind, count=count)
    day_counts.add_groups(
        admin, site_code="OSL-A", day=MAY,
        counts={"women": 12, "men": 25, "other_gender": 3, "first_visit": 2, "repeat_visit": 38},
    )  # fmt: skip
    day_counts.add_groups(admin, site_code="OSL-B", day=JUNE, counts={"women": 1, "men": 30})
    coordinator = make_user("coordinator", municipality="0301")
    lead = make_user("lead", [a])
    return SimpleNamespace(coordinator=coordinator, lead=lead, staff=make_user("staff", [a]))


def test_json_report_per_site_and_month(client, data):
    api = api_client(client, data.coordinator)
    response = api.get("/reports/events", query_string=PERIOD)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    rows = {(r["site"], r["month"]): r["figures"] for r in body["overdoses"]["rows"]}
    may_a = rows[("OSL-A", "2025-05-01")]
    assert may_a["events"] == 3
    assert may_a["place.at_site"] == 2
    assert may_a["place.outreach"] == 1
    assert may_a["doses"] == 3
    assert may_a["with_naloxone"] == 2
    assert may_a["ambulance"] == 2
    assert may_a["outcome.to_hospital"] == 1
    assert rows[("OSL-A", "2025-06-01")]["outcome.died"] == 1
    assert body["overdoses"]["total"]["events"] == 5
    assert body["overdoses"]["total"]["doses"] == 4
    referrals = {(r["site"], r["month"]): r["figures"] for r in body["referrals"]["rows"]}
    assert referrals[("OSL-A", "2025-05-01")]["referred"] == 9
    assert referrals[("OSL-B", "2025-06-01")]["to.legevakt"] == 12
    assert body["referrals"]["total"]["referred"] == 22
    returns = {(r["site"], r["month"]): r["figures"] for r in body["returns"]["rows"]}
    assert returns[("OSL-A", "2025-05-01")] == {
        "container_small": 3, "container_large": 0, "pieces": 80, "handed_out": 400,
        "per_hundred": 20.0,
    }  # fmt: skip
    assert returns[("OSL-A", "2025-06-01")]["handed_out"] == 50
    groups = {r["site"]: r["figures"] for r in body["contact_groups"]["rows"]}
    assert groups["OSL-A"]["men"] == 25
    assert body["contact_groups"]["total"]["women"] == 13


def test_external_json_report_pins_no_small_figure(client, data):
    api = api_client(client, data.coordinator)
    true = api.get("/reports/events", query_string=PERIOD).get_json()
    shown = api.get("/reports/events", query_string={**PERIOD, "external": "true"}).get_json()
    assert shown["external"] is True
    for name, identities in (
        ("overdoses", overdose_identities),
        ("referrals", referral_identities),
    ):
        rows = [(r["site"], r["month"]) for r in true[name]["rows"]]
        assert rows == [(r["site"], r["month"]) for r in shown[name]["rows"]]
        real, seen = _cells(true[name]), _cells(shown[name])
        assert any(v in ("<5", HIDDEN) for v in seen.values())
        assert_protected(seen, real, identities(rows))
    sites = [r["site"] for r in true["contact_groups"]["rows"]]
    real, seen = _cells(true["contact_groups"], False), _cells(shown["contact_groups"], False)
    assert seen[("OSL-B", "women")] == "<5"
    assert_protected(seen, real, group_identities(sites))
    assert shown["returns"] == true["returns"]  # equipment: never suppressed


def _cells(table: dict, monthly: bool = True) -> dict:
    cells = {}
    for row in table["rows"]:
        key = (row["site"], row["month"]) if monthly else row["site"]
        cells.update({(key, k): v for k, v in row["figures"].items()})
    cells.update({(TOTAL, k): v for k, v in table["total"].items()})
    return cells


def test_used_on_site_is_not_distribution(client, data):
    api = api_client(client, data.coordinator)
    report = api.get("/reports/distribution", query_string=PERIOD).get_json()
    assert report["totals"]["naloxone"] == 0  # 4 doses used on site, none handed out
    moved = api.get("/movements", query_string={"site": "OSL-A", "kind": "used_on_site"})
    assert sorted(m["quantity"] for m in moved.get_json()) == [-2, -1, -1]


def workbook(api, query):
    response = api.get("/exports/summary.xlsx", query_string=query)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    response.close()
    return book


def headings(sheet) -> list:
    """The table's heading row, below the sheet's title and period lines."""
    return next(list(r) for r in sheet.iter_rows(values_only=True) if "Kommunenr" in r)


def table(sheet) -> list[list]:
    """The rows from the heading row on (the title, period and filter lines come first)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[next(i for i, r in enumerate(rows) if "Kommunenr" in r) :]


def test_workbook_sheets_hold_the_same_figures(client, data):
    api = api_client(client, data.coordinator)
    book = workbook(api, PERIOD)
    for name in ("Overdoser", "Henvisninger", "Retur"):
        assert name in book.sheetnames
    overdose = table(book["Overdoser"])
    heading = overdose[0]
    assert str(next(book["Overdoser"].iter_rows(values_only=True))[0]).startswith("Overdoser:")
    assert heading[:4] == ["Kommunenr", "Sted", "Måned", "Overdoser"]
    first = overdose[1]
    assert first[1] == "OSL-A"
    assert first[2].date() == date(2025, 5, 1)  # a real date cell
    assert first[3] == 3
    assert first[heading.index("Doser nalokson gitt av ansatte")] == 3
    total = next(row for row in overdose if row[1] == "Totalt")
    assert total[3] == 5
    referrals = table(book["Henvisninger"])
    total = next(row for row in referrals if row[1] == "Totalt")
    assert total[3] == 22
    returns = table(book["Retur"])[1:]
    assert returns[0][3:8] == [3, 0, 80, 400, 20.0]
    summary = book["Sammendrag"]
    heading = headings(summary)
    assert "Kvinner" in heading
    osl_a = next(row for row in summary.iter_rows(values_only=True) if row[2] == "OSL-A")
    assert osl_a[heading.index("Menn")] == 25


def test_external_workbook_protects_overdoses_and_groups(client, data):
    api = api_client(client, data.coordinator)
    query = {**PERIOD, "external": "true"}
    book = workbook(api, query)
    cells = [c for row in table(book["Overdoser"])[1:] for c in row[3:]]
    assert "<5" in cells
    assert not any(isinstance(c, int) and 0 < c < 5 for c in cells)
    summary = book["Sammendrag"]
    heading = headings(summary)
    osl_b = next(row for row in summary.iter_rows(values_only=True) if row[2] == "OSL-B")
    assert osl_b[heading.index("Kvinner")] == "<5"
    returns = table(book["Retur"])[1:]
    assert returns[0][3:8] == [3, 0, 80, 400, 20.0]


def test_report_page_shows_the_tables(client, data):
    login(client, data.coordinator)
    page = client.get(
        "/rapporter/", query_string={"periode": "custom", "fra": "2025-05-01", "til": "2025-06-30"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="overdoses"' in html
    assert 'id="referrals"' in html
    assert 'id="returns"' in html
    assert 'id="contact-groups"' in html
    assert "Til sykehus/legevakt" in html
    assert "20,0" in html  # returns per 100 handed out, Norwegian decimals


def test_staff_get_no_events_report(client, data):
    assert (
        api_client(client, data.staff).get("/reports/events", query_string=PERIOD).status_code
        == 403
    )
    lead = api_client(client, data.lead).get("/reports/events", query_string=PERIOD).get_json()
    assert {r["site"] for r in lead["overdoses"]["rows"]} == {"OSL-A"}
    other = api_client(client, data.lead).get(
        "/reports/events", query_string={**PERIOD, "site": "OSL-B"}
    )
    assert other.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"from": "2025-05-01"},
        {"from": "2025-07-01", "to": "2025-05-01"},
        {**PERIOD, "municipality": "12"},
    ],
)
def test_bad_report_queries_are_4xx(client, data, query):
    response = api_client(client, data.coordinator).get("/reports/events", query_string=query)
    assert 400 <= response.status_code < 500


def _sheet_cells(sheet, keys) -> tuple[list, dict]:
    """(site, month) rows and their cells, with the total row, read back from a sheet."""
    rows, cells = [], {}
    for values in table(sheet)[1:]:
        if all(v is None for v in values):
            continue  # the empty row between the table and its total
        if values[1] is None or values[1] == "<5" or values[0] in ("<5", HIDDEN):
            break  # the legend below the table
        key = TOTAL if values[1] == "Totalt" else (values[1], values[2])
        if key != TOTAL:
            rows.append(key)
        cells.update({(key, k): v for k, v in zip(keys, values[3:], strict=False)})
        if key == TOTAL:
            break
    return rows, cells


@pytest.mark.parametrize(
    ("sheet", "keys", "identities"),
    [
        ("Overdoser", OVERDOSE_KEYS, overdose_identities),
        ("Henvisninger", REFERRAL_KEYS, referral_identities),
    ],
)
def test_external_workbook_sheets_withstand_the_attacker(client, data, sheet, keys, identities):
    api = api_client(client, data.coordinator)
    rows, true = _sheet_cells(workbook(api, PERIOD)[sheet], keys)
    shown_rows, shown = _sheet_cells(workbook(api, {**PERIOD, "external": "true"})[sheet], keys)
    assert shown_rows == rows
    assert any(v in ("<5", HIDDEN) for v in shown.values())
    assert_protected(shown, true, identities(rows))
