"""What a site reported in a period: the days and months with an entry, and what is blank.

DESIGN.md "Periods": a site and day with no entry is *not reported* (blank, null), not 0.
An entry (a tally, or a naloxone handout) makes the site's whole item list reported for its
bucket, so an item on the list left blank counts as 0; an item off the list stays blank.
Completeness is days with an entry out of the site's opening days (ISO weekdays per site),
and, for month-based figures such as imported history, months with an entry.
Two grouped queries whatever the number of sites; rows are sites x days at most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import NaloxoneHandout, SiteItem, TallyEntry


@dataclass(frozen=True)
class Completeness:
    """One site's reporting in a period (opening days counted up to the day it is asked)."""

    days_reported: int  # opening days with an entry
    opening_days: int  # opening days in the period, up to today
    days_with_entry: int  # every day with a daily entry, closed days too
    months_reported: int  # months with an entry (daily or a month's figure)
    months: int  # months the period touches, up to today

    @property
    def percent(self) -> float | None:
        """Days reported out of opening days, one decimal; None without opening days."""
        return percent(self.days_reported, self.opening_days)

    def as_json(self) -> dict[str, Any]:
        return {
            "days_reported": self.days_reported,
            "opening_days": self.opening_days,
            "days_with_entry": self.days_with_entry,
            "months_reported": self.months_reported,
            "months": self.months,
            "percent": self.percent,
        }


def percent(part: int, whole: int) -> float | None:
    """part / whole as a percentage rounded half up to one decimal (0.35 % is 0.4, not 0.3):
    computed in integers, since the float 0.35 lies just below 0.35."""
    if not whole:
        return None
    tenths = (part * 1000 * 2 + whole) // (2 * whole)
    return tenths / 10


def opening_days(start: date, end: date, weekdays: Iterable[int]) -> int:
    """How many dates in start..end fall on the given ISO weekdays (0 when end < start)."""
    days = set(weekdays)
    total = (end - start).days + 1
    if total <= 0:
        return 0
    weeks, rest = divmod(total, 7)
    first = start.isoweekday()
    extra = sum(1 for offset in range(rest) if (first - 1 + offset) % 7 + 1 in days)
    return weeks * len(days) + extra


def month_count(start: date, end: date) -> int:
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def entry_days(site_ids: list[int], start: date, end: date) -> dict[int, set[tuple[date, str]]]:
    """Per site, the (date, granularity) of every live tally and naloxone handout in range."""
    result: dict[int, set[tuple[date, str]]] = defaultdict(set)
    if not site_ids:
        return result
    tallies = (
        select(TallyEntry.site_id, TallyEntry.entry_date, TallyEntry.granularity)
        .where(
            TallyEntry.site_id.in_(site_ids),
            TallyEntry.entry_date >= start,
            TallyEntry.entry_date <= end,
            TallyEntry.deleted_at.is_(None),
        )
        .distinct()
    )
    handouts = (
        select(NaloxoneHandout.site_id, NaloxoneHandout.handed_out_on, NaloxoneHandout.granularity)
        .where(
            NaloxoneHandout.site_id.in_(site_ids),
            NaloxoneHandout.handed_out_on >= start,
            NaloxoneHandout.handed_out_on <= end,
            NaloxoneHandout.deleted_at.is_(None),
        )
        .distinct()
    )
    connection = db.session.connection()
    for query in (tallies, handouts):
        for site_id, day, granularity in connection.execute(query):
            if isinstance(day, str):  # pragma: no cover - a raw SQLite value
                day = date.fromisoformat(day)
            result[site_id].add((day, granularity))
    return result


def completeness(
    days: set[tuple[date, str]], weekdays: Iterable[int], start: date, end: date, on: date
) -> Completeness:
    """One site's completeness from its entry days; opening days are counted up to `on`."""
    open_days = set(weekdays)
    last = min(end, on)
    daily = {d for d, granularity in days if granularity == "day"}
    return Completeness(
        days_reported=sum(1 for d in daily if d.isoweekday() in open_days and d <= last),
        opening_days=opening_days(start, last, open_days),
        days_with_entry=len(daily),
        months_reported=len({(d.year, d.month) for d, _ in days}),
        months=month_count(start, last),
    )


def off_items(site_ids: list[int]) -> dict[int, set[int]]:
    """Per site, the items it has turned off (one query for every site)."""
    result: dict[int, set[int]] = defaultdict(set)
    if site_ids:
        rows = db.session.connection().execute(
            select(SiteItem.site_id, SiteItem.item_id).where(
                SiteItem.site_id.in_(site_ids), SiteItem.active.is_(False)
            )
        )
        for site_id, item_id in rows:
            result[site_id].add(item_id)
    return result


def latest_entry(site_ids: list[int], on: date) -> date | None:
    """The last day up to `on` with a live entry at any of the sites (two index reads)."""
    if not site_ids:
        return None
    tally = db.session.scalar(
        select(func.max(TallyEntry.entry_date)).where(
            TallyEntry.site_id.in_(site_ids),
            TallyEntry.entry_date <= on,
            TallyEntry.deleted_at.is_(None),
        )
    )
    handout = db.session.scalar(
        select(func.max(NaloxoneHandout.handed_out_on)).where(
            NaloxoneHandout.site_id.in_(site_ids),
            NaloxoneHandout.handed_out_on <= on,
            NaloxoneHandout.deleted_at.is_(None),
        )
    )
    found = [d for d in (tally, handout) if d is not None]
    return max(found) if found else None
