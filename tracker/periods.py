"""Reporting periods: day, ISO week, month, tertial, quarter, year and custom ranges.

Periods are computed, never stored (DESIGN.md invariant 7). A period is an inclusive date
range with a kind and a label such as "2026-W47", "2026-T3", "2026-Q2", "2026-05" or "2026".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from tracker.errors import ValidationError

KINDS = ("day", "week", "month", "tertial", "quarter", "year", "custom")
BUCKETS = ("day", "week", "month", "tertial", "quarter", "year")
# The kinds as people say them, for messages and report headings.
KIND_NAMES = {
    "day": _l("dag"),
    "week": _l("uke"),
    "month": _l("måned"),
    "tertial": _l("tertial"),
    "quarter": _l("kvartal"),
    "year": _l("år"),
    "custom": _l("valgfritt tidsrom"),
}
PRESETS = (
    "this_month",
    "last_month",
    "this_tertial",
    "last_tertial",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "last_12_months",
)
MAX_YEARS = 10
# Months per bucket for the kinds that are made of whole months.
MONTHS = {"month": 1, "tertial": 4, "quarter": 3, "year": 12}
_LETTER = {"tertial": "T", "quarter": "Q"}


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive range of calendar dates."""

    start: date
    end: date
    kind: str = "custom"

    @property
    def label(self) -> str:
        """The period's short name: 2026-05-03, 2026-W47, 2026-05, 2026-T3, 2026-Q2, 2026."""
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind in _LETTER:
            return f"{s.year}-{_LETTER[self.kind]}{(s.month - 1) // MONTHS[self.kind] + 1}"
        if self.kind == "year":
            return str(s.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)


def _month_start(year: int, month: int) -> date:
    """The first day of a month counted from any integer month (13 is next January)."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def months(year: int, first_month: int, count: int, kind: str) -> Period:
    start = _month_start(year, first_month)
    end = _month_start(year, first_month + count) - timedelta(days=1)
    return Period(start, end, kind)


def day(value: date) -> Period:
    return Period(value, value, "day")


def week(year: int, number: int) -> Period:
    """ISO week: Monday to Sunday; week 1 holds the year's first Thursday."""
    try:
        start = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValidationError(
            _l("%(year)s har ingen ISO-uke %(number)s.", year=year, number=number),
            {"period": [_l("Uken finnes ikke.")]},
        ) from exc
    return Period(start, start + timedelta(days=6), "week")


def month(year: int, number: int) -> Period:
    return months(year, number, 1, "month")


def tertial(year: int, number: int) -> Period:
    """T1 January-April, T2 May-August, T3 September-December."""
    return months(year, (number - 1) * 4 + 1, 4, "tertial")


def quarter(year: int, number: int) -> Period:
    return months(year, (number - 1) * 3 + 1, 3, "quarter")


def year(number: int) -> Period:
    return months(number, 1, 12, "year")


def custom(start: date, end: date) -> Period:
    check_range(start, end)
    return Period(start, end, "custom")


def containing(kind: str, value: date) -> Period:
    """The period of the given kind that holds the date."""
    if kind == "day":
        return day(value)
    if kind == "week":
        iso_year, iso_week, _ = value.isocalendar()
        return week(iso_year, iso_week)
    if kind in MONTHS:
        size = MONTHS[kind]
        first = (value.month - 1) // size * size + 1
        return months(value.year, first, size, kind)
    raise ValueError(f"unknown period kind {kind!r}")


def describe(start: date, end: date) -> Period:
    """The named period that is exactly start..end (a year, tertial, ...), else a custom one."""
    for kind in ("year", "tertial", "quarter", "month", "week", "day"):
        whole = containing(kind, start)
        if whole.start == start and whole.end == end:
            return whole
    return Period(start, end, "custom")


def previous(period: Period) -> Period:
    """The period of the same kind just before this one."""
    return containing(period.kind, period.start - timedelta(days=1))


_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})-W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^(\d{4})-T([1-3])$", re.I), "tertial"),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse(text: str, field: str = "period") -> Period:
    """Read "2026-05-03", "2026-W47", "2026-T3", "2026-Q2", "2026-05" or "2026"."""
    value = (text or "").strip()
    for pattern, kind in _PATTERNS:
        found = pattern.match(value)
        if not found:
            continue
        numbers = [int(g) for g in found.groups()]
        try:
            if kind == "day":
                return day(date(*numbers))
            if kind == "year":
                return year(numbers[0])
            if kind == "month" and not 1 <= numbers[1] <= 12:
                raise ValueError("month out of range")
            return {"week": week, "tertial": tertial, "quarter": quarter, "month": month}[kind](
                *numbers
            )
        except ValueError as exc:
            raise ValidationError(
                _l("%(value)s er ikke en gyldig %(kind)s.", value=value, kind=KIND_NAMES[kind]),
                {field: [_l("Ikke en gyldig %(kind)s.", kind=KIND_NAMES[kind])]},
            ) from exc
    raise ValidationError(
        _l(
            "%(value)s er ikke en periode; bruk f.eks. 2026-05-03, 2026-W47, 2026-05, 2026-T3, "
            "2026-Q2 eller 2026.",
            value=value,
        ),
        {field: [_l("Ukjent periodeformat.")]},
    )


def preset(name: str, on: date) -> Period:
    """this_month, last_month, this_tertial, last_tertial, ..., last_year, seen from `on`."""
    if name not in PRESETS:
        raise ValidationError(
            _l("Ukjent forhåndsvalgt periode: %(name)s.", name=name), {"preset": [_l("Ukjent.")]}
        )
    if name == "last_12_months":  # this month and the eleven before it, up to `on`
        first = containing("month", on).start
        months_back = first.year * 12 + first.month - 1 - 11
        return Period(date(months_back // 12, months_back % 12 + 1, 1), on, "custom")
    which, kind = name.split("_", 1)
    current = containing(kind, on)
    return current if which == "this" else previous(current)


def buckets(start: date, end: date, by: str) -> list[Period]:
    """The periods of kind `by` covering start..end, the first and last clipped to the range."""
    if by not in BUCKETS:
        raise ValueError(f"unknown bucket kind {by!r}")
    result: list[Period] = []
    cursor = start
    while cursor <= end:
        whole = containing(by, cursor)
        result.append(Period(max(whole.start, start), min(whole.end, end), by))
        cursor = whole.end + timedelta(days=1)
    return result


def bucket_index(by: str, value: date) -> int:
    """A number that is the same for every date in one bucket and grows with time.

    Reports group by it in SQL (see services/reports.py) and map it back with this function.
    """
    if by == "day":
        return value.toordinal()
    if by == "week":
        return (value.toordinal() - 1) // 7  # date(1, 1, 1) is a Monday
    return value.year * 12 + (value.month - 1) // MONTHS[by] * MONTHS[by]


def check_range(start: date, end: date, max_years: int = MAX_YEARS) -> None:
    """Refuse a range that is backwards or longer than max_years (422 with a clear reason)."""
    if start > end:
        raise ValidationError(
            _l(
                "Fra-datoen (%(start)s) er etter til-datoen (%(end)s).",
                start=start.isoformat(),
                end=end.isoformat(),
            ),
            {"from": [_l("Etter til-datoen.")]},
        )
    try:
        limit = start.replace(year=start.year + max_years)
    except ValueError:  # 29 February
        limit = date(start.year + max_years, 3, 1)
    if end >= limit:
        raise ValidationError(
            _l("Tidsrommet er lengre enn %(n)s år; velg et kortere.", n=max_years),
            {"to": [_l("Mer enn %(n)s år etter fra-datoen.", n=max_years)]},
        )
