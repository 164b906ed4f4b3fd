"""Municipalities and sites: create, change, deactivate (never delete once they have data)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import Municipality, Site
from tracker.models.sites import SITE_KINDS, SITE_OPERATORS
from tracker.services import audit, catalog, stock_start
from tracker.services.access import Actor, get_site, require_role, require_site, visible_sites
from tracker.services.unit import Idempotency, commit, service


def snapshot(site: Site) -> dict[str, Any]:
    return {
        "code": site.code,
        "name": site.name,
        "municipality": site.municipality.number if site.municipality else None,
        "kind": site.kind,
        "operator": site.operator,
        "active": site.active,
        "opening_weekdays": site.weekdays,
        "contacts_by_group": site.contacts_by_group,
    }


def get_municipality(number: str, field: str = "municipality") -> Municipality:
    found = db.session.scalar(select(Municipality).where(Municipality.number == number))
    if found is None:
        raise NotFound(
            _l("Det finnes ingen kommune med nummer %(number)s.", number=number),
            {field: [_l("Ukjent.")]},
        )
    return found


def list_sites(
    actor: Actor, *, municipality: str | None = None, active: bool | None = None
) -> list[Site]:
    query = visible_sites(actor)
    if municipality:
        query = query.where(Site.municipality_id == get_municipality(municipality).id)
    if active is not None:
        query = query.where(Site.active.is_(active))
    return list(db.session.scalars(query))


def read_site(actor: Actor, code: str) -> Site:
    return require_site(actor, get_site(code))


def _check_kind(kind: str) -> None:
    if kind not in SITE_KINDS:
        raise ValidationError(
            _l("Ukjent type sted: %(kind)s.", kind=kind), {"kind": [_l("Ukjent type sted.")]}
        )


def _check_operator(operator: str) -> None:
    if operator not in SITE_OPERATORS:
        raise ValidationError(
            _l("Ukjent driftsform: %(operator)s.", operator=operator),
            {"operator": [_l("Ukjent driftsform.")]},
        )


@service
def create_site(
    actor: Actor,
    *,
    code: str,
    name: str,
    municipality: str,
    kind: str,
    operator: str = "municipal",
    idem: Idempotency | None = None,
) -> Site:
    require_role(actor, "coordinator")
    place = get_municipality(municipality)
    if actor.user.global_role == "coordinator" and actor.user.municipality_id not in (
        None,
        place.id,
    ):
        raise ValidationError(
            _l("Koordinatorer oppretter steder bare i egen kommune."),
            {"municipality": [_l("Ikke din kommune.")]},
        )
    _check_kind(kind)
    _check_operator(operator)
    if db.session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise Conflict(
            _l("Det finnes allerede et sted med koden %(code)s.", code=code),
            {"code": [_l("Allerede i bruk.")]},
        )
    site = Site(code=code, name=name, municipality=place, kind=kind, operator=operator, active=True)
    db.session.add(site)
    db.session.flush()
    catalog.start_site_items(site)
    audit.record(actor, "site", site.id, "create", site_id=site.id, after=snapshot(site))
    commit(idem, site)
    return site


def opening_digits(weekdays: list[int]) -> str:
    """ISO weekdays (1 Monday .. 7 Sunday, each once, at least one) as stored: "12345"."""
    if not weekdays or any(not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays):
        raise ValidationError(
            _l("Åpningsdager er ukedager fra 1 (mandag) til 7 (søndag), minst én."),
            {"opening_weekdays": [_l("Bruk ukedager fra 1 til 7, minst én.")]},
        )
    if len(set(weekdays)) != len(weekdays):
        raise ValidationError(
            _l("Hver åpningsdag kan bare stå én gang."),
            {"opening_weekdays": [_l("En ukedag står flere ganger.")]},
        )
    return "".join(str(d) for d in sorted(weekdays))


@service
def update_site(actor: Actor, code: str, changes: dict[str, Any]) -> Site:
    """Rename, re-kind, change the operator or (de)activate a site; racing changes apply one
    after another. Opening weekdays alone are the site lead's to change; the rest is the
    coordinator's."""
    site = get_site(code, lock=True)
    # The stock start and the opening days are the lead's to set; name, kind, operator and
    # active the coordinator's.
    lead_only = bool(changes) and set(changes) <= {"opening_weekdays", "stock_start"}
    require_site(actor, site, "lead" if lead_only else "coordinator")
    if "stock_start" in changes:
        stock_start.move(actor, site, changes["stock_start"])
        if set(changes) == {"stock_start"}:
            commit()
            return site
    before = snapshot(site)
    if "kind" in changes:
        _check_kind(changes["kind"])
    if "operator" in changes:
        _check_operator(changes["operator"])
    if "opening_weekdays" in changes:
        site.opening_weekdays = opening_digits(changes["opening_weekdays"])
    for name in ("name", "kind", "operator", "active", "contacts_by_group"):
        if name in changes:
            setattr(site, name, changes[name])
    audit.record(
        actor, "site", site.id, "update", site_id=site.id, before=before, after=snapshot(site)
    )
    commit()
    return site
