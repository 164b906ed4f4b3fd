"""Audit events: every write leaves one, in the same transaction as the write."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, insert, select
from sqlalchemy.orm import joinedload

from tracker.dates import OSLO
from tracker.errors import Forbidden
from tracker.extensions import db
from tracker.models import AuditEvent, Site, User
from tracker.models.base import utcnow
from tracker.services.access import Actor, get_site, visible_sites


def record(
    actor: Actor,
    entity: str,
    entity_id: int | str,
    action: str,
    *,
    site_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=actor.user_id,
        token_id=actor.token_id,
        site_id=site_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


_INSERT = insert(AuditEvent.__table__)


def record_now(
    actor: Actor,
    entity: str,
    entity_id: int | str,
    action: str,
    *,
    site_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """As `record`, written at once with one Core INSERT (no ORM object; for the hot path)."""
    row: dict[str, Any] = {
        "at": utcnow(),
        "user_id": actor.user_id,
        "token_id": actor.token_id,
        "site_id": site_id,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
    }
    # Left out rather than None: SQL NULL, as the ORM writes them (None would be JSON null).
    if before is not None:
        row["before"] = before
    if after is not None:
        row["after"] = after
    db.session.execute(_INSERT, row)


FILTERS = ("user", "site", "entity", "date_from", "date_to")


def events_query(
    actor: Actor,
    *,
    user: str | None = None,
    site: str | None = None,
    entity: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[AuditEvent]]:
    """Audit events the actor may read, newest first, filtered by user, site, entity and date.

    Admins read everything; a coordinator reads the events of the sites they can see (events
    not tied to a site, such as users and the catalogue, are for admins only).
    """
    if not actor.is_coordinator:
        raise Forbidden(_l("Revisjonsloggen krever rollen koordinator eller administrator."))
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.user), joinedload(AuditEvent.site))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if not actor.is_admin:
        query = query.where(AuditEvent.site_id.in_(visible_sites(actor).with_only_columns(Site.id)))
    if user:
        # An unknown email finds no events, as one out of the coordinator's sight does: the
        # filter must not tell whether an account exists.
        found = db.session.scalar(select(User.id).where(User.email == user.strip().lower()))
        query = query.where(AuditEvent.user_id == found) if found else query.where(false())
    if site:
        query = query.where(AuditEvent.site_id == get_site(site).id)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if date_from:
        query = query.where(AuditEvent.at >= _start_of(date_from))
    if date_to:
        query = query.where(AuditEvent.at < _start_of(date_to + timedelta(days=1)))
    return query


def list_events(actor: Actor, limit: int = 200, **filters: Any) -> list[AuditEvent]:
    """The newest `limit` events matching the filters (for the admin page)."""
    return list(db.session.scalars(events_query(actor, **filters).limit(limit)))


def _start_of(day: date) -> datetime:
    """Midnight in Oslo of a calendar day, as an aware UTC timestamp."""
    return datetime.combine(day, time.min, tzinfo=OSLO).astimezone(UTC)
