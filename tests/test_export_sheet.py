"""tracker/exports/sheet.py's Table: typed, formatted cells through openpyxl's write-only API."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from tracker import periods
from tracker.exports.data_sheet import data_sheet
from tracker.exports.figures import SummaryData
from tracker.exports.sheet import DECIMAL, INTEGER, Column, Table, styled
from tracker.exports.sheets import distribution_sheet
from tracker.services.reports import DistributionReport, ItemInfo, Scope, SiteInfo

ROWS = [
    ["0301", "S&<>001 tab\tend", 12, 1.5, None, " space ", 2**60],
    ["line\r\nbreak", "Sprøyter €", 0, 0.1 + 0.2, -3, "=1+1", 12345678901234567],
    [None, None, None, None, None, None, None],
    ["x", "y", 1e300, 2, True, "", 7],
    [],
]


def _write(path) -> None:
    book = Workbook(write_only=True)
    columns = [Column("a"), Column("b"), Column("n", 10, INTEGER), Column("d", 10, DECIMAL)]
    columns += [Column("i", 10, INTEGER), Column("t"), Column("big", 10, INTEGER)]
    table = Table(book, "T", columns, side_widths=[10, 14])
    for row in ROWS:
        if row:
            table.append(row, extra=[styled(table.sheet, "side"), styled(table.sheet, 5, INTEGER)])
        else:
            table.blank()
    table.close()
    book.save(path)


def test_table_rows_read_back_with_their_types_and_formats(tmp_path):
    _write(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx")["T"]
    assert [c.value for c in sheet[1]][:7] == ["a", "b", "n", "d", "i", "t", "big"]
    assert sheet["A1"].font.bold
    first = sheet[2]
    assert [c.value for c in first[:7]] == ROWS[0]
    assert first[2].number_format == INTEGER
    assert first[3].number_format == DECIMAL
    assert first[0].data_type == "s"
    assert first[2].data_type == "n"
    assert [c.value for c in sheet[2][8:10]] == ["side", 5]
    assert sheet["B3"].value == "Sprøyter €"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G6"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    _write(tmp_path / "t.xlsx")
    cell = load_workbook(tmp_path / "t.xlsx")["T"]["F3"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_side_widths_are_written(tmp_path):
    _write(tmp_path / "t.xlsx")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b'<col width="14" customWidth="1" min="10" max="10"/>' in xml


def _figures(report_cells: dict, per_item: dict) -> SummaryData:
    """A hand-made SummaryData: one site, one item, January and February 2026."""
    site = SiteInfo(1, "S1", "Sted 1", "annet", True, "0301", "Oslo")
    item = ItemInfo(10, "SYR", "Sprøyte", "Syringe", "syringe", "stk", True)
    scope = Scope(date(2026, 1, 1), date(2026, 2, 28), [site])
    report = DistributionReport(
        scope,
        "month",
        periods.buckets(scope.start, scope.end, "month"),
        ("syringe",),
        report_cells,
        {},
        per_item,
        [item],
    )
    return SummaryData(
        lang="nb",
        start=scope.start,
        end=scope.end,
        external=False,
        threshold=5,
        generated_at=datetime(2026, 3, 1, 12, 0),
        generated_by=None,
        app_version="test",
        sites=[site],
        items=[item],
        distribution=report,
        monthly=report,
    )


def test_a_figure_not_reported_is_an_empty_cell_and_says_so_in_the_data_sheet(tmp_path):
    # January was not reported (None, as the data layer gives it); February was 5.
    data = _figures(
        {(1, "syringe", "2026-02"): 5}, {(1, 10, "2026-01"): None, (1, 10, "2026-02"): 5}
    )
    book = Workbook(write_only=True)
    distribution_sheet(book, data)
    data_sheet(book, data)
    book.save(tmp_path / "n.xlsx")
    read = load_workbook(tmp_path / "n.xlsx")
    utdeling = read["Utdeling"]
    assert [c.value for c in utdeling[8]][:7] == [
        "0301",
        "S1",
        "SYR",
        "Sprøyte",
        "Sprøyter",
        None,
        5,
    ]
    assert utdeling["H8"].value == 5  # the row total counts what was reported
    rows = [list(r) for r in read["Data"].iter_rows(min_row=8, values_only=True)]
    january = [r for r in rows if r[3] == datetime(2026, 1, 1) and r[6] == "Utdelt"]
    assert january == [
        [
            "S1",
            "0301 Oslo",
            "Annet",
            datetime(2026, 1, 1),
            "Sprøyter",
            "SYR Sprøyte",
            "Utdelt",
            None,
            "ikke rapportert",
        ]
    ]
