"""GET /api/v1/reports/distribution(.csv) and /exports/summary.xlsx: answers, errors, access."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests import reports_data
from tests.factories import api_client, make_municipality, make_site, make_user
from tests.querycount import count_queries

T2 = {"from": "2025-05-01", "to": "2025-08-31"}


def status(api, path: str, query: dict) -> int:
    """The status of a GET, with the (file) response closed."""
    response = api.get(path, query_string=query)
    response.close()
    return response.status_code


@pytest.fixture
def data(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    return reports_data.build()


def test_distribution_totals_per_site_category_and_month(client, data):
    api = api_client(client, data.coordinator)
    response = api.get("/reports/distribution", query_string=T2)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["by"] == "month"
    assert [b["label"] for b in body["buckets"]] == ["2025-05", "2025-06", "2025-07", "2025-08"]
    assert body["buckets"][0] == {"label": "2025-05", "from": "2025-05-01", "to": "2025-05-31"}
    assert [s["site"] for s in body["sites"]] == ["OSL-A", "OSL-B", "OSL-C"]
    a = body["sites"][0]
    assert a["contacts"] == 17
    assert a["totals"] == {
        "syringe": 50,
        "needle": 60,
        "foil": 50,
        "naloxone": 10,
        "overdose_card": 0,  # reported: the card is on A's list and A made entries
        "other": None,  # no item of the category on A's list: never reported
    }
    assert body["sites"][2]["totals"]["syringe"] is None  # C made no entry: not reported
    assert body["sites"][2]["contacts"] is None
    assert body["totals"]["syringe"] == 58
    assert len(body["rows"]) == 3 * 6 * 4  # every site, category and month, blanks included
    row = next(
        r
        for r in body["rows"]
        if (r["site"], r["category"], r["bucket"]) == ("OSL-A", "syringe", "2025-07")
    )
    assert row["quantity"] == 10
    assert row["from"] == "2025-07-01"


@pytest.mark.parametrize(
    ("by", "labels"),
    [
        ("tertial", ["2025-T1", "2025-T2", "2025-T3"]),
        ("quarter", ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
        ("year", ["2025"]),
    ],
)
def test_distribution_by_larger_buckets(client, data, by, labels):
    api = api_client(client, data.coordinator)
    body = api.get(
        "/reports/distribution", query_string={"from": "2025-01-01", "to": "2025-12-31", "by": by}
    ).get_json()
    assert [b["label"] for b in body["buckets"]] == labels
    total = sum(r["quantity"] or 0 for r in body["rows"] if r["site"] == "OSL-A")
    assert total == 150 + 60 + 50 + 10


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Partial months at both ends come from the daily aggregate, whole ones from months.
        ({"from": "2025-05-04", "to": "2025-07-10", "by": "month"}, [0, 0, 10]),
        # June has only naloxone handouts: an entry, so syringes are a reported 0; 1-9 July
        # has no entry at all: not reported.
        ({"from": "2025-05-03", "to": "2025-07-09", "by": "month"}, [40, 0, None]),
        ({"from": "2025-04-15", "to": "2025-11-02", "by": "tertial"}, [None, 50, 100]),
        ({"from": "2025-05-03", "to": "2025-05-03", "by": "quarter"}, [40]),
        ({"from": "2024-12-31", "to": "2026-01-01", "by": "year"}, [None, 150, None]),
    ],
)
def test_distribution_over_partial_months(client, data, query, expected):
    api = api_client(client, data.coordinator)
    body = api.get("/reports/distribution", query_string={**query, "site": "OSL-A"}).get_json()
    syringes = [r["quantity"] for r in body["rows"] if r["category"] == "syringe"]
    assert syringes == expected


def test_distribution_by_week_and_day(client, data):
    api = api_client(client, data.coordinator)
    query = {"from": "2025-05-01", "to": "2025-05-10", "site": "OSL-A"}
    weeks = api.get("/reports/distribution", query_string={**query, "by": "week"}).get_json()
    assert [b["label"] for b in weeks["buckets"]] == ["2025-W18", "2025-W19"]
    syringes = {r["bucket"]: r["quantity"] for r in weeks["rows"] if r["category"] == "syringe"}
    assert syringes == {"2025-W18": 40, "2025-W19": 0}
    days = api.get("/reports/distribution", query_string={**query, "by": "day"}).get_json()
    assert len(days["buckets"]) == 10
    naloxone = [r["quantity"] for r in days["rows"] if r["category"] == "naloxone"]
    # Days without an entry are null; the 3rd (a tally) reports naloxone 0.
    assert naloxone == [None, None, 0, None, 1, 2, None, None, None, None]


def test_distribution_as_csv(client, data):
    api = api_client(client, data.coordinator)
    response = api.get("/reports/distribution.csv", query_string={**T2, "site": "OSL-A"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    # For a Norwegian Excel: a UTF-8 byte order mark and ";" between the fields.
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "sted;stedsnavn;kommune;kategori;periode;fra;til;antall"
    assert "OSL-A;Testsenter;0301;Sprøyter;2025-05;2025-05-01;2025-05-31;40" in lines
    assert len(lines) == 1 + 6 * 4
    english = api.get(
        "/reports/distribution.csv", query_string={**T2, "lang": "en", "sep": "comma"}
    )
    lines = english.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "site,site_name,municipality,category,bucket,from,to,quantity"
    assert status(api, "/reports/distribution.csv", {**T2, "sep": "tab"}) == 422


def test_summary_xlsx_download(client, data):
    api = api_client(client, data.coordinator)
    response = api.get(
        "/exports/summary.xlsx", query_string={**T2, "municipality": "0301", "lang": "en"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert "summary_2025-T2_0301.xlsx" in disposition
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[0] == "Summary"
    assert book["Summary"]["F8"].value == 50
    response.close()


def test_summary_external_flag(client, data):
    api = api_client(client, data.coordinator)
    response = api.get("/exports/summary.xlsx", query_string={**T2, "external": "1"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    shown = {c.value for row in book["Nalokson"].iter_rows(min_row=2) for c in row}
    assert {"<5", ":"} <= shown
    response.close()


@pytest.mark.parametrize("path", ["/reports/distribution", "/exports/summary.xlsx"])
@pytest.mark.parametrize(
    ("query", "status", "field", "words"),
    [
        ({"from": "2025-06-01", "to": "2025-05-01"}, 422, "from", "etter"),
        ({**T2, "site": "NOPE"}, 404, "site", "finnes ikke noe sted"),
        ({**T2, "municipality": "5001"}, 422, "municipality", "har ingen steder"),
        ({**T2, "municipality": "9999"}, 404, "municipality", "ingen kommune"),
        ({"from": "2015-01-01", "to": "2025-12-31"}, 422, "to", "10 år"),
        ({"from": "2025-02-30", "to": "2025-05-01"}, 422, "from", "ugyldig"),
        ({"from": "yesterday", "to": "2025-05-01"}, 422, "from", "ugyldig"),
        ({"to": "2025-05-01"}, 422, "from", "ugyldig"),
        ({**T2, "municipality": "Oslo"}, 422, "municipality", "ugyldig"),
        ({**T2, "site": "OSL-D", "municipality": "0301"}, 404, "site", "finnes ikke noe sted"),
        ({**T2, "site": "BGO-D", "municipality": "0301"}, 422, "site", "er ikke i kommune"),
    ],
)
def test_bad_input_is_a_clear_4xx(client, data, path, query, status, field, words):
    make_municipality("5001")
    api = api_client(client, data.admin)
    response = api.get(path, query_string=query)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert field in body["errors"]
    assert words.lower() in body["detail"].lower()


def test_bad_bucket_and_language(client, data):
    api = api_client(client, data.admin)
    assert (
        api.get("/reports/distribution", query_string={**T2, "by": "fortnight"}).status_code == 422
    )
    assert status(api, "/exports/summary.xlsx", {**T2, "lang": "sv"}) == 422


@pytest.mark.parametrize("path", ["/reports/distribution", "/exports/summary.xlsx"])
def test_staff_cannot_report_or_export(client, data, path):
    api = api_client(client, data.staff_a)
    response = api.get(path, query_string={**T2, "site": "OSL-A"})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "stedsleder eller koordinator" in response.get_json()["detail"]
    assert status(api, path, T2) == 403


@pytest.mark.parametrize("path", ["/reports/distribution", "/exports/summary.xlsx"])
def test_site_leads_only_for_their_own_sites(client, data, path):
    api = api_client(client, data.lead_a)
    assert status(api, path, {**T2, "site": "OSL-A"}) == 200
    assert status(api, path, {**T2, "site": "OSL-B"}) == 403
    assert status(api, path, {**T2, "municipality": "0301"}) == 403
    if path.endswith("distribution"):
        body = api.get(path, query_string=T2).get_json()
        assert [s["site"] for s in body["sites"]] == ["OSL-A"]


@pytest.mark.parametrize("path", ["/reports/distribution", "/exports/summary.xlsx"])
def test_coordinators_for_their_municipality(client, data, path):
    api = api_client(client, data.coordinator)
    assert status(api, path, {**T2, "municipality": "0301"}) == 200
    assert status(api, path, {**T2, "municipality": "4601"}) == 403
    assert status(api, path, {**T2, "site": "BGO-D"}) == 403
    if path.endswith("distribution"):
        body = api.get(path, query_string=T2).get_json()
        assert "BGO-D" not in [s["site"] for s in body["sites"]]


def test_without_a_token_is_401(client, data):
    assert api_client(client, None).get("/reports/distribution", query_string=T2).status_code == 401


def test_openapi_documents_both_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    report = spec["paths"]["/api/v1/reports/distribution"]["get"]
    assert {"200", "403", "404", "422"} <= set(report["responses"])
    names = {p["name"] for p in report["parameters"]}
    assert {"from", "to", "by", "site", "municipality"} <= names
    export = spec["paths"]["/api/v1/exports/summary.xlsx"]["get"]
    assert {"from", "to", "site", "municipality", "lang", "external"} <= {
        p["name"] for p in export["parameters"]
    }


def _queries(client, admin, sites: int, path: str) -> int:
    place = f"{7000 + sites}"
    made = [make_site(f"Q{sites}-{n}", place) for n in range(sites)]
    for site in made:
        reports_data.tally(admin, site, date(2025, 5, 3), 2, SYR=1, FOIL=2)
        reports_data.handout(admin, site, date(2025, 5, 3), 1, "pwud")
        reports_data.session(site, date(2025, 5, 3), "cpr", admin, pwud=2)
        make_user("staff", [site])
    api = api_client(client, make_user("coordinator", municipality=place))
    with count_queries() as counter:
        response = api.get(path, query_string={**T2, "municipality": place})
    assert response.status_code == 200
    response.close()
    return counter.count


@pytest.mark.parametrize("path", ["/reports/distribution", "/exports/summary.xlsx"])
def test_the_same_number_of_queries_for_1_and_50_sites(client, data, path):
    assert _queries(client, data.admin, 1, path) == _queries(client, data.admin, 50, path)
