"""The import's fast path accepts only rows the full check accepts, with the same values."""

from __future__ import annotations

from datetime import date, datetime

from tracker.services import import_stage
from tracker.services.import_format import ItemInfo, RowValidator, SiteInfo, map_headings

SITES = {
    "S1": SiteInfo(1, "S1", True, True),
    "OLD": SiteInfo(2, "OLD", False, True),
    "THEIRS": SiteInfo(3, "THEIRS", True, False),
    "15076500565": SiteInfo(4, "15076500565", True, True),  # looks like a national ID
}
ITEMS = {
    "SPR": ItemInfo(10, "SPR", "syringe", True),
    "GONE": ItemInfo(11, "GONE", "syringe", False),
    "NAL": ItemInfo(12, "NAL", "naloxone", True),
}
LOTS = {(10, "L1"): 100}


def validator(headings: list[str]) -> RowValidator:
    return RowValidator(map_headings(headings), SITES, ITEMS, LOTS, date(2026, 6, 1))


def check(v: RowValidator, rows: list[list[object]]) -> int:
    """Every row: the fast path's answer is None or what validate stages; returns how many fast."""
    fast = v.fast_path()
    assert fast is not None
    taken = 0
    for number, cells in enumerate(rows, start=2):
        staged = fast(number, cells)
        record, errors = v.validate(number, cells)
        if staged is not None:
            taken += 1
            assert not errors, (cells, errors)
            assert staged == import_stage.as_row(record), cells
    return taken


def test_fast_path_agrees_with_the_full_check() -> None:
    v = validator(["sted", "dato", "vare", "antall", "kontakter"])
    good = [
        ["S1", "05.06.2025", "SPR", "1 234", "7"],
        [" S1 ", " 2025-06-05 ", " SPR ", " 12 ", ""],
        ["S1", "01.01.2000", "SPR", "0", "0"],
        ["S1", "1.6.2026", "SPR", "10000000", "1000000"],
    ]
    bad = [
        [],
        ["", "", "", "", ""],
        ["S1", "05.06.2025", "", "", "7"],  # contacts only: the full check takes it
        ["S1", "05.06.2025", "SPR", "", ""],
        ["S1", "05.06.2025", "SPR", "-1", ""],
        ["S1", "05.06.2025", "SPR", "1,5", ""],
        ["S1", "05.06.2025", "SPR", "10000001", ""],
        ["S1", "05.06.2025", "SPR", "1", "1000001"],
        ["S1", "05.06.2025", "SPR", "1", "x"],
        ["S1", "31.12.1999", "SPR", "1", ""],
        ["S1", "03.06.2026", "SPR", "1", ""],
        ["S1", "31.02.2025", "SPR", "1", ""],
        ["S1", "juni", "SPR", "1", ""],
        ["S1", "", "SPR", "1", ""],
        ["OLD", "05.06.2025", "SPR", "1", ""],
        ["THEIRS", "05.06.2025", "SPR", "1", ""],
        ["15076500565", "05.06.2025", "SPR", "1", ""],
        ["XX", "05.06.2025", "SPR", "1", ""],
        ["S1", "05.06.2025", "GONE", "1", ""],
        ["S1", "05.06.2025", "NAL", "1", ""],
        ["S1", "05.06.2025", "XX", "1", ""],
        ["S1", "05.06.2025", "SPR"],
        ["S1", datetime(2025, 6, 5), "SPR", 3, None],  # spreadsheet cells: the full check
    ]
    assert check(v, good + bad) == len(good)
    fast = v.fast_path()
    assert fast is not None
    assert all(fast(2, cells) is None for cells in bad)


def test_fast_path_needs_the_other_columns_blank() -> None:
    v = validator(["sted", "dato", "måned", "vare", "antall", "merknad", "parti"])
    good = [["S1", "05.06.2025", "", "SPR", "3", " ", ""], ["S1", "05.06.2025", "", "SPR", "3"]]
    bad = [
        ["S1", "05.06.2025", "06.2025", "SPR", "3", "", ""],
        ["S1", "05.06.2025", "", "SPR", "3", "a note", ""],
        ["S1", "05.06.2025", "", "SPR", "3", "", "L1"],
    ]
    assert check(v, good + bad) == len(good)


def test_no_fast_path_without_a_date_column() -> None:
    assert validator(["sted", "måned", "vare", "antall"]).fast_path() is None
