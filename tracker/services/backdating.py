"""How far back staff may date an entry: BACKDATE_DAYS from when it was made.

An entry made offline carries the device's time (`made_at`); it counts from then, but never
from later than the server's clock, and never from earlier than BACKDATE_DAYS before it (a
device clock set back cannot open the past). Older dates need a site lead, a coordinator
or an admin. Submitted periods stay locked for everyone (period_locks).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from tracker.dates import OSLO
from tracker.errors import Forbidden
from tracker.models import Site
from tracker.models.base import utcnow
from tracker.services.access import Actor, can

DEFAULT_DAYS = 14
LEAD = "lead"


def window() -> int:
    return int(current_app.config.get("BACKDATE_DAYS", DEFAULT_DAYS))


def made_on(made_at: datetime | None) -> date:
    """The Oslo day the entry was made: the device's, bounded by the server's clock."""
    now = utcnow()
    if made_at is None:
        moment = now
    else:
        aware = made_at if made_at.tzinfo else made_at.replace(tzinfo=OSLO)
        moment = max(min(aware, now), now - timedelta(days=window()))
    return moment.astimezone(OSLO).date()


def earliest(made_at: datetime | None = None) -> date:
    """The earliest date staff may give an entry made at `made_at` (default: now)."""
    return made_on(made_at) - timedelta(days=window())


def check(
    actor: Actor,
    site: Site,
    days: list[date],
    made_at: datetime | None = None,
    field: str = "date",
) -> None:
    """Refuse (403) staff an entry dated before the window; leads and above may."""
    if can(actor, site, LEAD):
        return
    limit = earliest(made_at)
    too_old = [d for d in days if d < limit]
    if too_old:
        raise Forbidden(
            _l(
                "Ansatte kan føre opp til %(n)s dager tilbake (tidligste dato er %(earliest)s); "
                "%(date)s må føres av en stedsleder.",
                n=window(),
                earliest=limit.strftime("%d.%m.%Y"),
                date=min(too_old).strftime("%d.%m.%Y"),
            ),
            {field: [_l("For langt tilbake for en ansatt.")]},
            code="backdate-needs-lead",
        )
