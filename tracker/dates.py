"""Calendar dates in Europe/Oslo and the rules for which dates an entry may have."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.errors import ValidationError

OSLO = ZoneInfo("Europe/Oslo")
EARLIEST = date(2000, 1, 1)


def today() -> date:
    """Today's date in Oslo, whatever the server's clock zone."""
    return datetime.now(OSLO).date()


def check_entry_date(value: date, field: str = "date") -> date:
    """Entries may be for any day from 2000 up to tomorrow (a late shift crossing midnight)."""
    latest = today() + timedelta(days=1)
    if value > latest:
        raise ValidationError(
            f"The date {value.isoformat()} is in the future; the latest allowed is "
            f"{latest.isoformat()}.",
            {field: ["Date is in the future."]},
        )
    if value < EARLIEST:
        raise ValidationError(
            f"The date {value.isoformat()} is before {EARLIEST.isoformat()}.",
            {field: ["Date is too far in the past."]},
        )
    return value
