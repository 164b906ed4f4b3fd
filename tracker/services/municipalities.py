"""Municipalities (kommuner): admins create and rename them; coordinators see their own."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.errors import Conflict, Forbidden, ValidationError
from tracker.extensions import db
from tracker.models import Municipality
from tracker.privacy import check_free_text
from tracker.services import audit
from tracker.services.access import Actor, require_role
from tracker.services.sites import get_municipality
from tracker.services.unit import Idempotency, commit, locked, service

NUMBER = re.compile(r"^[0-9]{4}$")


def _snapshot(place: Municipality) -> dict[str, str]:
    return {"number": place.number, "name": place.name}


def _check(number: str | None = None, name: str | None = None) -> None:
    if number is not None and not NUMBER.match(number):
        raise ValidationError(_l("Et kommunenummer har 4 sifre."), {"number": [_l("4 sifre.")]})
    if name is not None and not 1 <= len(name.strip()) <= 100:
        raise ValidationError(_l("En kommune må ha et navn."), {"name": [_l("1 til 100 tegn.")]})
    check_free_text("name", name)


def list_municipalities(actor: Actor) -> list[Municipality]:
    """Every municipality for an admin or a national coordinator; a coordinator's own."""
    require_role(actor, "coordinator")
    query = select(Municipality).order_by(Municipality.number)
    if not actor.is_admin and actor.user.municipality_id is not None:
        query = query.where(Municipality.id == actor.user.municipality_id)
    return list(db.session.scalars(query))


def read_municipality(actor: Actor, number: str) -> Municipality:
    require_role(actor, "coordinator")
    place = get_municipality(number, "number")
    if not actor.is_admin and actor.user.municipality_id not in (None, place.id):
        raise Forbidden(_l("Du har ikke tilgang til kommune %(number)s.", number=number))
    return place


@service
def create_municipality(
    actor: Actor, *, number: str, name: str, idem: Idempotency | None = None
) -> Municipality:
    """Add a municipality, so sites and coordinators can be made in it (admin)."""
    require_role(actor, "admin")
    _check(number, name)
    if db.session.scalar(select(Municipality.id).where(Municipality.number == number)):
        raise Conflict(
            _l("Det finnes allerede en kommune med nummer %(number)s.", number=number),
            {"number": [_l("Allerede i bruk.")]},
        )
    place = Municipality(number=number, name=name.strip())
    db.session.add(place)
    db.session.flush()
    audit.record(actor, "municipality", place.id, "create", after=_snapshot(place))
    commit(idem, place)
    return place


@service
def rename_municipality(actor: Actor, number: str, name: str) -> Municipality:
    """Change a municipality's name (a merger, a spelling); its number never changes (admin)."""
    require_role(actor, "admin")
    _check(name=name)
    get_municipality(number, "number")
    place: Municipality = db.session.scalars(
        locked(select(Municipality).where(Municipality.number == number))
    ).one()
    before = _snapshot(place)
    place.name = name.strip()
    audit.record(actor, "municipality", place.id, "rename", before=before, after=_snapshot(place))
    commit()
    return place
