"""Calendar dates in Europe/Oslo and the rules for which dates an entry may have."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

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
            _l(
                "Datoen %(date)s er fram i tid; seneste tillatte er %(latest)s.",
                date=value.isoformat(),
                latest=latest.isoformat(),
            ),
            {field: [_l("Datoen er fram i tid.")]},
            code="date-in-future",
        )
    if value < EARLIEST:
        raise ValidationError(
            _l(
                "Datoen %(date)s er før %(earliest)s.",
                date=value.isoformat(),
                earliest=EARLIEST.isoformat(),
            ),
            {field: [_l("Datoen er for langt tilbake.")]},
            code="date-too-early",
        )
    return value
