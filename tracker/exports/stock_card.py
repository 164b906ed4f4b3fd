"""The stock card (movement report) as an xlsx workbook: plain rows in, bytes out."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracker.exports.cells import cell as make_cell

HEADINGS = {
    "nb": ["Vare", "Varenavn", "Inngående", "Mottak", "Overført inn", "Overført ut", "Utdelt",
           "Kassert", "Tellingsavvik", "Korreksjoner", "Brukt ved overdose", "Utgående"],
    "en": ["Item", "Item name", "Opening", "Receipts", "Transfers in", "Transfers out",
           "Distribution", "Discards", "Count adjustments", "Corrections", "Used on site",
           "Closing"],
}  # fmt: skip
WIDTHS = [14, 32, 12, 11, 12, 12, 11, 10, 13, 12, 12, 12]
COUNT = "# ##0;-# ##0"


def build(
    rows: Iterable[Sequence[str | int]],
    site: str,
    date_from: date,
    date_to: date,
    lang: str = "nb",
) -> bytes:
    """One sheet: a title line, then a frozen bold header row and one row per item."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Lagerkort" if lang == "nb" else "Stock card")
    sheet.freeze_panes = "A3"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    title = "Lagerkort" if lang == "nb" else "Stock card"
    sheet.append([make_cell(sheet, f"{title} {site} {date_from:%d.%m.%Y}–{date_to:%d.%m.%Y}")])
    header = []
    for heading in HEADINGS[lang]:
        made = make_cell(sheet, heading)
        made.font = Font(bold=True)
        header.append(made)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([make_cell(sheet, v, None if i < 2 else COUNT) for i, v in enumerate(row)])
        count += 1
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(WIDTHS))}{count + 2}"
    book.properties.title = f"{title} {site} {date_from.isoformat()}–{date_to.isoformat()}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
