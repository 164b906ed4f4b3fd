"""A write-only worksheet with a frozen header, autofilter, widths and typed, formatted cells."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lxml.etree import fromstring
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.styles.styleable import StyleableObject
from openpyxl.utils import get_column_letter

from tracker.exports.cells import cell as text_safe_cell
from tracker.exports.cells import put

INTEGER = "#,##0"
DECIMAL = "#,##0.0"
RATIO = "0.00"
TEXT = "@"
DATE_FORMATS = {"nb": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
BOLD = Font(bold=True)


class StreamCell(Cell):
    """A reusable styled cell: one per column, its value changed for every row.

    Its style never changes after the table is set up, so its style id is looked up once
    rather than for every cell written (openpyxl hashes the style on each lookup).
    """

    __slots__ = ("_style_id", "_s")

    def freeze_style(self) -> None:
        self._style_id = StyleableObject.style_id.fget(self)
        # The XML attribute openpyxl writes for a styled cell (none for the default style).
        self._s = f' s="{self._style_id}"' if self.has_style else ""

    @property
    def style_id(self) -> int:
        return self._style_id

    def __repr__(self) -> str:
        return "<StreamCell>"


def _stream_row(sheet: Any, values: Sequence[Any], row_idx: int) -> Iterator[Cell]:
    """openpyxl's write-only row conversion, without its cost for ready-made cells.

    The stock version first tries to bind every Cell as a value (and fails with an error
    message) and then allocates a fresh cell after each styled one. Rows from Table hold
    StreamCells or plain values, so: cells are positioned and passed on, None is skipped,
    and anything else goes through one plain WriteOnlyCell as before.
    """
    plain = WriteOnlyCell(sheet)
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        cell = value if isinstance(value, Cell) else put(plain, value)
        cell.column = col_idx
        cell.row = row_idx
        yield cell


XML_SPECIAL = re.compile("[&<>\r]")  # what XML text must escape (\r would be read as \n)
XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _escape(match: re.Match[str]) -> str:
    return XML_ESCAPES[match.group()]


class RowWriter:
    """Writes a write-only sheet's rows as openpyxl does, byte for byte, at less cost per cell.

    openpyxl writes each cell through lxml's incremental writer: three nested elements and
    their context managers per cell. This formats the row's XML as one string, has lxml
    parse it (in C) and writes the row element once; lxml serialises it exactly as openpyxl
    would have. Plain values (text, int, float) and StreamCells holding a plain number take
    this path; a row with anything else (dates, styled text, booleans, NaN, empty rows)
    goes through openpyxl's own row writer unchanged.
    """

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        sheet._get_writer()  # writes the sheet's head: widths and panes must be set before
        self.fallback = sheet._writer.write_row
        self.letters = [get_column_letter(n) for n in range(1, 101)]
        sheet._values_to_row = lambda values, row_idx: values
        sheet._writer.write_row = self.write_row

    def write_row(self, xf: Any, values: Sequence[Any], row_idx: int) -> None:
        xml = self._row_xml(values, str(row_idx)) if len(values) <= 100 else None
        if xml is None:
            self.fallback(xf, _stream_row(self.sheet, values, row_idx), row_idx)
        else:
            xf.write(fromstring(xml))

    def _row_xml(self, values: Sequence[Any], number: str) -> str | None:
        parts = [f'<row r="{number}">']
        letters = self.letters
        for index, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            style = ""
            if kind is StreamCell and value.data_type == "n":
                style, value = value._s, value._value
                kind = type(value)
            if kind is str and not style:
                if not value or ILLEGAL_CHARACTERS_RE.search(value):
                    return None  # "" is written differently; illegal text raises in openpyxl
                space = ' xml:space="preserve"' if value != value.strip() else ""
                if XML_SPECIAL.search(value):
                    value = XML_SPECIAL.sub(_escape, value)
                cell = letters[index] + number
                parts.append(f'<c r="{cell}" t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif (kind is int or kind is float) and value - value == 0:
                cell = letters[index] + number
                parts.append(f'<c r="{cell}"{style} t="n"><v>{value:.16g}</v></c>')
            else:
                return None
        if len(parts) == 1:
            return None  # an empty row: openpyxl writes <row r=".."></row>
        parts.append("</row>")
        return "".join(parts)


@dataclass(frozen=True)
class Column:
    """A column's heading, width (characters) and number format (None for plain text)."""

    heading: str
    width: float = 12
    number_format: str | None = None


class Table:
    """Rows streamed into one write-only sheet; one reusable styled cell per column.

    Write-only sheets serialise each row as it is appended, so a styled cell can be reused
    for the next row: no cell objects pile up and memory stays flat.
    """

    def __init__(
        self,
        book: Workbook,
        title: str,
        columns: Sequence[Column],
        side_widths: Sequence[float] = (),
    ) -> None:
        """`side_widths`: widths of columns beside the table, after one empty column."""
        self.sheet = book.create_sheet(title)
        self.columns = list(columns)
        self.sheet.freeze_panes = "A2"
        for index, column in enumerate(self.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        for index, width in enumerate(side_widths, len(self.columns) + 2):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.writer = RowWriter(self.sheet)
        self._cells = [self._cell(c.number_format) for c in self.columns]
        self.rows = 0
        self.filter_rows = 0
        self.heading_row([c.heading for c in self.columns])

    def _cell(self, number_format: str | None, bold: bool = False) -> Cell:
        cell = StreamCell(self.sheet)
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = BOLD
        cell.freeze_style()
        return cell

    def heading_row(self, values: Sequence[Any]) -> None:
        cells = []
        for value in values:
            cells.append(put(self._cell(None, bold=True), value))
        self.sheet.append(cells)
        self.rows += 1

    def append(self, values: Sequence[Any], extra: Sequence[Any] = ()) -> None:
        """One data row; `extra` cells go after a gap column (e.g. a chart's data)."""
        row: list[Any] = []
        for cell, value in zip(self._cells, values, strict=True):
            kind = type(value)
            if kind is int or kind is float:
                # The hot path: a number into its column's styled cell, without openpyxl's
                # general type dispatch (the value is already a plain number).
                cell._value, cell.data_type = value, "n"
                row.append(cell)
            elif value is None or kind is str:
                row.append(value)  # text (also a suppression marker) keeps no number format
            else:
                row.append(put(cell, value))
        if extra:
            row.append(None)
            row.extend(extra)
        self.sheet.append(row)
        self.rows += 1

    def blank(self) -> None:
        self.sheet.append([])
        self.rows += 1

    def end_filter(self) -> None:
        """The autofilter covers the header and the rows written so far."""
        self.filter_rows = self.rows

    def close(self) -> None:
        last = self.filter_rows or self.rows
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{last}"


def styled(sheet: Any, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    """A single formatted cell for rows outside a Table's columns (text stays text)."""
    return text_safe_cell(sheet, value, number_format)
