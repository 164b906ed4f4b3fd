"""The reorder list as an xlsx workbook: plain rows in, bytes out (no queries here)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from tracker.exports.cells import cell as make_cell

HEADINGS = {
    "nb": [
        "Sted",
        "Vare",
        "Varenavn",
        "Brukbart på lager",
        "Underveis",
        "Bestillingsnivå",
        "Målnivå",
        "Forbruk per dag (28 d)",
        "Dager igjen",
        "Foreslått bestilling",
    ],
    "en": [
        "Site",
        "Item",
        "Item name",
        "Usable on hand",
        "In transit",
        "Reorder level",
        "Target level",
        "Daily usage (28 d)",
        "Days left",
        "Suggested order",
    ],
}
WIDTHS = [12, 14, 32, 12, 11, 12, 11, 14, 11, 14]
FORMATS = [None, None, None, "# ##0", "# ##0", "# ##0", "# ##0", "0.0", "0.0", "# ##0"]


def build(
    rows: Iterable[Sequence[str | float | None]], generated_on: date, lang: str = "nb"
) -> bytes:
    """One sheet, a frozen bold header row with an autofilter, numbers as numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Bestilling" if lang == "nb" else "Reorder")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    header = []
    for title in HEADINGS[lang]:
        cell = make_cell(sheet, title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([make_cell(sheet, v, f) for v, f in zip(row, FORMATS, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:J{count + 1}"
    book.properties.title = f"Bestillingsliste {generated_on.isoformat()}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
