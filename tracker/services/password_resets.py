"""One-time links to set a new password, for a forgotten one (there is no e-mail).

An admin, or a coordinator for the accounts they manage, makes a link; it is shown once
(only its hash is kept), lasts RESET_VALID, and its first use sets the password, ends the
user's sessions and revokes their API tokens. A newer link replaces an older unused one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import PasswordReset, User
from tracker.models.base import utcnow
from tracker.services import audit
from tracker.services.access import Actor, require_role
from tracker.services.unit import commit, locked, service
from tracker.services.users import (
    PASSWORD_METHOD,
    _check_password,
    _end_everything,
    get_user_by_id,
    hash_token,
    require_manages,
)

RESET_VALID = timedelta(hours=24)


class ResetLinkRefused(Conflict):
    """The link cannot be used: `reason` is unknown, used, expired, replaced or inactive."""

    def __init__(self, reason: str, detail: Any) -> None:
        super().__init__(detail)
        self.reason = reason
        if reason == "unknown":
            self.status, self.title, self.slug = 404, _l("Finnes ikke"), "not-found"
        else:
            self.status, self.title, self.slug = 410, _l("Ikke lenger gyldig"), "gone"


def _end_open_links(user: User) -> None:
    db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


@service
def create_reset(actor: Actor, user_id: int) -> tuple[PasswordReset, str]:
    """A new link for an account the actor manages; the raw token is returned only now."""
    require_role(actor, "coordinator")
    user = require_manages(actor, get_user_by_id(user_id, lock=True))
    if not user.active:
        raise Conflict(
            _l("Kontoen %(email)s er deaktivert; aktiver den først.", email=user.email),
            {"user": [_l("Deaktivert.")]},
        )
    _end_open_links(user)
    raw = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user=user,
        token_hash=hash_token(raw),
        created_by_id=actor.user_id,
        expires_at=utcnow() + RESET_VALID,
    )
    db.session.add(reset)
    db.session.flush()
    audit.record(
        actor,
        "user",
        user.id,
        "password_reset_link",
        after={"link": reset.id, "expires_at": reset.expires_at.isoformat()},
    )
    commit()
    return reset, raw


def _usable(raw: str, *, lock: bool = False) -> PasswordReset:
    """The link behind a raw token if it can still be used, else ResetLinkRefused."""
    query = select(PasswordReset).where(PasswordReset.token_hash == hash_token(raw))
    reset = db.session.scalar(locked(query) if lock else query)
    if reset is None:
        raise ResetLinkRefused("unknown", _l("Denne passordlenken er ukjent."))
    if reset.used_at is not None:
        raise ResetLinkRefused("used", _l("Denne passordlenken er allerede brukt."))
    if reset.revoked_at is not None:
        raise ResetLinkRefused("replaced", _l("En nyere passordlenke har erstattet denne."))
    if reset.expires_at <= utcnow():
        raise ResetLinkRefused("expired", _l("Denne passordlenken er utløpt."))
    if not reset.user.active:
        raise ResetLinkRefused("inactive", _l("Kontoen er deaktivert."))
    return reset


def check_reset(raw: str) -> User:
    """The account a link would set the password of, if the link is still good."""
    return _usable(raw).user


@service
def use_reset(raw: str, password: str) -> User:
    """Set the password through a link: once; the user's sessions and API tokens end."""
    reset = _usable(raw, lock=True)  # racing uses of one link: the second finds it used
    _check_password(password)
    user = get_user_by_id(reset.user_id, lock=True)
    reset.used_at = utcnow()
    user.password_hash = generate_password_hash(password, PASSWORD_METHOD)
    as_user = Actor(user)
    revoked = _end_everything(as_user, user)
    db.session.flush()
    _end_open_links(user)
    audit.record(
        as_user,
        "user",
        user.id,
        "password_reset",
        after={"link": reset.id, "tokens_revoked": revoked},
    )
    commit()
    return user
