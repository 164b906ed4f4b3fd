"""Counts kept with a site's day besides supplies: referrals, returns and contacts by group.

Each save adds rows; a day's figures are their sums (like tally entries). Contacts by group
are asked at sites that turn the setting on, and are not checked against the tally's
contacts: a site may count groups for part of its contacts only, and a day's entries add
up in any order, so a cross-check would refuse honest figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from tracker.dates import check_entry_date
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import ContactGroupCount, EquipmentReturn, Referral, Site
from tracker.models.events import CONTACT_GROUPS, REFERRAL_DESTINATIONS, RETURN_KINDS
from tracker.services import audit, backdating, period_locks
from tracker.services.access import Actor, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, service

MAX_COUNT = 10_000


def check_day(
    actor: Actor,
    site: Site,
    day: date,
    field: str = "date",
    made_at: datetime | None = None,
) -> None:
    """A new record: the site takes entries, and the date rules hold (the backdating window
    counts from `made_at`, the device's time, for entries queued offline)."""
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_date(actor, site, day, field, made_at)


def check_date(
    actor: Actor, site: Site, day: date, field: str = "date", made_at: datetime | None = None
) -> None:
    """The date rules every write of these records keeps, new or changed: the date window,
    the backdating window for staff (403), and no write inside a submitted period (409)."""
    check_entry_date(day, field)
    backdating.check(actor, site, [day], made_at, field=field)
    period_locks.ensure_open([site.id], [day])


def _count(value: Any, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
        raise ValidationError(
            _l("Antallet må være fra %(low)s til %(max)s.", low=low, max=MAX_COUNT),
            {name: [_l("Utenfor tillatt område.")]},
        )
    return value


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValidationError(
            _l("Må være en av %(allowed)s.", allowed=", ".join(allowed)), {name: [_l("Ukjent.")]}
        )
    return value


def _site_for_write(
    actor: Actor, site_code: str, day: date, made_at: datetime | None = None
) -> Site:
    site = require_site(actor, get_site(site_code))
    check_day(actor, site, day, made_at=made_at)
    return site


def _add_referral(actor: Actor, site: Site, day: date, to: str, count: int) -> Referral:
    row = Referral(
        site=site,
        referred_on=day,
        destination=_one_of(to, REFERRAL_DESTINATIONS, "to"),
        quantity=_count(count, "count"),
        created_by_id=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    after = {"site": site.code, "date": day.isoformat(), "to": to, "count": count}
    audit.record(actor, "referral", row.id, "create", site_id=site.id, after=after)
    return row


def _add_return(actor: Actor, site: Site, day: date, kind: str, count: int) -> EquipmentReturn:
    row = EquipmentReturn(
        site=site,
        returned_on=day,
        kind=_one_of(kind, RETURN_KINDS, "kind"),
        quantity=_count(count, "count"),
        created_by_id=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    after = {"site": site.code, "date": day.isoformat(), "kind": kind, "count": count}
    audit.record(actor, "equipment_return", row.id, "create", site_id=site.id, after=after)
    return row


def _add_groups(
    actor: Actor, site: Site, day: date, counts: Mapping[str, int]
) -> ContactGroupCount:
    if not site.contacts_by_group:
        raise Conflict(
            _l(
                "%(site)s teller ikke kontakter etter gruppe (stedets innstilling).", site=site.code
            ),
            code="groups-off-at-site",
        )
    unknown = set(counts) - set(CONTACT_GROUPS)
    if unknown:
        raise ValidationError(_l("Ukjent gruppe."), {name: [_l("Ukjent.")] for name in unknown})
    values = {name: _count(counts.get(name, 0), name, 0) for name in CONTACT_GROUPS}
    if not any(values.values()):
        raise ValidationError(
            _l("Ingenting å lagre: alle antall er 0."), {"women": [_l("Alt er 0.")]}
        )
    row = ContactGroupCount(site=site, counted_on=day, created_by_id=actor.user_id, **values)
    db.session.add(row)
    db.session.flush()
    after = {"site": site.code, "date": day.isoformat(), **values}
    audit.record(actor, "contact_groups", row.id, "create", site_id=site.id, after=after)
    return row


@service
def add_referral(
    actor: Actor,
    *,
    site_code: str,
    day: date,
    to: str,
    count: int,
    made_at: datetime | None = None,
    idem: Idempotency | None = None,
) -> Referral:
    """People referred on to `to` from a site on a day."""
    site = _site_for_write(actor, site_code, day, made_at)
    row = _add_referral(actor, site, day, to, count)
    commit(idem, row)
    return row


@service
def add_return(
    actor: Actor,
    *,
    site_code: str,
    day: date,
    kind: str,
    count: int,
    idem: Idempotency | None = None,
) -> EquipmentReturn:
    """Used equipment brought back: containers of a size, or pieces counted."""
    row = _add_return(actor, _site_for_write(actor, site_code, day), day, kind, count)
    commit(idem, row)
    return row


@service
def add_groups(
    actor: Actor,
    *,
    site_code: str,
    day: date,
    counts: Mapping[str, int],
    idem: Idempotency | None = None,
) -> ContactGroupCount:
    """Contacts of a day by group, at a site that counts them."""
    row = _add_groups(actor, _site_for_write(actor, site_code, day), day, counts)
    commit(idem, row)
    return row


@dataclass(frozen=True)
class DaySaved:
    """What one save of the daily form's section wrote: its first row's id, and the rows."""

    id: int
    rows: int


@service
def record_day(
    actor: Actor,
    *,
    site_code: str,
    day: date,
    referrals: Mapping[str, int],
    returns: Mapping[str, int],
    groups: Mapping[str, int] | None = None,
    idem: Idempotency | None = None,
) -> DaySaved:
    """The daily form's section: every non-zero count at once, or nothing."""
    site = _site_for_write(actor, site_code, day)
    written: list[int] = []
    for to, count in referrals.items():
        if count:
            written.append(_add_referral(actor, site, day, to, count).id)
    for kind, count in returns.items():
        if count:
            written.append(_add_return(actor, site, day, kind, count).id)
    if groups and any(groups.values()):
        written.append(_add_groups(actor, site, day, groups).id)
    if not written:
        raise ValidationError(
            _l("Ingenting å lagre: alle antall er 0."), {"referrals": [_l("Alt er 0.")]}
        )
    saved = DaySaved(written[0], len(written))
    commit(idem, saved)
    return saved


def _query(model: Any, column: Any, actor: Actor, args: dict[str, Any]) -> Select[Any]:
    query = select(model).order_by(column.desc(), model.id.desc())
    if args.get("site"):
        query = query.where(model.site_id == require_site(actor, get_site(args["site"])).id)
    else:
        query = query.where(model.site_id.in_(visible_site_ids(actor)))
    if args.get("date_from"):
        query = query.where(column >= args["date_from"])
    if args.get("date_to"):
        query = query.where(column <= args["date_to"])
    return query


def referrals_query(actor: Actor, **args: Any) -> Select[tuple[Referral]]:
    return _query(Referral, Referral.referred_on, actor, args)


def returns_query(actor: Actor, **args: Any) -> Select[tuple[EquipmentReturn]]:
    return _query(EquipmentReturn, EquipmentReturn.returned_on, actor, args)


def groups_query(actor: Actor, **args: Any) -> Select[tuple[ContactGroupCount]]:
    return _query(ContactGroupCount, ContactGroupCount.counted_on, actor, args)


@dataclass
class DayCounts:
    """What the daily form's section shows as already saved for the day."""

    referrals: dict[str, int] = field(default_factory=dict)
    returns: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.referrals or self.returns or any(self.groups.values()))


def day_totals(site: Site, day: date) -> DayCounts:
    """The day's sums so far (the page checked access when it loaded the site)."""
    result = DayCounts()
    for to, total in db.session.execute(
        select(Referral.destination, func.sum(Referral.quantity))
        .where(Referral.site_id == site.id, Referral.referred_on == day)
        .group_by(Referral.destination)
    ):
        result.referrals[to] = int(total)
    for kind, total in db.session.execute(
        select(EquipmentReturn.kind, func.sum(EquipmentReturn.quantity))
        .where(EquipmentReturn.site_id == site.id, EquipmentReturn.returned_on == day)
        .group_by(EquipmentReturn.kind)
    ):
        result.returns[kind] = int(total)
    g = ContactGroupCount
    sums = db.session.execute(
        select(*(func.coalesce(func.sum(getattr(g, n)), 0) for n in CONTACT_GROUPS)).where(
            g.site_id == site.id, g.counted_on == day
        )
    ).one()
    result.groups = {name: int(value) for name, value in zip(CONTACT_GROUPS, sums, strict=True)}
    return result


@dataclass
class Recent:
    """The list page's data: the site, the day's sums, and the rows since a date."""

    site: Site
    totals: DayCounts
    referrals: list[Referral]
    returns: list[EquipmentReturn]
    groups: list[ContactGroupCount]


def recent(actor: Actor, site_code: str, day: date, since: date) -> Recent:
    site = require_site(actor, get_site(site_code))
    args: dict[str, Any] = {"site": site.code, "date_from": since}
    return Recent(
        site=site,
        totals=day_totals(site, day),
        referrals=list(db.session.scalars(referrals_query(actor, **args))),
        returns=list(db.session.scalars(returns_query(actor, **args))),
        groups=list(db.session.scalars(groups_query(actor, **args))),
    )
