"""A write-only worksheet with a frozen header, autofilter, widths and typed, formatted cells."""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.styles.styleable import StyleableObject
from openpyxl.utils import get_column_letter

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

    __slots__ = ("_style_id",)

    def freeze_style(self) -> None:
        self._style_id = StyleableObject.style_id.fget(self)

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
        if isinstance(value, Cell):
            cell = value
        else:
            plain.value = value
            cell = plain
        cell.column = col_idx
        cell.row = row_idx
        yield cell


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

    def __init__(self, book: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.sheet = book.create_sheet(title)
        self.columns = list(columns)
        self.sheet.freeze_panes = "A2"
        # Rows hold ready-made cells; see _stream_row (a documented openpyxl 3.1 hook point).
        self.sheet._values_to_row = types.MethodType(_stream_row, self.sheet)
        for index, column in enumerate(self.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
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
            cell = self._cell(None, bold=True)
            cell.value = value
            cells.append(cell)
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
                cell.value = value
                row.append(cell)
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
    """A single formatted cell for rows outside a Table's columns."""
    cell = WriteOnlyCell(sheet, value=value)
    if number_format and value is not None and not isinstance(value, str):
        cell.number_format = number_format
    return cell
