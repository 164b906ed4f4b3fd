"""A write-only worksheet with a frozen header, autofilter, widths and typed, formatted cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracker.exports.cells import cell as text_safe_cell
from tracker.exports.cells import put

INTEGER = "#,##0"
DECIMAL = "#,##0.0"
RATIO = "0.00"
TEXT = "@"
DATE_FORMATS = {"nb": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    """A column's heading, width (characters) and number format (None for plain text)."""

    heading: str
    width: float = 12
    number_format: str | None = None


class Table:
    """Rows streamed into one write-only sheet; reusable cells per column.

    Write-only sheets serialise each row as it is appended (`ws.append`), so a column's
    styled number cell and its text cell can be reused for the next row: no cell objects
    pile up and memory stays flat. Text is always written as text, never as a formula.
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
        self._cells = [self._cell(c.number_format) for c in self.columns]
        self._texts = [WriteOnlyCell(self.sheet) for _ in self.columns]
        self.rows = 0
        self.filter_rows = 0
        self.heading_row([c.heading for c in self.columns])

    def _cell(self, number_format: str | None, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet)
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = BOLD
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
        for cell, text, value in zip(self._cells, self._texts, values, strict=True):
            if value is None:
                row.append(None)
            elif type(value) is str:
                # Text (also a suppression marker) keeps no number format and stays text.
                row.append(put(text, value))
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
