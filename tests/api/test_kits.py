"""Kits (brukerpakker): PUT /items/{code}/contents, and a kit's contents in every report.

Stock keeps kits; the reports, the CSV and the workbook count what the kits held in the
contents' categories (never the kit itself), and a kit's contents are fixed once it was used.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import (
    api_client,
    login,
    make_item,
    make_site,
    make_user,
    receipt_body,
    tally_body,
)
from tracker.extensions import db
from tracker.models import AuditEvent, KitContent, StockBalance
from tracker.services import catalog, tallies
from tracker.services.access import Actor

DAY = date(2025, 6, 10)
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}
KIT = [
    {"item": "SPR", "quantity": 10},
    {"item": "KAN", "quantity": 10},
    {"item": "FOL", "quantity": 1},
]


@pytest.fixture
def shop(app, tmp_path, monkeypatch):
    """A site, the items a kit is made of, an empty kit item, an admin and a coordinator."""
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    site = make_site("OSL-MO")
    for code, category in (("SPR", "syringe"), ("KAN", "needle"), ("FOL", "foil")):
        make_item(code, category=category)
    make_item("NAL", category="naloxone")
    make_item("SPRIT", category="other")  # so `other` is on the list: reported as 0, not blank
    make_item("PAKKE", category="other")
    return {
        "site": site,
        "admin": make_user("admin"),
        "coordinator": make_user("coordinator", municipality="0301"),
        "lead": make_user("lead", sites=[site]),
    }


def put_contents(client, user, code="PAKKE", contents=None):
    return api_client(client, user).put(
        f"/items/{code}/contents", {"contents": KIT if contents is None else contents}
    )


def hand_out(shop, day=DAY, contacts=1, **lines):
    tallies.create_tally(
        Actor(shop["admin"]),
        site_code=shop["site"].code,
        entry_date=day,
        contacts=contacts,
        lines=[{"item": code, "quantity": q} for code, q in lines.items()],
    )


def test_an_admin_makes_an_item_a_kit_and_the_api_shows_its_contents(client, shop):
    response = put_contents(client, shop["admin"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["kit"] is True
    assert body["contents"] == [
        {"item": "SPR", "quantity": 10},
        {"item": "KAN", "quantity": 10},
        {"item": "FOL", "quantity": 1},
    ]
    listed = api_client(client, shop["coordinator"]).get("/items").get_json()
    by_code = {i["code"]: i for i in listed}
    assert by_code["PAKKE"]["kit"] is True
    assert by_code["SPR"] == {**by_code["SPR"], "kit": False, "contents": []}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "set_contents"))
    assert event.after["contents"][0] == {"item": "SPR", "quantity": 10}


@pytest.mark.parametrize("role", ["coordinator", "lead"])
def test_only_admins_set_a_kits_contents(client, shop, role):
    response = put_contents(client, shop[role])
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(KitContent)) == 0


@pytest.mark.parametrize(
    ("contents", "words"),
    [
        ([{"item": "NOPE", "quantity": 1}], "ingen vare"),
        ([{"item": "SPR", "quantity": 0}], None),
        ([{"item": "SPR", "quantity": 2.5}], None),
        ([{"item": "SPR", "quantity": 10_001}], None),
        ([{"item": "SPR", "quantity": 1, "lot": "x"}], None),
        ([{"item": "SPR", "quantity": 1}, {"item": "SPR", "quantity": 2}], "bare én gang"),
        ([{"item": "PAKKE", "quantity": 1}], "brukerpakke"),
        ([{"item": "NAL", "quantity": 1}], "Nalokson"),
    ],
)
def test_bad_contents_get_422_and_change_nothing(client, shop, contents, words):
    response = put_contents(client, shop["admin"], contents=contents)
    assert response.status_code == 422, response.get_json()
    if words:
        assert words in response.get_json()["detail"]
    assert db.session.scalar(select(func.count()).select_from(KitContent)) == 0


def test_a_kit_cannot_hold_a_kit_nor_be_held_by_one(client, shop):
    assert put_contents(client, shop["admin"]).status_code == 200
    make_item("STOR", category="other")
    inner = put_contents(client, shop["admin"], "STOR", [{"item": "PAKKE", "quantity": 1}])
    assert inner.status_code == 422
    outer = put_contents(client, shop["admin"], "SPR", [{"item": "FOL", "quantity": 1}])
    assert outer.status_code == 422  # SPR is in PAKKE: it cannot become a kit itself
    assert "annen brukerpakke" in outer.get_json()["detail"]


def test_an_unknown_kit_is_404(client, shop):
    assert put_contents(client, shop["admin"], "NOPE").status_code == 404


def test_a_used_kits_contents_are_locked_409_and_history_stays(client, shop):
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=3)
    changed = [{"item": "SPR", "quantity": 20}]
    response = put_contents(client, shop["admin"], contents=changed)
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "kit-locked"
    assert "ny brukerpakke" in body["detail"]
    assert put_contents(client, shop["admin"], contents=[]).status_code == 409
    # The same contents again changes nothing and is not refused (a PUT is repeatable).
    assert put_contents(client, shop["admin"]).status_code == 200
    rows = db.session.execute(select(KitContent.item_id, KitContent.quantity)).all()
    assert sorted(q for _, q in rows) == [1, 10, 10]


def test_a_plain_item_with_history_cannot_become_a_kit(client, shop):
    hand_out(shop, PAKKE=1)
    response = put_contents(client, shop["admin"])
    assert response.status_code == 409
    assert response.get_json()["code"] == "kit-locked"


def test_an_unused_kit_becomes_a_plain_item_again(client, shop):
    assert put_contents(client, shop["admin"]).status_code == 200
    response = put_contents(client, shop["admin"], contents=[])
    assert response.status_code == 200
    assert response.get_json() | {"kit": False, "contents": []} == response.get_json()


def test_a_content_items_category_is_locked_once_a_kit_holding_it_was_handed_out(client, shop):
    """Recategorising SPR would move the syringes counted from the kits already handed out."""
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=1)
    api = api_client(client, shop["admin"])
    response = api.patch("/items/SPR", {"category": "needle"})
    assert response.status_code == 409
    assert response.get_json()["code"] == "category-locked"


def test_stock_keeps_kits_the_ledger_moves_the_kit_only(client, shop, runner):
    assert put_contents(client, shop["admin"]).status_code == 200
    api = api_client(client, shop["admin"])
    assert api.post("/receipts", receipt_body(shop["site"], {"PAKKE": 10})).status_code == 201
    assert api.post("/tallies", tally_body(shop["site"], {"PAKKE": 3})).status_code == 201
    balances = dict(db.session.execute(select(StockBalance.item_id, StockBalance.quantity)).all())
    kit_id = db.session.scalar(select(KitContent.kit_id).limit(1))
    assert balances == {kit_id: 7}
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output


def _report(client, user, **query):
    response = api_client(client, user).get("/reports/distribution", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    "query",
    [
        {**JUNE, "by": "month"},  # whole month: the monthly aggregate
        {**JUNE, "by": "day"},  # the daily aggregate grouped by day
        {**JUNE, "by": "week"},
        {"from": "2025-05-20", "to": "2025-07-05", "by": "month"},  # partial months + whole
        {"from": "2025-06-05", "to": "2025-06-20", "by": "month"},  # within one month
        {"from": "2025-06-05", "to": "2025-06-20", "by": "tertial"},
    ],
)
def test_a_kits_contents_count_in_their_categories_in_the_report(client, shop, query):
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=3, SPR=5)
    body = _report(client, shop["coordinator"], **query)
    assert body["totals"] == {
        "syringe": 35,
        "needle": 30,
        "foil": 3,
        "naloxone": 0,
        "overdose_card": None,  # nothing of it on the site's list: not reported
        "other": 0,  # the kit's own category never counts the kit (no double count)
    }
    assert body["sites"][0]["totals"]["syringe"] == 35
    assert sum(r["quantity"] or 0 for r in body["rows"] if r["category"] == "needle") == 30


def test_the_sources_of_a_figure_list_the_kits_that_count_in_it(client, shop):
    """/reports/sources and its page: a kit's line adds kits x per kit, so they add up."""
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=3, SPR=5)
    query = "site=OSL-MO&from=2025-06-01&to=2025-06-30"
    api = api_client(client, shop["coordinator"])
    rows = api.get(f"/reports/sources?{query}&category=syringe").get_json()
    assert sorted((r["item"], r["quantity"], r["kit"], r["kits"]) for r in rows) == [
        ("SPR", 5, None, None),
        ("SPR", 30, "PAKKE", 3),
    ]
    other = api.get(f"/reports/sources?{query}&category=other").get_json()
    assert other == []  # the kit is never a figure of its own category
    login(client, shop["coordinator"])
    page = client.get(
        "/rapporter/kilder",
        query_string={
            "fra": "2025-06-01",
            "til": "2025-06-30",
            "sted": "OSL-MO",
            "kategori": "syringe",
        },  # fmt: skip
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "PAKKE × 3 = 30 SPR" in html
    assert 'id="sources-total">Sum: 35 ' in html


def test_the_csv_counts_a_kits_contents(client, shop):
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=3)
    response = api_client(client, shop["coordinator"]).get(
        "/reports/distribution.csv", query_string={**JUNE, "lang": "en"}
    )
    assert response.status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    totals = {r["category"]: int(r["quantity"]) for r in rows if r["quantity"]}
    assert (totals["syringe"], totals["needle"], totals["foil"], totals["other"]) == (30, 30, 3, 0)


def _table(sheet, heading: str):
    """The header row (values) and the rows under it, wherever the sheet puts its title."""
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    start = next(n for n, row in enumerate(rows) if heading in row)
    return rows[start], rows[start + 1 :]


def test_a_kits_contents_appear_in_the_workbooks_totals(client, shop):
    """Issue 19's done-when: the workbook's Sammendrag, Utdeling and SWITCH count contents."""
    assert put_contents(client, shop["admin"]).status_code == 200
    hand_out(shop, PAKKE=3, SPR=5, FOL=2)
    response = api_client(client, shop["coordinator"]).get(
        "/exports/summary.xlsx", query_string=JUNE
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    book = load_workbook(io.BytesIO(response.get_data()))
    response.close()

    header, rows = _table(book["Sammendrag"], "Sprøyter")
    site_row = next(r for r in rows if "OSL-MO" in r)
    total_row = next(r for r in rows if "Totalt" in r)
    for row in (site_row, total_row):
        figures = {h: row[n] for n, h in enumerate(header)}
        assert figures["Sprøyter"] == 35
        assert figures["Kanyler"] == 30
        assert figures["Røykefolie"] == 5
        assert figures["Annet"] == 0  # the kit item (category other) is not counted itself

    header, rows = _table(book["Utdeling"], "Varenavn")
    code, category, total = header.index("Vare"), header.index("Kategori"), header.index("Totalt")
    by_item = {r[code]: r for r in rows if r[code]}
    assert by_item["SPR"][total] == 35  # loose syringes and those in the kits
    assert by_item["KAN"][total] == 30
    assert by_item["PAKKE"][total] == 3  # the kit row shows kits handed out
    assert by_item["PAKKE"][category].startswith("Brukerpakke")

    header, rows = _table(book["SWITCH"], "Måned")
    june = next(
        r
        for r in rows
        if "OSL-MO" in r and any(getattr(v, "month", None) == 6 or v == "2025-06" for v in r)
    )
    assert june[header.index("Røykefolie")] == 5
    assert june[header.index("Sprøyter og kanyler")] == 65


def test_a_kit_on_the_list_makes_its_contents_categories_reported_zeros(client, shop):
    """A site that hands out syringes only in kits still reports 0 syringes on a day with an
    entry and no kits (blank is not zero: the kit puts syringes on the site's list)."""
    assert put_contents(client, shop["admin"]).status_code == 200
    for code in ("SPR", "KAN", "FOL"):
        catalog.update_site_item(Actor(shop["admin"]), "OSL-MO", code, {"active": False})
    hand_out(shop, PAKKE=2)
    hand_out(shop, day=date(2025, 6, 11), SPRIT=1)
    body = _report(client, shop["coordinator"], **JUNE, by="day")
    cells = {
        (r["bucket"], r["category"]): r["quantity"]
        for r in body["rows"]
        if r["bucket"] in ("2025-06-10", "2025-06-11", "2025-06-12")
    }
    assert cells[("2025-06-10", "syringe")] == 20
    assert cells[("2025-06-11", "syringe")] == 0  # reported: the kit is on the list
    assert cells[("2025-06-12", "syringe")] is None  # no entry that day: not reported
    assert cells[("2025-06-11", "other")] == 1
