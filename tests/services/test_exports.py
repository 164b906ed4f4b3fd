"""Known answers for the summary workbook, read back cell by cell (month, tertial, year)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests import reports_data
from tracker.dates import today
from tracker.services import exports
from tracker.services.access import Actor

SHEETS = [
    "Sammendrag",
    "Utdeling",
    "Nalokson",
    "SWITCH",
    "Opplæring",
    "Overdoser",
    "Henvisninger",
    "Retur",
    "Lager",
    "Data",
    "Om rapporten",
]
PERIODS = {
    "month": (date(2025, 5, 1), date(2025, 5, 31)),
    "tertial": (date(2025, 5, 1), date(2025, 8, 31)),
    "year": (date(2025, 1, 1), date(2025, 12, 31)),
}
# Sammendrag per site: syringe, needle, foil, naloxone, overdose card, other, contacts.
# "Other" is blank: no site has an item of it on its list, so it is never reported.
SUMMARY = {
    "month": {"OSL-A": [40, 60, 20, 3, 0, None, 12], "OSL-B": [8, 0, 0, 0, 3, None, 6]},
    "tertial": {"OSL-A": [50, 60, 50, 10, 0, None, 17], "OSL-B": [8, 0, 0, 3, 3, None, 6]},
    "year": {"OSL-A": [150, 60, 50, 10, 0, None, 26], "OSL-B": [8, 5, 0, 3, 3, None, 8]},
}
# Opening days (Monday to Friday) with an entry: A's tally on Saturday 3 May and its
# handout on Sunday 1 June do not count; B reported 20 May, 1 August and 15 January.
REPORTED = {
    "month": ("2 av 22 åpningsdager", "1 av 22 åpningsdager", "0 av 22 åpningsdager"),
    "tertial": ("4 av 87 åpningsdager", "2 av 87 åpningsdager", "0 av 87 åpningsdager"),
    "year": ("4 av 261 åpningsdager", "3 av 261 åpningsdager", "0 av 261 åpningsdager"),
}


def plus(x, y):
    return None if x is None and y is None else (x or 0) + (y or 0)


@pytest.fixture
def data(app):
    return reports_data.build()


def export(who, period: str, tmp_path, **kwargs):
    start, end = PERIODS[period]
    result = exports.export_summary(
        Actor(who),
        date_from=start,
        date_to=end,
        output=tmp_path / f"{period}.xlsx",
        **kwargs,
    )
    return load_workbook(result.path)


def values(sheet, first_row: int = 2, last_row: int | None = None) -> list[list]:
    return [
        list(row) for row in sheet.iter_rows(min_row=first_row, max_row=last_row, values_only=True)
    ]


def filter_rows(sheet) -> tuple[int, int]:
    """The heading row and the last row of the autofilter range (e.g. A7:L10 -> 7, 10)."""
    first, last = sheet.auto_filter.ref.split(":")
    return int(re.sub("[A-Z]", "", first)), int(re.sub("[A-Z]", "", last))


def heading(sheet) -> list:
    return values(sheet, filter_rows(sheet)[0])[0]


def table(sheet) -> list[list]:
    """The rows inside the autofilter range, below its heading."""
    head, last = filter_rows(sheet)
    return values(sheet, head + 1, last) if last > head else []


def below(sheet) -> list[list]:
    """The non-empty rows after the autofilter range (totals, legends, second blocks)."""
    return [r for r in values(sheet, filter_rows(sheet)[1] + 1) if any(v is not None for v in r)]


@pytest.mark.parametrize("period", PERIODS)
def test_summary_sheet_has_every_site_with_hand_computed_totals(data, tmp_path, period):
    book = export(data.coordinator, period, tmp_path)
    assert book.sheetnames == SHEETS
    sheet = book["Sammendrag"]
    header = heading(sheet)
    assert header == [
        "Kommunenr",
        "Kommune",
        "Sted",
        "Stedsnavn",
        "Aktiv",
        "Sprøyter",
        "Kanyler",
        "Røykefolie",
        "Nalokson",
        "Overdosekort",
        "Annet",
        "Kontakter",
        "Rapportert",
        "Spurt om, ikke gitt",
    ]
    expected_a, expected_b = SUMMARY[period]["OSL-A"], SUMMARY[period]["OSL-B"]
    done_a, done_b, done_c = REPORTED[period]
    assert table(sheet) == [
        ["0301", "Oslo", "OSL-A", "Testsenter", "Ja", *expected_a, done_a, None],
        ["0301", "Oslo", "OSL-B", "Testsenter", "Ja", *expected_b, done_b, None],
        # The inactive site without entries still has its row: blank, not reported.
        ["0301", "Oslo", "OSL-C", "Testsenter", "Nei", *[None] * 7, done_c, None],
    ]
    # The total sits below the filtered range, after one empty row.
    assert below(sheet) == [
        [
            None,
            None,
            "Totalt",
            None,
            None,
            *[plus(x, y) for x, y in zip(expected_a, expected_b, strict=True)],
            None,
            None,  # unmet demand: none recorded
        ],
    ]
    for row in sheet.iter_rows(min_row=8, min_col=6, max_col=12):
        for cell in row:
            assert type(cell.value) is int or cell.value is None
            assert cell.value is None or cell.number_format == "#,##0"
    assert sheet.freeze_panes == "A8"
    assert sheet.auto_filter.ref == "A7:N10"
    assert sheet["A12"].value is None
    assert sheet["C12"].value == "Totalt"
    assert sheet.column_dimensions["D"].width == 28


def test_distribution_sheet_months_as_columns_and_trend_chart(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path)
    sheet = book["Utdeling"]
    header = heading(sheet)[:10]
    months = [datetime(2025, m, 1) for m in (5, 6, 7, 8)]
    assert header == ["Kommunenr", "Sted", "Vare", "Varenavn", "Kategori", *months, "Totalt"]
    # The month headings are dates shown as "mai 2025".
    assert sheet["F7"].number_format == "[$-414]mmm yyyy"
    table = [r[:10] for r in values(sheet, 8) if r[0] is not None]
    assert len(table) == 3 * 5  # every site and item, zeros included
    rows = {(r[1], r[2]): r for r in table}
    assert rows[("OSL-A", "SYR")] == [
        "0301",
        "OSL-A",
        "SYR",
        "Vare SYR",
        "Sprøyter",
        40,
        0,  # June: A's naloxone handouts are entries, so its syringes are a reported 0
        10,
        None,  # August: no entry at A, not reported
        50,
    ]
    assert rows[("OSL-A", "NAL")][5:] == [3, 7, 0, None, 10]
    assert rows[("OSL-B", "CARD")][5:] == [3, None, None, 0, 3]
    assert rows[("OSL-C", "FOIL")][5:] == [None] * 5
    assert sum(r[9] or 0 for r in table) == 50 + 60 + 50 + 10 + 8 + 3 + 3
    for row in sheet.iter_rows(min_row=8, max_row=22, min_col=6, max_col=10):
        for cell in row:
            assert type(cell.value) is int or cell.value is None
            assert cell.value is None or cell.number_format == "#,##0"
    # The monthly trend table beside it (after one empty column); "Annet" has no figures
    # in any month, so it is left out (no all-zero or empty series in the chart).
    assert sheet.cell(row=8, column=12).value == "Måned"
    trend = [[sheet.cell(row=r, column=c).value for c in range(12, 18)] for r in range(9, 13)]
    assert trend == [
        [months[0], 48, 60, 20, 3, 3],
        [months[1], 0, 0, 0, 7, 0],
        [months[2], 10, 0, 30, 0, 0],
        [months[3], 0, 0, 0, 3, 0],
    ]
    assert sheet.cell(row=8, column=18).value is None
    assert sheet.cell(row=9, column=12).number_format == "[$-414]mmm yyyy"
    assert sheet.auto_filter.ref == "A7:J22"
    assert sheet.freeze_panes == "A8"


def test_naloxone_sheet_groups_first_refill_and_reasons(data, tmp_path):
    sheet = export(data.coordinator, "tertial", tmp_path)["Nalokson"]
    zeros7 = [0] * 7
    # The last column: handouts with training given (none in the data).
    assert table(sheet) == [
        ["0301", "OSL-A", 10, 9, 1, 0, 0, 8, 2, 2, 0, 0, 0, 0, 0, 0, 0],
        ["0301", "OSL-B", 3, 0, 0, 3, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0],
        ["0301", "OSL-C", 0, 0, 0, 0, 0, 0, 0, *zeros7, 0],
    ]
    assert below(sheet) == [[None, "Totalt", 13, 9, 1, 3, 0, 8, 5, 2, 3, 0, 0, 0, 0, 0, 0]]
    assert all(
        c.number_format == "#,##0"
        for row in sheet.iter_rows(min_row=8, min_col=3)
        for c in row
        if c.value is not None
    )


def test_switch_sheet_ratio_per_site_and_month(data, tmp_path):
    sheet = export(data.coordinator, "tertial", tmp_path)["SWITCH"]
    rows = table(sheet)
    may, june, july, august = (datetime(2025, m, 1) for m in (5, 6, 7, 8))
    assert rows[:4] == [
        ["0301", "OSL-A", may, 20, 100, 0.2],
        ["0301", "OSL-A", june, 0, 0, None],
        ["0301", "OSL-A", july, 30, 10, 3],
        ["0301", "OSL-A", august, None, None, None],  # no entry: blank
    ]
    assert rows[4] == ["0301", "OSL-B", may, 0, 8, 0]
    assert rows[5] == ["0301", "OSL-B", june, None, None, None]
    assert len(rows) == 3 * 4
    assert sheet["C8"].number_format == "[$-414]mmm yyyy"
    # The share is a fraction shown as a percentage with one decimal.
    assert sheet["F8"].number_format == "0.0 %"
    # Below the table: the grand total, then the whole period per site (C: not reported).
    assert below(sheet) == [
        [None, "Totalt", None, 50, 118, pytest.approx(50 / 118)],
        ["Hele perioden per sted", None, None, None, None, None],
        ["0301", "OSL-A", None, 50, 110, pytest.approx(50 / 110)],
        ["0301", "OSL-B", None, 0, 8, 0],
        ["0301", "OSL-C", None, None, None, None],
    ]


def test_training_sheet_sessions_participants_and_cpr_status(data, tmp_path):
    sheet = export(data.coordinator, "tertial", tmp_path)["Opplæring"]
    rows = table(sheet)
    types = 6  # cpr, first aid, naloxone, smoking technique, overdose talk, naloxone course
    assert len(rows) == 3 * types
    a_cpr = rows[0]
    assert a_cpr == ["0301", "OSL-A", "HLR", 1, 3, 0, 2, 0, 5]
    b_nal = rows[types + 2]
    assert b_nal == ["0301", "OSL-B", "Nalokson", 1, 7, 1, 0, 0, 8]
    after = below(sheet)
    totals = after[:types]
    assert totals[0] == [None, "Totalt", "HLR", 1, 3, 0, 2, 0, 5]
    assert totals[2] == [None, "Totalt", "Nalokson", 1, 7, 1, 0, 0, 8]
    assert sum(r[3] for r in rows) == 2
    assert after[types + 1][7:] == ["Måneder med HLR-kurs for brukere", "Måneder i perioden"]
    cert = after[types + 2 :]
    # lead-a's CPR runs to 2026-03-01: valid on 2025-08-31; staff-a has none. A held a CPR
    # course with users in May: 1 month out of the 4 in the tertial.
    assert cert == [
        ["0301", "OSL-A", 2, 1, 0, 0, 1, 1, 4],
        ["0301", "OSL-B", 0, 0, 0, 0, 0, 0, 4],
        ["0301", "OSL-C", 0, 0, 0, 0, 0, 0, 4],
    ]


def test_cpr_due_within_90_days_of_the_period_end_is_expiring(data, tmp_path):
    sheet = export(data.coordinator, "year", tmp_path)["Opplæring"]
    cert = [r[:7] for r in values(sheet) if r[1] == "OSL-A" and isinstance(r[2], int)]
    assert cert == [["0301", "OSL-A", 2, 0, 1, 0, 1]]
    assert [r[7:] for r in values(sheet) if r[1] == "OSL-A" and isinstance(r[2], int)] == [
        [1, 12]  # March's CPR session was for staff only; May's had users
    ]


def test_stock_sheet_on_hand_expiring_lots_and_discrepancies(data, tmp_path):
    """The Lager sheet shows stock at the end of the period (issue 21), not today's."""
    sheet = export(data.coordinator, "month", tmp_path)["Lager"]
    rows = {(r[1], r[2]): r for r in table(sheet)}
    assert len(rows) == 3 * 5
    # 500 received in January, 40 handed out on 3 May; July's and November's come later
    assert rows[("OSL-A", "SYR")][4:] == [460, 1.43, 321.7, 0, "Nei", 0, "Nei"]
    assert rows[("OSL-A", "NDL")][4] == -60
    assert rows[("OSL-A", "NDL")][10] == "Ja"
    assert rows[("OSL-A", "NAL")][4] == 37
    assert rows[("OSL-B", "CARD")][4] == -3
    assert rows[("OSL-C", "SYR")][4:] == [0, 0, None, 0, "Nei", 0, "Nei"]
    result = exports.export_summary(
        Actor(data.coordinator),
        date_from=today() - timedelta(days=10),
        date_to=today(),
        output=tmp_path / "now.xlsx",
    )
    now = {(r[1], r[2]): r for r in table(load_workbook(result.path)["Lager"])}
    assert now[("OSL-A", "SYR")][4] == 350
    assert now[("OSL-A", "NAL")][4] == 30
    assert now[("OSL-A", "NAL")][9] == 30  # the lot expires in 30 days


def test_about_sheet_names_period_filters_and_rule(data, tmp_path):
    sheet = export(data.coordinator, "month", tmp_path, external=True)["Om rapporten"]
    about = {r[0]: r[1] for r in table(sheet)}
    assert about["Fra"].date() == date(2025, 5, 1)
    assert about["Til"].date() == date(2025, 5, 31)
    assert about["Generert av"] == "Test Bruker <koord@test.no>"
    assert sheet["B8"].number_format == "DD.MM.YYYY"
    assert about["Utvalg"] == "alle steder brukeren har tilgang til (OSL-A, OSL-B, OSL-C)"
    assert about["Kommune"] == "Ingen"
    assert about["Sammenligning"] == "Ingen sammenligning"
    assert about["Lager"].startswith("Lagerarket viser beholdning ved periodens slutt")
    assert about["Til ekstern bruk"] == "Ja"
    assert "«<5»" in about["Skjermingsregel"]
    assert about["Programversjon"]
    assert about["Periodeinndeling i Utdeling"] == "Måned"  # not the code "month"


@pytest.mark.parametrize("period", PERIODS)
def test_english_headings_on_request(data, tmp_path, period):
    book = export(data.coordinator, period, tmp_path, lang="en")
    assert book.sheetnames == [
        "Summary",
        "Distribution",
        "Naloxone",
        "SWITCH",
        "Training",
        "Overdoses",
        "Referrals",
        "Returns",
        "Stock",
        "Data",
        "About",
    ]
    assert book["Summary"]["F7"].value == "Syringes"
    assert book["About"]["B8"].number_format == "YYYY-MM-DD"
    assert "Total" in heading(book["Distribution"])


def test_external_use_shows_small_person_counts_as_the_marker_and_hides_complements(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path, external=True)
    rows = table(book["Nalokson"])
    # A: groups 9/1/0/0 and first/refill 5/5: 1 is "<5"; 9, kits 10 and first 5 go as ":" so
    # that no subtraction from the visible figures gives any of them back.
    assert rows[0] == ["0301", "OSL-A", ":", ":", "<5", 0, 0, ":", "<5", "<5", 0, 0, 0, 0, 0, 0, 0]
    assert rows[1] == ["0301", "OSL-B", "<5", 0, 0, "<5", 0, 0, "<5", 0, "<5", 0, 0, 0, 0, 0, 0]
    after = below(book["Nalokson"])
    # The total row is protected too; a value hidden only to protect another is never "<5".
    total = [None, "Totalt", 13, ":", "<5", "<5", 0, ":", ":", "<5", "<5", 0, 0, 0, 0, 0, 0]
    assert after[0] == total
    assert after[1][:2] == ["<5", "1 til 4 (skjermet lite tall)"]
    assert after[2][0] == ":"
    training = book["Opplæring"]
    assert table(training)[0] == ["0301", "OSL-A", "HLR", 1, "<5", 0, "<5", 0, ":"]
    assert below(training)[0] == [None, "Totalt", "HLR", 1, "<5", 0, "<5", 0, ":"]


def test_external_export_of_one_site_suppresses_its_total_row_too(data, tmp_path):
    start, end = PERIODS["tertial"]
    result = exports.export_summary(
        Actor(data.coordinator),
        date_from=start,
        date_to=end,
        sites=["OSL-B"],
        external=True,
        output=tmp_path / "b.xlsx",
    )
    sheet = load_workbook(result.path)["Nalokson"]
    assert table(sheet) == [
        ["0301", "OSL-B", "<5", 0, 0, "<5", 0, 0, "<5", 0, "<5", 0, 0, 0, 0, 0, 0]
    ]
    total = [None, "Totalt", "<5", 0, 0, "<5", 0, 0, "<5", 0, "<5", 0, 0, 0, 0, 0, 0]
    assert below(sheet)[0] == total


def test_an_empty_period_is_blank_for_every_site_not_zero(data, tmp_path):
    result = exports.export_summary(
        Actor(data.coordinator),
        date_from=date(2024, 2, 1),
        date_to=date(2024, 2, 29),
        output=tmp_path / "empty.xlsx",
    )
    book = load_workbook(result.path)
    rows = [*table(book["Sammendrag"]), *below(book["Sammendrag"])]
    assert [r[2] for r in rows] == ["OSL-A", "OSL-B", "OSL-C", "Totalt"]
    assert all(v is None for r in rows for v in r[5:12])
    assert [r[12] for r in rows[:3]] == ["0 av 21 åpningsdager"] * 3
    assert all(r[5:7] == [None, None] for r in table(book["Utdeling"]))


def test_default_file_goes_under_the_export_dir_with_the_period_in_its_name(
    data, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    result = exports.export_summary(
        Actor(data.coordinator), date_from=date(2025, 9, 1), date_to=date(2025, 12, 31)
    )
    assert result.path.parent == tmp_path / "exports"
    assert result.filename == "sammendrag_2025-T3.xlsx"
    assert result.path.name.startswith("sammendrag_2025-T3_")
    assert not list((tmp_path / "exports").glob("*.part"))
