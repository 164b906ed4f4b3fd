"""Delivery days: when a site's supplier delivers, for "runs out before the next delivery"
and for the reorder suggestion (issue 24).

An order placed on day `on` arrives with the first delivery that is after `on` and at least
`lead_time_days` away; what it brings must last until the delivery after that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from tracker.dates import today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import DeliveryDate, DeliverySchedule, Site
from tracker.models.base import utcnow
from tracker.services import audit
from tracker.services.access import Actor, get_site, require_site
from tracker.services.unit import commit, locked, service

MAX_LEAD_DAYS = 60
MAX_DATES = 100
HORIZON_DAYS = 400  # look this far ahead for a delivery; beyond it there is none


@dataclass
class Deliveries:
    """A site's delivery days: ISO weekdays, specific dates (from today) and the lead time."""

    site: Site
    weekdays: list[int] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    lead_time_days: int = 0

    @property
    def configured(self) -> bool:
        return bool(self.weekdays or self.dates)

    def is_delivery(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays or day in self.dates

    def next_after(self, day: date, earliest: date | None = None) -> date | None:
        """The first delivery after `day` and not before `earliest`; None without any."""
        start = max(day + timedelta(days=1), earliest or day)
        for offset in range(HORIZON_DAYS):
            candidate = start + timedelta(days=offset)
            if self.is_delivery(candidate):
                return candidate
        return None

    def order_window(self, on: date) -> tuple[date, date] | None:
        """(arrival, the delivery after it) for an order placed on `on`; None without days."""
        if not self.configured:
            return None
        arrival = self.next_after(on, on + timedelta(days=self.lead_time_days))
        following = self.next_after(arrival) if arrival else None
        return (arrival, following) if arrival and following else None

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.site.code,
            "weekdays": self.weekdays,
            "dates": [d.isoformat() for d in self.dates],
            "lead_time_days": self.lead_time_days,
        }


def for_sites(sites: list[Site], on: date | None = None) -> dict[int, Deliveries]:
    """The delivery days of each site (an empty Deliveries where none are set), in 2 queries."""
    on = on or today()
    ids = [s.id for s in sites]
    result = {s.id: Deliveries(s) for s in sites}
    if not ids:
        return result
    for row in db.session.scalars(
        select(DeliverySchedule).where(DeliverySchedule.site_id.in_(ids))
    ):
        entry = result[row.site_id]
        entry.weekdays = [int(d) for d in row.weekdays]
        entry.lead_time_days = row.lead_time_days
    for site_id, day in db.session.execute(
        select(DeliveryDate.site_id, DeliveryDate.day)
        .where(DeliveryDate.site_id.in_(ids), DeliveryDate.day >= on)
        .order_by(DeliveryDate.day)
    ):
        result[site_id].dates.append(day)
    return result


def read(actor: Actor, site_code: str) -> Deliveries:
    """GET /sites/{code}/deliveries: anyone working at the site may see them."""
    site = require_site(actor, get_site(site_code))
    return for_sites([site])[site.id]


def _check(weekdays: list[int], dates: list[date], lead_time_days: int) -> None:
    if any(isinstance(d, bool) or not 1 <= d <= 7 for d in weekdays):
        raise ValidationError(
            _l("Ukedager er tall fra 1 (mandag) til 7 (søndag)."),
            {"weekdays": [_l("Ugyldig ukedag.")]},
        )
    if len(set(weekdays)) != len(weekdays) or len(set(dates)) != len(dates):
        raise ValidationError(
            _l("En leveringsdag står to ganger."), {"weekdays": [_l("Står to ganger.")]}
        )
    if len(dates) > MAX_DATES:
        raise ValidationError(_l("For mange datoer."), {"dates": [_l("For mange.")]})
    if any(d < today() for d in dates):
        raise ValidationError(
            _l("Leveringsdatoer kan ikke ligge bakover i tid."), {"dates": [_l("Passert.")]}
        )
    if any(d > today() + timedelta(days=HORIZON_DAYS) for d in dates):
        raise ValidationError(
            _l("En leveringsdato ligger for langt fram i tid."), {"dates": [_l("For langt fram.")]}
        )
    if isinstance(lead_time_days, bool) or not 0 <= lead_time_days <= MAX_LEAD_DAYS:
        raise ValidationError(
            _l("Bestillingsfristen må være 0–%(max)s dager.", max=MAX_LEAD_DAYS),
            {"lead_time_days": [_l("Utenfor tillatt område.")]},
        )


@service
def update(
    actor: Actor, site_code: str, *, weekdays: list[int], dates: list[date], lead_time_days: int
) -> Deliveries:
    """PUT: replace a site's delivery days (its lead or coordinator); audited."""
    site = require_site(actor, get_site(site_code, lock=True), "lead")
    _check(weekdays, dates, lead_time_days)
    before = for_sites([site])[site.id].as_json()
    row = db.session.scalar(
        locked(select(DeliverySchedule).where(DeliverySchedule.site_id == site.id))
    )
    if row is None:
        row = DeliverySchedule(site_id=site.id)
        db.session.add(row)
    row.weekdays = "".join(str(d) for d in sorted(weekdays))
    row.lead_time_days = lead_time_days
    row.updated_by_id = actor.user_id
    row.updated_at = utcnow()
    db.session.execute(
        delete(DeliveryDate).where(DeliveryDate.site_id == site.id, DeliveryDate.day >= today())
    )
    for day in sorted(dates):
        db.session.add(DeliveryDate(site_id=site.id, day=day))
    db.session.flush()
    after = Deliveries(site, sorted(weekdays), sorted(dates), lead_time_days)
    audit.record(
        actor,
        "deliveries",
        site.id,
        "update",
        site_id=site.id,
        before=before,
        after=after.as_json(),
    )
    commit()
    return after
