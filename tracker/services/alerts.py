"""Drug alerts (varsling): warnings about dangerous substances, shown to staff while active.

A coordinator posts for their own municipality, an administrator for any municipality or
the whole country. While an alert covers a site, the site's pages show it and its naloxone
reorder suggestion uses config ALERT_NALOXONE_FACTOR (default 1.5) times recent usage.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from tracker.dates import today
from tracker.errors import Conflict, Forbidden, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import DrugAlert, Municipality, Site, User
from tracker.models.base import utcnow
from tracker.models.supply import ALERT_SEVERITIES
from tracker.privacy import check_free_text
from tracker.services import audit
from tracker.services.access import Actor, visible_site_ids
from tracker.services.unit import Idempotency, commit, get_by_id, lock_by_id, service

MAX_DAYS = 366


def snapshot(alert: DrugAlert) -> dict[str, object]:
    return {
        "title": alert.title,
        "severity": alert.severity,
        "municipality": alert.municipality.number if alert.municipality else None,
        "valid_from": alert.valid_from.isoformat(),
        "valid_to": alert.valid_to.isoformat() if alert.valid_to else None,
        "ended": alert.ended_at is not None,
    }


def may_post(actor: Actor, municipality: Municipality | None) -> bool:
    """National alerts: administrators; a municipality's: its coordinator (or a global one)."""
    user = actor.user
    if actor.is_admin:
        return True
    if municipality is None or user.global_role != "coordinator":
        return False
    return user.municipality_id is None or user.municipality_id == municipality.id


def _municipality(number: str | None) -> Municipality | None:
    if not number:
        return None
    found = db.session.scalar(select(Municipality).where(Municipality.number == number))
    if found is None:
        raise NotFound(
            _l("Det finnes ingen kommune med nummer %(number)s.", number=number),
            {"municipality": [_l("Ukjent kommune.")]},
        )
    return found


def _check(title: str, text: str, severity: str, valid_from: date, valid_to: date | None) -> None:
    if not title.strip():
        raise ValidationError(_l("Varselet må ha en tittel."), {"title": [_l("Må fylles ut.")]})
    if len(title) > 200:
        raise ValidationError(_l("Tittelen er for lang."), {"title": [_l("For lang.")]})
    if not text.strip():
        raise ValidationError(_l("Varselet må ha en tekst."), {"text": [_l("Må fylles ut.")]})
    if len(text) > 4000:
        raise ValidationError(_l("Teksten er for lang."), {"text": [_l("For lang.")]})
    check_free_text("title", title)
    check_free_text("text", text)
    if severity not in ALERT_SEVERITIES:
        raise ValidationError(_l("Ukjent alvorlighetsgrad."), {"severity": [_l("Ukjent.")]})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(
            _l("Gyldig til er før gyldig fra."), {"valid_to": [_l("Før gyldig fra.")]}
        )
    if abs((valid_from - today()).days) > MAX_DAYS or (
        valid_to is not None and (valid_to - valid_from).days > MAX_DAYS
    ):
        raise ValidationError(
            _l("Et varsel kan gjelde høyst ett år, fra innen ett år fra i dag."),
            {"valid_from": [_l("Utenfor tillatt område.")]},
        )


@service
def post(
    actor: Actor,
    *,
    title: str,
    text: str,
    severity: str,
    municipality: str | None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    idem: Idempotency | None = None,
) -> DrugAlert:
    """Post an alert; it shows on the covered sites' pages from valid_from."""
    place = _municipality(municipality)
    if not may_post(actor, place):
        raise Forbidden(
            _l("Landsdekkende varsler legges inn av en administrator.")
            if place is None
            else _l("Du kan bare legge inn varsler for din egen kommune."),
            code="alert-area",
        )
    valid_from = valid_from or today()
    _check(title, text, severity, valid_from, valid_to)
    alert = DrugAlert(
        title=title.strip(),
        text=text.strip(),
        severity=severity,
        municipality=place,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by_id=actor.user_id,
    )
    db.session.add(alert)
    db.session.flush()
    audit.record(actor, "drug_alert", alert.id, "create", after=snapshot(alert))
    commit(idem, alert)
    return alert


def _visible(actor: Actor) -> Select[tuple[DrugAlert]]:
    """National alerts and those of the municipalities of the sites the actor sees."""
    query = select(DrugAlert).options(joinedload(DrugAlert.municipality))
    if actor.is_admin or (actor.is_coordinator and actor.user.municipality_id is None):
        return query
    places = select(Site.municipality_id).where(Site.id.in_(visible_site_ids(actor)))
    own = [actor.user.municipality_id] if actor.user.municipality_id else []
    return query.where(
        or_(
            DrugAlert.municipality_id.is_(None),
            DrugAlert.municipality_id.in_(places),
            DrugAlert.municipality_id.in_(own),
        )
    )


def _active(query: Select[Any], on: date) -> Select[Any]:
    return query.where(
        DrugAlert.ended_at.is_(None),
        DrugAlert.valid_from <= on,
        or_(DrugAlert.valid_to.is_(None), DrugAlert.valid_to >= on),
    )


def alerts_query(actor: Actor, *, active: bool | None = None) -> Select[tuple[DrugAlert]]:
    """The alerts the actor may see, newest first; active=True for those in force today."""
    query = _visible(actor).order_by(DrugAlert.valid_from.desc(), DrugAlert.id.desc())
    return _active(query, today()) if active else query


def list_alerts(actor: Actor, limit: int = 200) -> list[DrugAlert]:
    """The alerts page: what the actor may see, newest first."""
    return list(db.session.scalars(alerts_query(actor).limit(limit)))


def postable_areas(actor: Actor) -> list[Municipality]:
    """The municipalities the actor may post alerts for (national: may_post(actor, None))."""
    places = db.session.scalars(select(Municipality).order_by(Municipality.number))
    return [m for m in places if may_post(actor, m)]


def get_alert(actor: Actor, alert_id: int, *, lock: bool = False) -> DrugAlert:
    found = (lock_by_id if lock else get_by_id)(DrugAlert, alert_id)
    visible = found is not None and db.session.scalar(
        _visible(actor).where(DrugAlert.id == found.id).with_only_columns(DrugAlert.id)
    )
    if found is None or not visible:
        raise NotFound(_l("Det finnes ikke noe varsel %(id)s.", id=alert_id))
    return found


@service
def end(actor: Actor, alert_id: int) -> DrugAlert:
    """End an alert now (once); it leaves every page. Audited."""
    alert = get_alert(actor, alert_id, lock=True)
    if not may_post(actor, alert.municipality):
        raise Forbidden(
            _l("Dette krever rollen koordinator i varselets kommune, eller administrator."),
            code="alert-area",
        )
    if alert.ended_at is not None:
        raise Conflict(_l("Varsel %(id)s er allerede avsluttet.", id=alert.id))
    before = snapshot(alert)
    alert.ended_at = utcnow()
    alert.ended_by_id = actor.user_id
    audit.record(actor, "drug_alert", alert.id, "end", before=before, after=snapshot(alert))
    commit()
    return alert


def active_for_user(user: User) -> list[DrugAlert]:
    """The banner: alerts in force today at the sites the user sees (national ones too)."""
    query = _active(_visible(Actor(user)), today())
    return list(
        db.session.scalars(
            query.order_by(DrugAlert.valid_from.desc(), DrugAlert.id.desc()).limit(5)
        )
    )


def naloxone_factors(sites: list[Site], on: date) -> dict[int, float]:
    """Per site id, the factor on naloxone usage while an alert covers it (1.0 otherwise)."""
    factor = float(current_app.config.get("ALERT_NALOXONE_FACTOR", 1.5))
    covered: set[int | None] = set(
        db.session.scalars(_active(select(DrugAlert.municipality_id), on))
    )
    national = None in covered
    return {s.id: factor if national or s.municipality_id in covered else 1.0 for s in sites}
