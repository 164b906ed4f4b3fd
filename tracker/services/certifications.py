"""Staff certifications from training sessions: validity, renewal and per-site compliance.

A certification is valid from the session day through `valid_until` inclusive; it expires the
day after. `valid_until` is the session day plus the type's months (CERTIFICATION_MONTHS in
config), clamped to the month's last day (29.02 + 12 months = 28.02). A user's standing for a
type is the latest `valid_until` over their certifications, so a new session renews from its
own day. Only active users with a membership at a site count towards that site's compliance.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import Certification, Membership, Site, User
from tracker.models.training import CERTIFICATION_STATUSES as STATUSES
from tracker.models.training import TRAINING_TYPES
from tracker.services.access import Actor, get_site, require_site, visible_site_ids

DEFAULT_MONTHS = {
    "cpr": 12,
    "first_aid": 12,
    "naloxone": 24,
    "smoking_technique": 24,
    "overdose_conversation": 24,
    # The naloxone course certifies staff to hand out naloxone; renewed every 24 months
    # (like the naloxone training), configurable in CERTIFICATION_MONTHS.
    "naloxone_course": 24,
}
EXPIRING_DAYS = 60


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_for(training_type: str) -> int:
    """How long a certification of this type lasts (config CERTIFICATION_MONTHS)."""
    configured = current_app.config.get("CERTIFICATION_MONTHS") or {}
    return int(configured.get(training_type, DEFAULT_MONTHS[training_type]))


def valid_until(training_type: str, certified_on: date) -> date:
    return add_months(certified_on, months_for(training_type))


def status_of(until: date | None, on: date) -> str:
    """valid, expiring (within EXPIRING_DAYS, still valid), expired, or missing."""
    if until is None:
        return "missing"
    if until < on:
        return "expired"
    if until <= on + timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


@dataclass(frozen=True)
class StaffStatus:
    """One active staff member's standing for a type at a site."""

    site_code: str
    user_id: int
    name: str
    email: str
    role: str
    certified_on: date | None
    valid_until: date | None
    status: str


@dataclass
class SiteCertifications:
    """Compliance of one site on a day: counts per status and the share validly certified."""

    site_id: int
    site_code: str
    site_name: str
    training_type: str
    on: date
    staff: list[StaffStatus] = field(default_factory=list)
    status_filter: str | None = None

    @property
    def shown(self) -> list[StaffStatus]:
        """The staff listed: all, or those with the status asked for."""
        if self.status_filter is None:
            return self.staff
        return [s for s in self.staff if s.status == self.status_filter]

    def count(self, status: str) -> int:
        return sum(1 for s in self.staff if s.status == status)

    @property
    def active_staff(self) -> int:
        return len(self.staff)

    @property
    def certified(self) -> int:
        """Valid on the day, including those expiring soon."""
        return self.count("valid") + self.count("expiring")

    @property
    def compliance(self) -> float | None:
        """Share of active staff validly certified; None for a site with no staff."""
        return self.certified / self.active_staff if self.staff else None


def certification_status(
    site_ids: list[int], on: date, training_type: str = "cpr"
) -> list[SiteCertifications]:
    """Per site (by code), every active member's standing for the type on the day.

    No access check: callers (the services below, the Excel export) pass the sites the
    actor may see.
    """
    if training_type not in TRAINING_TYPES:
        raise ValidationError(_l("Ukjent kurstype."), {"type": [_l("Ukjent.")]})
    if not site_ids:
        return []
    sites = list(db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)))
    members = db.session.execute(
        select(Membership.site_id, Membership.role, User.id, User.name, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.site_id.in_(site_ids), User.active.is_(True))
        .order_by(User.name, User.email)
    ).all()
    latest = (
        select(
            Certification.user_id,
            func.max(Certification.valid_until).label("until"),
            func.max(Certification.certified_on).label("certified_on"),
        )
        .where(
            Certification.training_type == training_type,
            Certification.certified_on <= on,
            Certification.user_id.in_({m.id for m in members} or {-1}),
        )
        .group_by(Certification.user_id)
    )
    standing = {row.user_id: row for row in db.session.execute(latest)}
    by_site: dict[int, list[StaffStatus]] = defaultdict(list)
    codes = {s.id: s.code for s in sites}
    for m in members:
        row = standing.get(m.id)
        until = row.until if row else None
        by_site[m.site_id].append(
            StaffStatus(
                site_code=codes[m.site_id],
                user_id=m.id,
                name=m.name,
                email=m.email,
                role=m.role,
                certified_on=row.certified_on if row else None,
                valid_until=until,
                status=status_of(until, on),
            )
        )
    return [
        SiteCertifications(s.id, s.code, s.name, training_type, on, by_site.get(s.id, []))
        for s in sites
    ]


def overview(
    actor: Actor,
    *,
    on: date,
    site: str | None = None,
    training_type: str = "cpr",
    status: str | None = None,
) -> list[SiteCertifications]:
    """The compliance overview for one site or every site the actor can see."""
    if status is not None and status not in STATUSES:
        raise ValidationError(_l("Ukjent status."), {"status": [_l("Ukjent.")]})
    site_ids = [require_site(actor, get_site(site)).id] if site else visible_site_ids(actor)
    result = certification_status(site_ids, on, training_type)
    for entry in result:
        entry.status_filter = status
    return result


def certify(user_ids: list[int], training_type: str, session_id: int, held_on: date) -> None:
    """Give each attendee a certification from the session (flushes; the caller commits)."""
    until = valid_until(training_type, held_on)
    for user_id in user_ids:
        db.session.add(
            Certification(
                user_id=user_id,
                training_type=training_type,
                session_id=session_id,
                certified_on=held_on,
                valid_until=until,
            )
        )


@dataclass
class OverviewPage:
    """The overview page: the entries shown and every site the actor could pick."""

    entries: list[SiteCertifications]
    sites: list[Site]


def overview_page(
    actor: Actor,
    *,
    on: date,
    site: str | None = None,
    training_type: str = "cpr",
    status: str | None = None,
) -> OverviewPage:
    entries = overview(actor, on=on, site=site, training_type=training_type, status=status)
    sites = db.session.scalars(
        select(Site).where(Site.id.in_(visible_site_ids(actor))).order_by(Site.code)
    )
    return OverviewPage(entries, list(sites))


def status_by_codes(
    codes: list[str], on: date, training_type: str = "cpr"
) -> list[SiteCertifications]:
    """certification_status for sites named by code, or every active site (the CLI's view)."""
    if codes:
        site_ids = [get_site(code).id for code in codes]
    else:
        site_ids = list(db.session.scalars(select(Site.id).where(Site.active.is_(True))))
    return certification_status(site_ids, on, training_type)


def holds(user_id: int, training_type: str, on: date) -> bool:
    """Did the user hold a valid certification of this type on the day?"""
    return (
        db.session.scalar(
            select(Certification.id)
            .where(
                Certification.user_id == user_id,
                Certification.training_type == training_type,
                Certification.certified_on <= on,
                Certification.valid_until >= on,
            )
            .limit(1)
        )
        is not None
    )


def certified_distributors(actor: Actor, site_code: str, on: date) -> SiteCertifications:
    """A site's staff with their standing for the naloxone course (naloksonkurset): who may
    hand out naloxone from the national programme."""
    site = require_site(actor, get_site(site_code))
    return certification_status([site.id], on, "naloxone_course")[0]
