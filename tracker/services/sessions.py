"""Web sessions kept in the database, so logging out really ends one (on every host).

The signed cookie carries a random key; the database keeps its hash. Each request costs one
indexed lookup (user and session joined); `last_seen_at` is written at most every few minutes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, select, update

from tracker.extensions import db
from tracker.models import User, UserSession
from tracker.models.base import utcnow
from tracker.services.unit import commit, parse_id, service

# How often a session in use has its last_seen_at written (not on every request).
SEEN_EVERY = timedelta(minutes=5)


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@service
def start(user: User, max_age: timedelta) -> str:
    """A new session for a user who just logged in; returns the key for the cookie."""
    raw = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=key_hash(raw)))
    # Sessions idle for longer than a cookie lives are dead anyway: drop them (indexed).
    db.session.execute(delete(UserSession).where(UserSession.last_seen_at < utcnow() - max_age))
    commit()
    return raw


# Built once: every logged-in page pays this lookup.
_LOOKUP = (
    select(User, UserSession.id, UserSession.last_seen_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.key_hash == bindparam("key_hash"))
)


def find(identity: str, raw_key: str | None, max_age: timedelta) -> tuple[User, int | None] | None:
    """The user of a live session, with the session's id if it is due a touch; or None.

    `identity` is flask-login's "user id:session version"; a bumped version, a deactivated
    user, a deleted (logged out) session or one idle for longer than max_age is not live.
    """
    raw_id, _, raw_version = identity.partition(":")
    user_id, version = parse_id(raw_id), parse_id(raw_version)
    if not raw_key or user_id is None or version is None:
        return None
    row = db.session.execute(_LOOKUP, {"key_hash": key_hash(raw_key)}).one_or_none()
    if row is None:
        return None
    user, session_id, last_seen = row
    if user.id != user_id or user.session_version != version or not user.active:
        return None
    if last_seen < utcnow() - max_age:
        return None
    return user, session_id if last_seen < utcnow() - SEEN_EVERY else None


@service
def touch(session_id: int) -> None:
    """Note that a session is in use, in a short transaction of its own."""
    db.session.commit()  # end the request's read first (SQLite: a fresh write, no upgrade)
    now = utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < now - SEEN_EVERY)
        .values(last_seen_at=now)
    )
    commit()


@service
def end(raw_key: str | None) -> None:
    """Log out this browser: its session row goes, so a copy of the cookie is dead too."""
    if raw_key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == key_hash(raw_key)))
        commit()


def end_all(user: User, keep: str | None = None) -> None:
    """End every session of a user (but `keep`'s); the caller's transaction commits."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.key_hash != key_hash(keep))
    db.session.execute(query)
