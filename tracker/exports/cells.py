"""Text that users typed never becomes a formula (DESIGN.md, invariant 12).

Every xlsx writer makes its cells with `cell()` (or refills a reusable one with `put()`), so
a `str` is always a text cell: openpyxl would otherwise turn "=..." into a formula and
"#N/A" into an error value. Every CSV writer passes its rows through `csv_row()`, which puts
a `'` before text starting with `=`, `+`, `-`, `@`, tab or carriage return (OWASP's advice);
the importer takes that `'` off again with `from_csv()`, so an export imports unchanged.
Numbers are never touched: -3 stays the number -3 in both formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell

# Text a spreadsheet would read as a formula (or DDE command) when it opens the CSV. A value
# that already starts with quotes before such a character gets one more, so that taking one
# off on import always gives back what was exported.
_NEUTRALISE = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def put(cell: Cell, value: Any) -> Cell:
    """Give a cell its value; text stays text (data type "s"), whatever it starts with."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def cell(sheet: Any, value: Any, number_format: str | None = None) -> Cell:
    """A write-only cell: text as text, a number or date with its number format."""
    made = put(WriteOnlyCell(sheet), value)
    if number_format and value is not None and not isinstance(value, str):
        made.number_format = number_format
    return made


def cells(sheet: Any, values: Iterable[Any]) -> list[Cell | None]:
    """A row of plain cells (None stays an empty cell)."""
    return [None if value is None else cell(sheet, value) for value in values]


def csv_cell(value: Any) -> Any:
    """A CSV field: text a spreadsheet would run as a formula gets a leading `'`."""
    if isinstance(value, str) and _NEUTRALISE.match(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def from_csv(text: str) -> str:
    """The text `csv_cell` was given: one neutralising `'` taken off, nothing else."""
    return text[1:] if _NEUTRALISED.match(text) else text
