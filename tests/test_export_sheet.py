"""tracker/exports/sheet.py's Table: typed, formatted cells through openpyxl's write-only API."""

from __future__ import annotations

import zipfile

from openpyxl import Workbook, load_workbook

from tracker.exports.sheet import DECIMAL, INTEGER, Column, Table, styled

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
