"""The fast row writer of tracker/exports/sheet.py writes what openpyxl itself would."""

from __future__ import annotations

import zipfile

from openpyxl import Workbook

from tracker.exports import sheet as module
from tracker.exports.sheet import DECIMAL, INTEGER, Column, Table, styled

ROWS = [
    ["0301", "S&<>001 tab\tend", 12, 1.5, None, " space ", 2**60],
    ["line\r\nbreak", "Sprøyter €", 0, 0.1 + 0.2, -3, "ok", 12345678901234567],
    [None, None, None, None, None, None, None],
    ["x", "y", float("nan"), 1e300, True, "", 7],
    [],
]


def _sheet_xml(path, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


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


def test_fast_rows_are_byte_for_byte_openpyxls(tmp_path, monkeypatch):
    _write(tmp_path / "fast.xlsx")
    monkeypatch.setattr(module.RowWriter, "_row_xml", lambda self, values, number: None)
    _write(tmp_path / "openpyxl.xlsx")
    fast = _sheet_xml(tmp_path / "fast.xlsx")
    assert fast == _sheet_xml(tmp_path / "openpyxl.xlsx")
    assert b'<col width="14" customWidth="1" min="10" max="10"/>' in fast  # side widths
