"""Audit events: every write leaves one, in the same transaction as the write."""

from __future__ import annotations

from typing import Any

from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.services.access import Actor


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
