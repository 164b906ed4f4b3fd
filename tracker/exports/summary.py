"""The Helsedirektoratet summary workbook: its sheets laid out from plain figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from openpyxl import Workbook

from tracker.exports import changes, event_sheets, sheets
from tracker.exports.figures import CprStatus, StockRow, SummaryData

__all__ = ["SHEETS", "CprStatus", "StockRow", "SummaryData", "write"]

SHEETS: list[Callable[[Workbook, SummaryData], None]] = [
    sheets.summary_sheet,
    sheets.distribution_sheet,
    sheets.naloxone_sheet,
    sheets.switch_sheet,
    sheets.training_sheet,
    event_sheets.overdose_sheet,
    event_sheets.referral_sheet,
    event_sheets.return_sheet,
    sheets.stock_sheet,
    changes.changes_sheet,
    sheets.about_sheet,
]


def write(
    data: SummaryData,
    target: str | IO[bytes],
    progress: Callable[[str], None] | None = None,
) -> None:
    """Stream the workbook to a path or binary file; memory stays flat (write-only mode)."""
    book = Workbook(write_only=True)
    for sheet in SHEETS:
        sheet(book, data)
        if progress:
            progress(sheet.__name__)
    book.save(target)
