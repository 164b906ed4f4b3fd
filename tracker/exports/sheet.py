"""A write-only worksheet that explains itself and prints: an intro block, a frozen header,
an autofilter over the table rows only, widths, typed and formatted cells, A4 landscape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from tracker.exports.cells import cell as text_safe_cell
from tracker.exports.cells import put

INTEGER = "#,##0"
DECIMAL = "#,##0.0"
RATIO = "0.00"
PERCENT = "0.0 %"
TEXT = "@"
DATE_FORMATS = {"nb": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
# A month as a real date shown "jan. 2026": the locale tag makes Excel and LibreOffice use
# Norwegian (0x414) or British English (0x809) month names whatever the reader's own locale.
# Norwegian short month names already end in "." where they are shortened ("jan.", "mai").
MONTH_FORMATS = {"nb": "[$-414]mmm yyyy", "en": "[$-809]mmm yyyy"}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
LINE_HEIGHT = 13.5  # points per line of 11-point text
A4 = 9  # the paperSize code of A4 in SpreadsheetML
# Long headings wrap inside their column (the row grows) instead of being cut off.
HEADING = Alignment(wrap_text=True, vertical="bottom")
HEADING_RIGHT = Alignment(wrap_text=True, vertical="bottom", horizontal="right")
LEFT = Alignment(horizontal="left")


@dataclass(frozen=True)
class Column:
    """A column's heading, width (characters) and number format (None for plain text)."""

    heading: Any
    width: float = 12
    number_format: str | None = None
    heading_format: str | None = None  # e.g. a month heading that is a date cell


def month_format(lang: str) -> str:
    return MONTH_FORMATS.get(lang, MONTH_FORMATS["nb"])


class Table:
    """Rows streamed into one write-only sheet; reusable cells per column.

    The sheet opens with `intro` (title, period, filter, units, definitions), a blank row,
    then the table's heading row, which is frozen and repeated on every printed page. Write-
    only sheets serialise each row as it is appended, so a column's styled cells are reused
    for the next row: no cell objects pile up and memory stays flat. Text stays text.
    """

    def __init__(
        self,
        book: Workbook,
        title: str,
        columns: Sequence[Column],
        side_widths: Sequence[float] = (),
        intro: Sequence[str] = (),
    ) -> None:
        """`side_widths`: widths of columns beside the table, after one empty column."""
        self.sheet = book.create_sheet(title)
        self.columns = list(columns)
        self.header_row = len(intro) + 2 if intro else 1
        self.sheet.freeze_panes = f"A{self.header_row + 1}"
        for index, column in enumerate(self.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        for index, width in enumerate(side_widths, len(self.columns) + 2):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        _print_setup(self.sheet, self.header_row)
        self._cells = [self._cell(c.number_format) for c in self.columns]
        self._texts = [WriteOnlyCell(self.sheet) for _ in self.columns]
        self.rows = 0
        self.filter_rows = 0
        for number, line in enumerate(intro):
            self.sheet.append([self._line(line, TITLE if number == 0 else None)])
            self.rows += 1
        if intro:
            self.blank()
        self.heading_row([c.heading for c in self.columns], [c.heading_format for c in columns])

    def _cell(self, number_format: str | None, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet)
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = BOLD
            cell.alignment = HEADING
        return cell

    def _line(self, text: str, font: Font | None) -> WriteOnlyCell:
        made = put(WriteOnlyCell(self.sheet), text)
        if font is not None:
            made.font = font
        return made

    def heading_row(
        self,
        values: Sequence[Any],
        formats: Sequence[str | None] = (),
        numeric: Sequence[bool] | None = None,
    ) -> None:
        """A bold heading row; long headings wrap and the row is made tall enough for them
        (neither Excel nor LibreOffice reliably grows a wrapped row by itself). Headings of
        numeric columns (by default: columns with a number format) sit right, over the figures."""
        if numeric is None:
            numeric = [c.number_format is not None for c in self.columns]
        cells = []
        padded = [*formats, *[None] * (len(values) - len(formats))]
        for index, (value, number_format) in enumerate(zip(values, padded, strict=True)):
            made = self._cell(None, bold=True)
            if index < len(numeric) and numeric[index]:
                made.alignment = HEADING_RIGHT
            if number_format and value is not None and not isinstance(value, str):
                made.number_format = number_format
            cells.append(put(made, value))
        widths = [c.width for c in self.columns]
        lines = max(
            (
                wrapped_lines(v, w)
                for v, w in zip(values, widths, strict=False)
                if isinstance(v, str)
            ),
            default=1,
        )
        if lines > 1:
            self.sheet.row_dimensions[self.rows + 1].height = LINE_HEIGHT * lines
        self.sheet.append(cells)
        self.rows += 1

    def append(self, values: Sequence[Any], extra: Sequence[Any] = ()) -> None:
        """One data row; None is an empty cell; `extra` cells go after a gap column."""
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
        """The autofilter covers the heading and the rows written so far; totals come after,
        below one empty row, so sorting or filtering the table leaves them where they are."""
        if not self.filter_rows:
            self.filter_rows = self.rows

    def section(self, title: str) -> None:
        """A bold heading of a second block below the table (not wrapped: it runs on)."""
        self.sheet.append([self._line(title, BOLD)])
        self.rows += 1

    def note(self, *values: Any) -> None:
        """A row of text cells outside the table (a legend, a heading of a second block)."""
        self.sheet.append([text_safe_cell(self.sheet, v) for v in values])
        self.rows += 1

    def close(self) -> None:
        last = max(self.filter_rows or self.rows, self.header_row)
        self.sheet.auto_filter.ref = (
            f"A{self.header_row}:{get_column_letter(len(self.columns))}{last}"
        )


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a column `width` characters wide, wrapped at spaces
    (bold text is about a tenth wider than the width unit)."""
    room = max(int((width - 1) / 1.1), 1)
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _print_setup(sheet: Any, header_row: int) -> None:
    """A4 landscape, one page wide (as many pages down as needed), the heading repeated."""
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_title_rows = f"1:{header_row}"


def styled(sheet: Any, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    """A single formatted cell for rows outside a Table's columns (text stays text)."""
    return text_safe_cell(sheet, value, number_format)
