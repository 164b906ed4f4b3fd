"""The Helsedirektoratet summary workbook: its sheets laid out from plain figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from openpyxl import Workbook

from tracker.exports import about, changes, data_sheet, event_sheets, people_sheets, sheets
from tracker.exports.figures import CprStatus, Previous, StockRow, SummaryData

__all__ = ["SHEETS", "CprStatus", "Previous", "StockRow", "SummaryData", "sheets_for", "write"]

Sheet = Callable[[Workbook, SummaryData], None]
SHEETS: list[Sheet] = [
    sheets.summary_sheet,
    sheets.distribution_sheet,
    people_sheets.naloxone_sheet,
    sheets.switch_sheet,
    people_sheets.training_sheet,
    event_sheets.overdose_sheet,
    event_sheets.referral_sheet,
    event_sheets.return_sheet,
    sheets.stock_sheet,
    changes.changes_sheet,
    data_sheet.data_sheet,
    about.about_sheet,
]
# Sheets left out of files for external use (none since Lager shows the stock at the period's
# end rather than today's).
INTERNAL_ONLY: set[Sheet] = set()


def sheets_for(data: SummaryData) -> list[Sheet]:
    return [s for s in SHEETS if not (data.external and s in INTERNAL_ONLY)]


def write(
    data: SummaryData,
    target: str | IO[bytes],
    progress: Callable[[str], None] | None = None,
) -> None:
    """Stream the workbook to a path or binary file; memory stays flat (write-only mode)."""
    book = Workbook(write_only=True)
    for sheet in sheets_for(data):
        sheet(book, data)
        if progress:
            progress(sheet.__name__)
    book.save(target)
