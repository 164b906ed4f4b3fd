"""Reporting periods: weeks 52/53, leap years, tertials and ranges across year ends."""

from datetime import date

import pytest

from tracker import periods
from tracker.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026-05-03", date(2026, 5, 3), date(2026, 5, 3), "day"),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22), "week"),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "week"),
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 3), "week"),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3), "week"),
        ("2026-05", date(2026, 5, 1), date(2026, 5, 31), "month"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "month"),
        ("2026-T1", date(2026, 1, 1), date(2026, 4, 30), "tertial"),
        ("2026-T2", date(2026, 5, 1), date(2026, 8, 31), "tertial"),
        ("2026-T3", date(2026, 9, 1), date(2026, 12, 31), "tertial"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), "quarter"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "quarter"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
    ],
)
def test_parse_gives_the_inclusive_range(text, start, end, kind):
    period = periods.parse(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert period.label.upper() == text.upper()


@pytest.mark.parametrize(
    "text", ["2025-W53", "2026-W00", "2026-13", "2026-00", "2026-T4", "2026-Q5", "2026-02-30", "x"]
)
def test_parse_refuses_what_does_not_exist(text):
    with pytest.raises(ValidationError):
        periods.parse(text)


def test_a_leap_year_has_366_days_and_its_first_tertial_121():
    assert periods.year(2024).days == 366
    assert periods.year(2026).days == 365
    assert periods.tertial(2024, 1).days == 121
    assert periods.tertial(2026, 1).days == 120


def test_week_of_a_date_near_new_year_belongs_to_the_iso_year():
    assert periods.containing("week", date(2027, 1, 1)).label == "2026-W53"
    assert periods.containing("week", date(2024, 12, 30)).label == "2025-W01"


@pytest.mark.parametrize(
    ("name", "on", "label"),
    [
        ("this_month", date(2026, 1, 15), "2026-01"),
        ("last_month", date(2026, 1, 15), "2025-12"),
        ("this_tertial", date(2026, 5, 1), "2026-T2"),
        ("last_tertial", date(2026, 2, 10), "2025-T3"),
        ("last_quarter", date(2026, 2, 10), "2025-Q4"),
        ("this_year", date(2026, 12, 31), "2026"),
        ("last_year", date(2026, 1, 1), "2025"),
    ],
)
def test_presets_are_seen_from_the_given_day(name, on, label):
    assert periods.preset(name, on).label == label


def test_buckets_cover_a_range_across_the_year_end_and_clip_the_ends():
    result = periods.buckets(date(2025, 11, 15), date(2026, 2, 10), "month")
    assert [b.label for b in result] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert result[0].start == date(2025, 11, 15)
    assert result[-1].end == date(2026, 2, 10)
    assert sum(b.days for b in result) == (date(2026, 2, 10) - date(2025, 11, 15)).days + 1


def test_week_buckets_across_a_53_week_year():
    result = periods.buckets(date(2026, 12, 20), date(2027, 1, 10), "week")
    assert [b.label for b in result] == ["2026-W51", "2026-W52", "2026-W53", "2027-W01"]


@pytest.mark.parametrize("by", periods.BUCKETS)
def test_bucket_index_is_constant_within_a_bucket_and_grows(by):
    result = periods.buckets(date(2023, 12, 1), date(2025, 3, 1), by)
    indexes = []
    for bucket in result:
        values = {periods.bucket_index(by, d) for d in bucket.dates()}
        assert len(values) == 1
        indexes.append(values.pop())
    assert indexes == sorted(set(indexes))


def test_range_checks():
    periods.check_range(date(2016, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValidationError, match="etter"):
        periods.check_range(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="10 år"):
        periods.check_range(date(2016, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="10 år"):
        periods.check_range(date(2016, 2, 29), date(2026, 3, 1))
