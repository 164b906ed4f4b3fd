"""Every figure traceable: GET /reports/sources lists the rows behind a report's figure."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import User
from tracker.services import demo


def all_sources(api, query: str) -> list[dict]:
    """Every page of the sources of one figure."""
    rows, page = [], 1
    while True:
        response = api.get(f"/reports/sources?{query}&page={page}&page_size=100")
        assert response.status_code == 200, response.get_json()
        batch = response.get_json()
        rows += batch
        if len(batch) < 100:
            return rows
        page += 1


def test_random_figures_of_the_distribution_report_add_up_from_their_sources(app, client):
    demo.seed(days=40)
    admin = db.session.scalar(select(User).where(User.global_role == "admin"))
    api = api_client(client, admin)
    # history before a stock start counts in the figures too, as lines without movements
    tallied = api.post(
        "/tallies",
        tally_body(
            type("S", (), {"code": "OSL-LAV"})(), {"SPR-2": 17}, day=date(2019, 3, 5)
        ),  # fmt: skip
    )
    assert tallied.status_code == 201, tallied.get_json()
    # a kit counts as its contents in every figure (and never under its own category): handed
    # out today and before the stock start, at a site and in a month the picks below include
    make_item("PAKKE", "other")
    contents = [{"item": "SPR-2", "quantity": 10}, {"item": "KAN-23", "quantity": 10},
                {"item": "FOLIE", "quantity": 2}]  # fmt: skip
    assert api.put("/items/PAKKE/contents", {"contents": contents}).status_code == 200
    lav = type("S", (), {"code": "OSL-LAV"})()
    for day in (date(2019, 3, 6), today()):
        tallied = api.post("/tallies", tally_body(lav, {"PAKKE": 3}, day=day))
        assert tallied.status_code == 201, tallied.get_json()
    start, end = date(2019, 3, 1), today()
    report = api.get(f"/reports/distribution?from={start}&to={end}&by=month").get_json()
    rng = random.Random(7)
    cells = [row for row in report["rows"] if row["quantity"]]
    this_month = today().replace(day=1).isoformat()
    kit_cells = [r for r in cells if r["site"] == "OSL-LAV" and r["from"] == this_month]
    assert {r["category"] for r in kit_cells} >= {"syringe", "needle", "foil"}
    picked = rng.sample(cells, 12) + [r for r in cells if r["from"] == "2019-03-01"] + kit_cells
    for row in picked:
        query = f"site={row['site']}&from={row['from']}&to={row['to']}&category={row['category']}"
        sources = all_sources(api, query)
        assert sum(s["quantity"] for s in sources) == row["quantity"], row
        assert {s["site"] for s in sources} == {row["site"]}
        assert all(row["from"] <= s["date"] <= row["to"] for s in sources)
        assert all(s["who"] for s in sources)
    history = all_sources(api, "site=OSL-LAV&from=2019-03-01&to=2019-03-31&category=syringe")
    assert sorted((s["source"], s["quantity"], s["kit"], s["kits"]) for s in history) == [
        ("history_line", 17, None, None),
        ("history_line", 30, "PAKKE", 3),
    ]
    kits = all_sources(api, f"site=OSL-LAV&from={this_month}&to={end}&item=PAKKE")
    assert [(s["item"], s["quantity"], s["kit"]) for s in kits] == [("PAKKE", 3, None)]
    foil = all_sources(api, f"site=OSL-LAV&from={this_month}&to={end}&item=FOLIE")
    assert [s["quantity"] for s in foil if s["kit"] == "PAKKE"] == [6]
    other = all_sources(api, f"site=OSL-LAV&from={start}&to={end}&category=other")
    assert all(s["item"] != "PAKKE" for s in other)
    for site in report["sites"][:3]:
        query = f"site={site['site']}&from={start}&to={end}&measure=contacts"
        assert sum(s["quantity"] for s in all_sources(api, query)) == site["contacts"]
        municipality = site["municipality"]
        total = sum(
            s["totals"]["foil"] for s in report["sites"] if s["municipality"] == municipality
        )
        query = f"municipality={municipality}&from={start}&to={end}&category=foil"
        assert sum(s["quantity"] for s in all_sources(api, query)) == total


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    staff = make_user("staff", [site])
    return {
        "site": site,
        "staff": api_client(client, staff),
        "lead": api_client(client, make_user("lead", [site])),
        "oslo": api_client(client, make_user("coordinator", municipality="0301")),
        "client": client,
    }


def test_sources_are_for_the_sites_own_staff_and_their_municipalitys_coordinator(world):
    world["lead"].post("/receipts", receipt_body(world["site"], {"SPR-2": 50}))
    world["staff"].post("/tallies", tally_body(world["site"], {"SPR-2": 3}))
    day = today().isoformat()
    own = world["staff"].get(f"/reports/sources?site=OSL-MO&from={day}&to={day}")
    assert own.status_code == 200
    assert [(r["source"], r["what"], r["item"], r["quantity"]) for r in own.get_json()] == [
        ("movement", "distribution", "SPR-2", 3)
    ]
    period = f"from={day}&to={day}"
    assert world["staff"].get(f"/reports/sources?site=BGO-MO&{period}").status_code == 403
    # a municipality's figure is open to staff when every site in it is theirs (here: one)
    assert world["staff"].get(f"/reports/sources?municipality=0301&{period}").status_code == 200
    assert world["oslo"].get(f"/reports/sources?municipality=4601&{period}").status_code == 403
    assert world["oslo"].get(f"/reports/sources?municipality=0301&{period}").status_code == 200


def test_bad_filters_are_refused_clearly(world):
    day = today().isoformat()
    earlier = (today() - timedelta(days=1)).isoformat()
    api = world["oslo"]
    base = f"/reports/sources?site=OSL-MO&from={day}"
    assert api.get(f"/reports/sources?site=OSL-MO&from={day}&to={earlier}").status_code == 422
    assert api.get(f"{base}&to={day}&category=x").status_code == 422
    assert api.get(f"{base}&to={day}&measure=x").status_code == 422
    assert api.get(f"/reports/sources?site=NOPE&from={day}&to={day}").status_code == 404
    assert api.get(f"{base}&to={day}&item=NOPE").status_code == 404
    assert api.get(f"/reports/sources?site=OSL-MO&to={day}").status_code == 422
