"""The figures the summary workbook lays out: plain data, gathered by the services.

The sheets (sheets.py) read them and the workbook (summary.py) hands them over; both import
this module, never each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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


@dataclass
class SummaryData:
    """Everything the workbook shows, already computed by the services."""

    lang: str
    start: date
    end: date
    external: bool
    threshold: int
    generated_at: datetime
    generated_by: str
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

    @property
    def t(self) -> dict[str, str]:
        return labels(self.lang)
