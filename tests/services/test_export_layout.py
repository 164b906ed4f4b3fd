"""The workbook explains itself and prints: intro lines, print setup, dates, filters, chart,
SWITCH share, the Data sheet for pivot tables, and a wholly English file on request."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from tests import reports_data
from tests.factories import make_site
from tests.services.test_exports import PERIODS, below, export, filter_rows, heading, table
from tracker.exports import data_sheet, distribution_csv
from tracker.exports.figures import ratio, total
from tracker.services import exports
from tracker.services.access import Actor

CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@pytest.fixture
def data(app):
    return reports_data.build()


def test_every_sheet_opens_with_title_period_filter_units_and_definitions(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path)
    for sheet in book.worksheets:
        head, _ = filter_rows(sheet)
        lines = [sheet.cell(row=r, column=1).value for r in range(1, head)]
        assert lines[0], sheet.title
        assert sheet["A1"].font.bold
        assert lines[1] == "Periode: 01.05.2025–31.08.2025", sheet.title
        assert lines[2] == "Utvalg: alle steder brukeren har tilgang til (OSL-A, OSL-B, OSL-C)"
        assert lines[3].startswith(("Enhet", "Hva rapporten")), sheet.title
        if sheet.title != "Om rapporten":
            assert lines[4].startswith(("Definisjoner:", "Mål:")), sheet.title
        assert lines[-1] is None  # one empty row before the table's heading


def test_the_filter_line_names_the_municipality_or_the_sites_chosen(data, tmp_path):
    start, end = PERIODS["month"]
    one = exports.export_summary(
        Actor(data.coordinator),
        date_from=start,
        date_to=end,
        municipality="0301",
        output=tmp_path / "m.xlsx",
    )
    sheet = load_workbook(one.path)["SWITCH"]
    assert sheet["A3"].value == "Utvalg: kommune 0301 Oslo, alle stedene der (OSL-A, OSL-B, OSL-C)"
    two = exports.export_summary(
        Actor(data.admin),
        date_from=start,
        date_to=end,
        sites=["OSL-B", "BGO-D"],
        output=tmp_path / "s.xlsx",
    )
    book = load_workbook(two.path)
    assert book["Sammendrag"]["A3"].value == "Utvalg: stedene OSL-B, BGO-D"  # in report order
    about = {r[0]: r[1] for r in table(book["Om rapporten"])}
    assert about["Steder"] == "OSL-B, BGO-D"
    assert about["Kommune"] == "Ingen"


def test_every_sheet_prints_a4_landscape_one_page_wide_with_the_heading_repeated(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path)
    for sheet in book.worksheets:
        head, _ = filter_rows(sheet)
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert setup.paperSize == 9  # A4
        assert setup.fitToWidth == 1
        assert setup.fitToHeight == 0  # as many pages down as it takes
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.print_title_rows == f"$1:${head}"
        assert sheet.freeze_panes == f"A{head + 1}"
        assert heading(sheet)[0]  # the frozen row is the table's heading


def test_months_are_date_cells_shown_as_short_month_and_year(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path)
    switch = book["SWITCH"]
    head, _ = filter_rows(switch)
    cell = switch.cell(row=head + 1, column=3)
    assert cell.value == datetime(2025, 5, 1)
    assert cell.is_date
    assert cell.number_format == "[$-414]mmm yyyy"  # "mai 2025"
    english = export(data.coordinator, "tertial", tmp_path / "en", lang="en")["SWITCH"]
    assert english.cell(row=head + 1, column=3).number_format == "[$-809]mmm yyyy"  # "May 2025"
    data_sheet = book["Data"]
    assert data_sheet.cell(row=head + 1, column=4).is_date


@pytest.mark.parametrize("name", ["Sammendrag", "Nalokson", "SWITCH", "Opplæring"])
def test_totals_sit_below_the_autofilter_range(data, tmp_path, name):
    sheet = export(data.coordinator, "tertial", tmp_path)[name]
    inside = [r[1] for r in table(sheet)] + [r[2] for r in table(sheet)]
    assert "Totalt" not in inside
    _, last = filter_rows(sheet)
    assert all(v is None for v in values_of(sheet, last + 1))  # one empty row between
    assert "Totalt" in [v for r in below(sheet) for v in r[:3]]


def values_of(sheet, row: int) -> list:
    return [c.value for c in sheet[row]]


def _chart_xml(path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as archive:
        [name] = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        return ElementTree.fromstring(archive.read(name))  # noqa: S314 (our own file)


def test_the_chart_has_straight_lines_titled_visible_axes_and_keeps_filtered_data(data, tmp_path):
    start, end = PERIODS["tertial"]
    result = exports.export_summary(
        Actor(data.coordinator), date_from=start, date_to=end, output=tmp_path / "c.xlsx"
    )
    chart = _chart_xml(result.path)
    series = chart.findall(f".//{CHART}ser")
    # Five categories have figures; "Annet" is zero in every month and has no line.
    assert len(series) == 5
    for line in series:
        assert line.find(f"{CHART}smooth").get("val") == "0"
    for axis in (f"{CHART}catAx", f"{CHART}valAx"):
        found = chart.find(f".//{axis}")
        assert found.find(f"{CHART}delete").get("val") == "0"
        title = "".join(t.text or "" for t in found.iter(f"{DRAWING}t"))
        assert title in ("Måned", "Antall")
    assert chart.find(f".//{CHART}plotVisOnly").get("val") == "0"


def test_switch_share_is_a_fraction_shown_as_a_percentage_with_one_decimal(app, tmp_path):
    data = reports_data.build()
    site = make_site("OSL-S", "0301")
    reports_data.tally(data.admin, site, date(2025, 6, 2), 3, SYR=1500, NDL=500, FOIL=7)
    result = exports.export_summary(
        Actor(data.admin),
        date_from=date(2025, 6, 1),
        date_to=date(2025, 6, 30),
        sites=["OSL-S"],
        output=tmp_path / "s.xlsx",
    )
    sheet = load_workbook(result.path)["SWITCH"]
    [row] = table(sheet)
    assert row[3:] == [7, 2000, pytest.approx(0.0035)]  # shows as 0.4 % (0,4 % in Norway)
    head, _ = filter_rows(sheet)
    assert sheet.cell(row=head + 1, column=6).number_format == "0.0 %"
    whole = below(sheet)[-1]
    assert whole[1] == "OSL-S"
    assert whole[5] == pytest.approx(0.0035)


def _data_rows(sheet) -> list[dict]:
    names = heading(sheet)
    return [dict(zip(names, row, strict=True)) for row in table(sheet)]


def test_the_data_sheet_adds_up_to_the_distribution_sheet(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path)
    rows = _data_rows(book["Data"])
    assert list(rows[0]) == [
        "Sted",
        "Kommune",
        "Type sted",
        "Periodestart",
        "Varekategori",
        "Vare",
        "Mål",
        "Verdi",
        "Status",
    ]
    handed_out = [r for r in rows if r["Mål"] == "Utdelt"]
    assert len(handed_out) == 3 * 4 * 5  # site x month x item
    utdeling = table(book["Utdeling"])
    # Empty cells (not reported) count as nothing, as SUM does in a spreadsheet.
    assert sum(r["Verdi"] or 0 for r in handed_out) == sum(r[9] or 0 for r in utdeling)
    for line in utdeling:
        mine = [
            r["Verdi"]
            for r in handed_out
            if r["Sted"] == line[1] and r["Vare"] == (f"{line[2]} {line[3]}")
        ]
        assert [r for r in mine if r is not None] == [q for q in line[5:9] if q is not None]
    contacts = sum(r["Verdi"] or 0 for r in rows if r["Mål"] == "Kontakter")
    summary = book["Sammendrag"]
    assert contacts == below(summary)[0][heading(summary).index("Kontakter")]
    assert all(isinstance(r["Periodestart"], datetime) for r in rows)
    # Internal: nothing is hidden; a blank value is one that was not reported.
    assert {r["Status"] for r in rows} == {None, "ikke rapportert"}
    assert all((r["Verdi"] is None) == (r["Status"] is not None) for r in rows)


def test_a_protected_value_in_the_data_sheet_is_blank_with_its_status(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path, external=True)
    rows = _data_rows(book["Data"])
    kits = {
        (r["Sted"], r["Mål"]): (r["Verdi"], r["Status"])
        for r in rows
        if r["Varekategori"] == "Nalokson" and r["Vare"] is None
    }
    # As on the Nalokson sheet: A's 1 relative is "<5"; its 9 pwud hidden as ":".
    assert kits[("OSL-A", "Sett: Pårørende")] == (None, "<5")
    assert kits[("OSL-A", "Sett: Brukere")] == (None, ":")
    assert kits[("OSL-A", "Sett: Andre")] == (0, None)
    shown = table(book["Nalokson"])[0]
    assert shown[3:5] == [":", "<5"]
    # A blank value never breaks a sum: the column holds numbers and empty cells only.
    assert all(r["Verdi"] is None or isinstance(r["Verdi"], int) for r in rows)
    assert all((r["Verdi"] is None) == (r["Status"] is not None) for r in rows)


def test_the_comparison_adds_the_same_period_a_year_earlier(data, tmp_path):
    result = exports.export_summary(
        Actor(data.coordinator),
        date_from=date(2026, 5, 1),
        date_to=date(2026, 8, 31),
        compare=True,
        output=tmp_path / "c.xlsx",
    )
    book = load_workbook(result.path)
    sheet = book["Data"]
    assert sheet["A6"].value == "Sammenlignet med samme periode året før: 01.05.2025–31.08.2025"
    rows = _data_rows(sheet)
    assert heading(sheet)[-2:] == ["Verdi året før", "Status året før"]
    handed_out = [r for r in rows if r["Mål"] == "Utdelt"]
    assert sum(r["Verdi"] or 0 for r in handed_out) == 0  # nothing in 2026
    assert sum(r["Verdi året før"] or 0 for r in handed_out) == 50 + 60 + 50 + 10 + 8 + 3 + 3
    may_a = {
        r["Vare"]: r["Verdi året før"]
        for r in handed_out
        if r["Sted"] == "OSL-A" and r["Periodestart"] == datetime(2026, 5, 1)
    }
    assert may_a["SYR Vare SYR"] == 40  # the first bucket: May 2025
    assert {r["Periodestart"] for r in handed_out} == {datetime(2026, m, 1) for m in (5, 6, 7, 8)}
    about = {r[0]: r[1] for r in table(book["Om rapporten"])}
    assert about["Sammenligning"] == "01.05.2025–31.08.2025"


def test_a_year_earlier_keeps_whole_months_whole():
    assert exports.a_year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert exports.a_year_before(date(2025, 2, 28), month_end=True) == date(2024, 2, 29)
    assert exports.a_year_before(date(2025, 6, 15)) == date(2024, 6, 15)


def test_stock_at_the_period_end_goes_into_external_files_too(data, tmp_path):
    external = export(data.coordinator, "month", tmp_path / "e", external=True)
    assert external.sheetnames[-3:] == ["Lager", "Data", "Om rapporten"]
    assert external["Lager"]["A1"].value == "Lager: beholdning ved periodens slutt"


# Words a bokmål label would bring into the English file; data (names of people) aside.
NORWEGIAN = re.compile(
    r"[æøåÆØÅ]|\b(og|alle|steder|sted|måned|kommune|periode|utvalg|ingen|ja|nei|tom|enheter|"
    r"generert|lager|skjerming|sammenligning|kilde|felt|verdi|fra|til|ikke)\b",
    re.IGNORECASE,
)


def test_the_english_file_has_no_norwegian_words_in_about_or_any_intro(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path, lang="en", external=True)
    about = book["About"]
    for row in about.iter_rows(values_only=True):
        label, value = row[:2]
        texts = [label] if label == "Generated by" else [label, value]
        for text in texts:
            if isinstance(text, str):
                assert not NORWEGIAN.search(text), text
    for sheet in book.worksheets:
        head, _ = filter_rows(sheet)
        for row in range(1, head + 1):
            for cell in sheet[row]:
                if isinstance(cell.value, str):
                    assert not NORWEGIAN.search(cell.value), (sheet.title, cell.value)


def test_not_reported_figures_are_empty_never_zero():
    assert total([None, None]) is None
    assert total([None, 3, 0]) == 3
    assert ratio(None, 10) is None
    assert ratio(1, None) is None
    assert ratio(1, 0) is None
    row = {
        "site": "A",
        "site_name": "A",
        "municipality": "0301",
        "category": "syringe",
        "bucket": "2026-01",
        "from": date(2026, 1, 1),
        "to": date(2026, 1, 31),
        "quantity": None,
    }
    text = "".join(distribution_csv.lines([row]))
    assert text.splitlines()[1] == "A;A;0301;Sprøyter;2026-01;2026-01-01;2026-01-31;"


def test_the_data_sheet_falls_back_to_months_rather_than_pass_excels_row_limit(
    data, tmp_path, monkeypatch
):
    monkeypatch.setattr(data_sheet, "MAX_ROWS", 100)  # as if days over years at many sites
    book = export(data.coordinator, "tertial", tmp_path, by="day", compare=True)
    assert len(heading(book["Utdeling"])) > 100  # one column per day there
    rows = _data_rows(book["Data"])
    starts = {r["Periodestart"] for r in rows if r["Mål"] == "Utdelt"}
    assert starts == {datetime(2025, m, 1) for m in (5, 6, 7, 8)}
    handed_out = [r["Verdi"] or 0 for r in rows if r["Mål"] == "Utdelt"]
    assert sum(handed_out) == 50 + 60 + 50 + 10 + 8 + 3 + 3


def test_the_data_sheet_hides_exactly_what_the_naloxone_sheet_hides(data, tmp_path):
    book = export(data.coordinator, "tertial", tmp_path, external=True)
    headings = heading(book["Nalokson"])[2:]
    on_sheet = {
        (row[1], name): value
        for row in table(book["Nalokson"])
        for name, value in zip(headings, row[2:], strict=True)
    }
    in_data = {}
    for r in _data_rows(book["Data"]):
        if r["Varekategori"] == "Nalokson" and r["Vare"] is None:
            name = r["Mål"].removeprefix("Sett: ")
            in_data[(r["Sted"], name)] = r["Status"] if r["Verdi"] is None else r["Verdi"]
    assert in_data == on_sheet


def test_many_sites_are_shortened_in_the_intro_but_all_named_in_about(app, tmp_path):
    data = reports_data.build()
    for number in range(20):
        make_site(f"OSL-{number:02d}", "0301")
    start, end = PERIODS["month"]
    result = exports.export_summary(
        Actor(data.coordinator),
        date_from=start,
        date_to=end,
        municipality="0301",
        output=tmp_path / "many.xlsx",
    )
    book = load_workbook(result.path)
    line = book["Sammendrag"]["A3"].value
    assert line.startswith("Utvalg: kommune 0301 Oslo, alle stedene der (OSL-00, OSL-01")
    assert line.endswith("og 8 til)")  # 23 sites: 15 named
    about = {r[0]: r[1] for r in table(book["Om rapporten"])}
    assert len(about["Steder"].split(", ")) == 23
