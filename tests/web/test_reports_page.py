"""The Reports page (/rapporter): filters, table, SVG trend, download; leads and coordinators."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests import reports_data
from tests.factories import login
from tests.web.pages import APP_SCRIPTS, inline_scripts

T2 = {"periode": "custom", "fra": "2025-05-01", "til": "2025-08-31"}


@pytest.fixture
def data(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    return reports_data.build()


def test_coordinator_sees_totals_trend_and_download(client, data):
    login(client, data.coordinator)
    response = client.get("/rapporter/", query_string=T2)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for code in ("OSL-A", "OSL-B", "OSL-C"):
        assert code in html
    assert "BGO-D" not in html
    # A's syringes in T2, linked to the entries behind the figure (/rapporter/kilder)
    assert '">50</a></td>' in html
    assert "kilder?fra=2025-05-01&amp;til=2025-08-31&amp;sted=OSL-A&amp;kategori=syringe" in html
    assert "<svg" in html
    assert "<polyline" in html
    # The chart is drawn on the server; the scripts are the app's own files (no CDN): the
    # report's and the offline queue's, with the queue's texts as a JSON block.
    assert html.count("<script") == 1 + len(APP_SCRIPTS)
    assert '<script src="/static/reports.js" defer></script>' in html
    assert inline_scripts(html) == []
    assert "01.05.2025–31.08.2025" in html
    assert 'action="/rapporter/sammendrag.xlsx"' in html
    assert 'name="kommune"' in html  # coordinators can pick their municipality


def test_norwegian_digit_grouping(client, data):
    login(client, data.admin)
    html = client.get(
        "/rapporter/", query_string={**T2, "sted": "BGO-D", "fra": "2025-05-01"}
    ).get_data(as_text=True)
    assert "1\u00a0000" in html


@pytest.mark.parametrize(
    "preset", ["this_month", "last_month", "this_tertial", "last_tertial", "this_year", "last_year"]
)
def test_presets(client, data, preset):
    login(client, data.coordinator)
    response = client.get("/rapporter/", query_string={"periode": preset})
    assert response.status_code == 200
    assert "<svg" in response.get_data(as_text=True)


def test_first_visit_shows_last_month(client, data):
    login(client, data.lead_a)
    response = client.get("/rapporter/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "OSL-A" in html
    assert "OSL-B" not in html
    assert 'name="kommune"' not in html


def test_bad_period_shows_the_reason(client, data):
    login(client, data.coordinator)
    response = client.get(
        "/rapporter/", query_string={"periode": "custom", "fra": "2025-06-01", "til": "2025-05-01"}
    )
    assert response.status_code == 422
    assert "er etter til-datoen" in response.get_data(as_text=True)
    response = client.get("/rapporter/", query_string={"periode": "custom", "fra": "1.5.2025"})
    assert response.status_code == 422


def test_staff_are_refused(client, data):
    login(client, data.staff_a)
    assert client.get("/rapporter/").status_code == 403
    response = client.get("/rapporter/sammendrag.xlsx", query_string=T2)
    assert response.status_code == 403
    response.close()


def test_lead_cannot_open_another_site(client, data):
    login(client, data.lead_a)
    assert client.get("/rapporter/", query_string={**T2, "sted": "OSL-B"}).status_code == 403


def test_anonymous_is_sent_to_log_in(client, data):
    assert client.get("/rapporter/").status_code in (302, 401)


def test_download_gives_the_workbook(client, data):
    login(client, data.lead_a)
    response = client.get(
        "/rapporter/sammendrag.xlsx",
        query_string={"fra": "2025-05-01", "til": "2025-08-31", "sprak": "en", "ekstern": "y"},
    )
    content = response.get_data()
    response.close()
    assert response.status_code == 200
    assert "summary_2025-T2_external.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(content))
    assert book["Summary"]["C8"].value == "OSL-A"
    assert book["Naloxone"]["D8"].value == ":"  # 9, hidden so that the 1 beside it stays hidden
    assert book["Naloxone"]["E8"].value == "<5"
    assert "Stock" in book.sheetnames  # stock at the period's end: external files too


def test_download_follows_the_buckets_and_the_comparison_asked_for(client, data):
    login(client, data.lead_a)
    query = {"fra": "2025-05-01", "til": "2025-08-31", "inndeling": "tertial"}
    response = client.get("/rapporter/sammendrag.xlsx", query_string={**query, "sammenlign": "y"})
    content = response.get_data()
    response.close()
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(content))
    assert book["Utdeling"]["F7"].value == "2025-T2"
    assert book["Data"]["J8"].value == "Verdi året før"  # below one more intro line
    about = {r[0]: r[1] for r in book["Om rapporten"].iter_rows(min_row=7, values_only=True)}
    assert about["Sammenligning"] == "01.05.2024–31.08.2024"
    assert about["Periodeinndeling i Utdeling"] == "Tertial"


def test_menu_shows_reports_to_leads_not_staff(client, data):
    login(client, data.lead_a)
    assert 'href="/rapporter/"' in client.get("/").get_data(as_text=True)
    login(client, data.staff_a)
    assert 'href="/rapporter/"' not in client.get("/").get_data(as_text=True)


@pytest.mark.browser
def test_reports_page_in_chromium(app, browser_page, data):
    from tests.browser import log_in
    from tests.factories import PASSWORD

    log_in(browser_page, data.coordinator.email, PASSWORD)
    browser_page.goto("/rapporter/?periode=custom&fra=2025-05-01&til=2025-08-31")
    assert browser_page.locator("svg.chart").count() == 1
    with browser_page.expect_download() as download:
        browser_page.get_by_role("button", name="Last ned Excel-sammendrag").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_download_of_a_preset_alone_covers_that_period(client, data):
    """A bookmarked link such as ?periode=last_tertial needs no dates."""
    from tracker import periods
    from tracker.dates import today

    login(client, data.coordinator)
    response = client.get("/rapporter/sammendrag.xlsx", query_string={"periode": "last_tertial"})
    response.get_data()
    response.close()
    assert response.status_code == 200
    chosen = periods.preset("last_tertial", today())
    tertial = f"{chosen.start.year}-T{(chosen.start.month - 1) // 4 + 1}"
    assert f"sammendrag_{tertial}" in response.headers["Content-Disposition"]


def test_the_page_shows_completeness_switch_naloxone_and_training(client, data):
    login(client, data.coordinator)
    html = client.get("/rapporter/", query_string=T2).get_data(as_text=True)
    for heading in ("SWITCH", "Nalokson", "Opplæring", "Rapportert"):
        assert heading in html
    assert "4 av 87 åpningsdager" in html  # A: entries on four opening days of T2
    assert "0 av 87 åpningsdager" in html  # C: none
    assert "mai 2025" in html
    assert "aug. 2025" in html
    assert "20,0\u00a0%" in html  # A in May: 20 foil / 100 syringes and needles
    assert "Påfyll: brukt ved overdose" in html
    assert "1 av 4" in html  # A held a CPR course for users in one of the four months
    # C made no entry: its figures are "–" (not reported), never 0.
    row_c = html.split('<th scope="row">OSL-C')[1].split("</tr>")[0]
    assert "–" in row_c
    assert '<td class="num">0</td>' not in row_c


def test_the_page_marked_external_protects_small_naloxone_figures(client, data):
    login(client, data.coordinator)
    internal = client.get("/rapporter/", query_string=T2).get_data(as_text=True)
    external = client.get("/rapporter/", query_string={**T2, "ekstern": "y"}).get_data(as_text=True)
    naloxone = external.split('id="nalokson"')[1].split("</table>")[0]
    assert "&lt;5" in naloxone
    assert "&lt;5" not in internal.split('id="nalokson"')[1].split("</table>")[0]
    assert 'name="ekstern" value="y"' in external  # the download keeps the choice


def test_the_first_visit_shows_twelve_months_up_to_the_last_entry(client, data):
    login(client, data.coordinator)
    html = client.get("/rapporter/").get_data(as_text=True)
    # The data ends in November 2025: December 2024 to November 2025, not an empty year.
    assert "01.12.2024–30.11.2025" in html
    assert "<polyline" in html
    assert 'value="custom" selected' in html or 'selected value="custom"' in html


def test_preset_ranges_are_given_to_the_script(client, data):
    import json
    from html import unescape

    from tracker import periods
    from tracker.dates import today

    login(client, data.coordinator)
    html = client.get("/rapporter/", query_string=T2).get_data(as_text=True)
    raw = html.split('data-presets="')[1].split('"')[0]
    presets = json.loads(unescape(raw))
    last = periods.preset("last_month", today())
    assert presets["last_month"] == [last.start.isoformat(), last.end.isoformat()]
    script = client.get("/static/reports.js")
    assert script.status_code == 200
    assert "data-presets" in script.get_data(as_text=True)
    script.close()


def test_chart_labels_fit_inside_the_drawing():
    from tracker.web.charts import WIDTH, line_chart

    labels = [f"nov. {2000 + i}" for i in range(12)]
    svg = str(line_chart(labels, [("A", [50_000] * 6 + [None] + [1] * 5)], "t", fmt_number=str))
    import re

    for x, anchor, text in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"[^>]*>([^<]*)</text>', svg
    ):
        width = len(text) * 9
        left = {"middle": float(x) - width / 2, "end": float(x) - width, "start": float(x)}
        assert left[anchor] >= 0, text
        assert left[anchor] + width <= WIDTH, text
    assert svg.count("<polyline") == 2  # the None breaks the line
