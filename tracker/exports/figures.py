"""The figures the summary workbook lays out: plain data, gathered by the services.

The sheets (sheets.py) read them and the workbook (summary.py) hands them over; both import
this module, never each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker.exports.event_tables import EventFigures
from tracker.exports.labels import labels


@dataclass(frozen=True)
class StockRow:
    site_id: int
    item_id: int
    on_hand: int
    daily_usage: float
    days_left: float | None
    reorder_level: int
    expiring_90: int
    discrepancy: bool


@dataclass(frozen=True)
class CprStatus:
    staff: int = 0
    valid: int = 0
    expiring: int = 0
    expired: int = 0
    missing: int = 0


# A submitted figure's key: site id, item id (None for a site-level measure), measure.
FigureKey = tuple[int, int | None, str]


@dataclass(frozen=True)
class ChangeSet:
    """What the Endringer sheet compares: the previous submission's figures and these."""

    previous_id: int
    previous_at: datetime
    before: dict[FigureKey, int]
    after: dict[FigureKey, int]
    # The entries behind each changed figure (internal workbooks only).
    entries: dict[FigureKey, list[str]] = field(default_factory=dict)


@dataclass
class SummaryData:
    """Everything the workbook shows, already computed by the services."""

    lang: str
    start: date
    end: date
    external: bool
    threshold: int
    generated_at: datetime
    generated_by: str | None  # None: the operator on the command line
    app_version: str
    sites: list[Any]  # reports.SiteInfo
    items: list[Any]  # reports.ItemInfo
    distribution: Any  # reports.DistributionReport, by the chosen bucket
    monthly: Any  # reports.DistributionReport by month (trend chart, SWITCH)
    site_codes: tuple[str, ...] = ()
    municipality: str | None = None
    # site id -> {"kits", "group.<g>", "first", "refill", "reason.<r>"} -> kits
    naloxone: dict[int, dict[str, int]] = field(default_factory=dict)
    # (site id, training type) -> {"sessions", "pwud", "relative", "staff", "other"}
    training: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)
    cpr: dict[int, CprStatus] = field(default_factory=dict)
    stock: list[StockRow] = field(default_factory=list)
    stock_on: date | None = None
    # site id -> quantity asked for and not given because it was out (issue 24)
    unmet: dict[int, int] = field(default_factory=dict)
    changes: ChangeSet | None = None  # a resubmission: the Endringer sheet
    # site id -> months with a CPR course for users; and the number of months in the period
    cpr_months: dict[int, int] = field(default_factory=dict)
    months: int = 0
    # The same period a year earlier, when a comparison was asked for (Data sheet).
    previous: Previous | None = None
    # Overdoses, referrals, returns and contacts by group (issue 24)
    events: EventFigures = field(default_factory=EventFigures)

    @property
    def t(self) -> dict[str, str]:
        """The labels, with a heading for every category an admin added (cat.<code>)."""
        added = self.distribution.category_names(self.lang) if self.distribution else {}
        return {**{f"cat.{code}": name for code, name in added.items()}, **labels(self.lang)}


@dataclass
class Previous:
    """The figures of the same period a year earlier, for the Data sheet's comparison."""

    start: date
    end: date
    distribution: Any  # reports.DistributionReport, by the same bucket
    monthly: Any  # reports.DistributionReport by month (when the Data sheet falls back to it)
    naloxone: dict[int, dict[str, int]] = field(default_factory=dict)
    training: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)


def total(values: Iterable[int | None]) -> int | None:
    """The sum of the reported figures; None (not reported) only when none was reported."""
    reported = [v for v in values if v is not None]
    return sum(reported) if reported else None


def ratio(part: int | None, whole: int | None) -> float | None:
    """part / whole as a fraction (shown as a percentage); None when there is no whole."""
    if not whole or part is None:
        return None
    return part / whole
