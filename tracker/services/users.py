"""User accounts, site memberships, API tokens and authentication."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Select, bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.errors import Conflict, Forbidden, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import ApiToken, Membership, Site, User
from tracker.models.auth import GLOBAL_ROLES, ROLES, SITE_ROLES
from tracker.models.base import utcnow
from tracker.privacy import check_free_text
from tracker.services import audit, sessions
from tracker.services.access import (
    ROLE_NAMES,
    Actor,
    can,
    get_site,
    require_role,
    require_site,
    visible_sites,
)
from tracker.services.sites import get_municipality
from tracker.services.unit import Idempotency, commit, get_by_id, lock_by_id, service

MIN_PASSWORD = 10
DEFAULT_TOKEN_DAYS = 365
TOKEN_USE_EVERY = timedelta(hours=1)  # how often a token's last_used_at is written
TOKEN_PREFIX = "trk_"  # noqa: S105 - a marker, not a secret
PASSWORD_METHOD = "scrypt:32768:8:1"  # noqa: S105 - hash parameters
# A throwaway password's hash with PASSWORD_METHOD, checked when the email is unknown (so it
# costs what a known email costs); whatever it matches, an unknown email never logs in.
DUMMY_HASH = (  # noqa: S105 - not a credential
    "scrypt:32768:8:1$ptMhuYDyM51IfMpo$e6b83e23c5035d3e0779a8985cda6658e17bb050808955c478c281bd21"
    "b573e818020966f67df06e2faf0e99d7bdc53d86dfe7b5180162ff53b3de6967cb950e"
)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def get_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_l("Det finnes ingen bruker med e-post %(email)s.", email=email))
    return user


def _locked(user: User) -> User:
    """The account locked and read fresh, for a change to it (invariant 8).

    Racing changes (a password change and a deactivation, two "log out everywhere") then
    apply one after another, each bumping the session version from the committed value.
    """
    fresh = lock_by_id(User, user.id)
    if fresh is None:
        raise NotFound(_l("Det finnes ingen bruker med id %(id)s.", id=user.id))
    return fresh


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            _l("Et passord må ha minst %(n)s tegn.", n=MIN_PASSWORD),
            {"password": [_l("For kort.")]},
        )


def create_user_unchecked(
    email: str,
    name: str,
    password: str,
    role: str,
    site_codes: list[str] | None = None,
    municipality: str | None = None,
) -> User:
    """Build a user without an actor's permission check (bootstrap and services below)."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationError(_l("Det er ikke en e-postadresse."), {"email": [_l("Ugyldig.")]})
    check_free_text("email", email)
    check_free_text("name", name)
    if role not in ROLES:
        raise ValidationError(_l("Ukjent rolle: %(role)s.", role=role), {"role": [_l("Ukjent.")]})
    if role in SITE_ROLES and not site_codes:
        raise ValidationError(
            _l("Ansatte og stedsledere må ha et sted."), {"site": [_l("Må fylles ut.")]}
        )
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            _l("Det finnes allerede en bruker med e-post %(email)s.", email=email),
            {"email": [_l("Allerede i bruk.")]},
        )
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password, PASSWORD_METHOD),
        global_role=role if role in GLOBAL_ROLES else None,
        municipality_id=get_municipality(municipality).id if municipality else None,
        active=True,
        session_version=1,
    )
    for code in site_codes or []:
        user.memberships.append(
            Membership(site=get_site(code), role=role if role in SITE_ROLES else "lead")
        )
    db.session.add(user)
    db.session.flush()
    return user


def user_snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "active": user.active,
        "global_role": user.global_role,
        "municipality": user.municipality.number if user.municipality else None,
        "sites": {m.site.code: m.role for m in user.memberships},
    }


def manages(actor: Actor, user: User) -> bool:
    """Whether the actor may change this account (invariant 11's "users of their
    municipality"): an admin anyone; a coordinator no admin, and, if they are a coordinator
    of one municipality, only accounts tied to it alone (its sites, or its coordinators)."""
    if actor.is_admin:
        return True
    if actor.user.global_role != "coordinator" or user.global_role == "admin":
        return False
    area = actor.user.municipality_id
    if area is None:
        return True
    if user.global_role == "coordinator" and user.municipality_id != area:
        return False
    places = {m.site.municipality_id for m in user.memberships}
    return places == {area} or (not places and user.municipality_id == area)


def require_manages(actor: Actor, user: User) -> User:
    if not manages(actor, user):
        raise Forbidden(_l("Du har ikke tilgang til kontoen %(email)s.", email=user.email))
    return user


def _check_grant(actor: Actor, user: User) -> None:
    """What an account may be given by this actor: never more than the actor holds."""
    if user.global_role is None and not user.memberships:
        raise ValidationError(
            _l("En bruker må ha et sted eller rollen koordinator eller administrator."),
            {"memberships": [_l("Tom.")]},
        )
    if user.global_role != "coordinator":
        user.municipality = None
    db.session.flush()  # ids follow the relationships just set
    if actor.is_admin:
        return
    if user.global_role == "admin":
        raise Forbidden(
            _l("Dette krever rollen %(role)s.", role=ROLE_NAMES["admin"]),
            {"role": [_l("Bare administratorer lager administratorer.")]},
        )
    area = actor.user.municipality_id
    if user.global_role == "coordinator" and area is not None and user.municipality_id != area:
        raise Forbidden(
            _l(
                "Du har ikke tilgang til den kommunen: koordinatorer lager koordinatorer bare "
                "i egen kommune."
            ),
            {"municipality": [_l("Ikke din kommune.")]},
        )
    for membership in user.memberships:
        require_site(actor, membership.site, "coordinator")


@service
def create_user(
    actor: Actor | None,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    site_codes: list[str] | None = None,
    municipality: str | None = None,
    idem: Idempotency | None = None,
) -> User:
    """Create a user; actor None is the operator at the command line (bootstrap)."""
    if actor is not None:
        require_role(actor, "admin" if role == "admin" else "coordinator")
        if role == "coordinator" and municipality is None and not actor.is_admin:
            municipality = _area_number(actor)
    user = create_user_unchecked(email, name, password, role, site_codes, municipality)
    if actor is not None:
        _check_grant(actor, user)
        db.session.flush()
        audit.record(actor, "user", user.id, "create", after=user_snapshot(user))
    else:
        audit.record(Actor(user), "user", user.id, "create_cli", after=user_snapshot(user))
    commit(idem, user)
    return user


def admin_exists() -> bool:
    return (
        db.session.scalar(select(User.id).where(User.global_role == "admin").limit(1)) is not None
    )


@service
def create_first_admin(email: str, name: str, password: str) -> User:
    """The first admin of a new installation (the operator at the command line); refused
    once any admin exists, so it cannot be used to make a second one unseen."""
    if admin_exists():
        raise Conflict(
            _l(
                "Det finnes allerede en administrator; `init` lager bare den første. Bruk "
                "`users create` eller brukersiden."
            ),
            {"admin": [_l("Finnes allerede.")]},
        )
    user = create_user_unchecked(email, name, password, "admin")
    audit.record(Actor(user), "user", user.id, "init", after=user_snapshot(user))
    commit()
    return user


def find_login(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def verify_password(user: User | None, password: str) -> bool:
    """Whether the password is right for an active user. Always exactly one hash check: an
    unknown email is checked against a dummy hash of the same cost, so it takes as long."""
    if user is None:
        check_password_hash(DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password) and user.active


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer either way)."""
    user = find_login(email)
    return user if verify_password(user, password) else None


def _end_everything(actor: Actor, user: User, keep_session: str | None = None) -> int:
    """End the user's sessions (but keep_session) and revoke their API tokens: a stolen
    cookie or token must not outlive a password change or "log out everywhere"."""
    user.session_version += 1
    sessions.end_all(user, keep=keep_session)
    return revoke_all_tokens(actor, user)


@service
def change_password(actor: Actor, current: str, new: str, keep_session: str | None = None) -> User:
    """A new password; every other session ends and the user's API tokens are revoked."""
    user = _locked(actor.user)  # a racing change of the password must know the new one
    if not check_password_hash(user.password_hash, current):
        raise ValidationError(_l("Nåværende passord er feil."), {"current": [_l("Feil passord.")]})
    _check_password(new)
    user.password_hash = generate_password_hash(new, PASSWORD_METHOD)
    revoked = _end_everything(actor, user, keep_session)
    audit.record(actor, "user", user.id, "change_password", after={"tokens_revoked": revoked})
    commit()
    return user


def set_password_unchecked(user: User, password: str, action: str) -> None:
    """A new password without the current one, for the operator at the command line (the
    demo's users); sessions end and API tokens are revoked as on any change. The caller
    commits."""
    _check_password(password)
    user = _locked(user)
    user.password_hash = generate_password_hash(password, PASSWORD_METHOD)
    revoked = _end_everything(Actor(user), user)
    audit.record(Actor(user), "user", user.id, action, after={"tokens_revoked": revoked})


def _area_number(actor: Actor) -> str | None:
    place = actor.user.municipality
    return place.number if place is not None else None


@service
def end_all_sessions(actor: Actor, email: str | None = None) -> User:
    """Log a user out everywhere (yourself, or an account you manage); tokens are revoked."""
    user = actor.user if email is None else get_user(email)
    if user.id != actor.user_id:
        require_manages(actor, user)
    user = _locked(user)
    revoked = _end_everything(actor, user)
    audit.record(actor, "user", user.id, "end_sessions", after={"tokens_revoked": revoked})
    commit()
    return user


@service
def set_active(actor: Actor, email: str, active: bool) -> User:
    """Deactivate (ending every session) or reactivate an account you manage; a repeat
    changes nothing."""
    user = _locked(require_manages(actor, get_user(email)))
    if user.active == active:
        commit()  # nothing to write; ends the transaction and its lock
        return user
    before = user_snapshot(user)
    _set_active(actor, user, active)
    audit.record(
        actor,
        "user",
        user.id,
        "activate" if active else "deactivate",
        before=before,
        after=user_snapshot(user),
    )
    commit()
    return user


def _set_active(actor: Actor, user: User, active: bool) -> None:
    if not active and user.id == actor.user_id:
        raise Conflict(_l("Du kan ikke deaktivere din egen konto."), {"active": [_l("Din egen.")]})
    user.active = active
    user.session_version += 1
    sessions.end_all(user)


def token_days(days: int | None) -> int:
    """Days a new token lasts: as asked, at most TOKEN_MAX_AGE_DAYS (also the default)."""
    longest = int(current_app.config.get("TOKEN_MAX_AGE_DAYS", DEFAULT_TOKEN_DAYS))
    if days is None:
        return longest
    if not 1 <= days <= longest:
        raise ValidationError(
            _l("En API-nøkkel varer fra 1 til %(n)s dager.", n=longest),
            {"days": [_l("Fra 1 til %(n)s.", n=longest)]},
        )
    return days


@service
def create_token(
    actor: Actor | None, email: str, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new API token for a user (your own; an admin's for anyone); the raw token is
    returned once and only its hash kept."""
    if actor is not None and email.strip().lower() != actor.user.email:
        require_role(actor, "admin")  # before the lookup: no probing which emails exist
    user = get_user(email)
    check_free_text("name", name)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=utcnow() + timedelta(days=token_days(days)),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor or Actor(user),
        "api_token",
        token.id,
        "create",
        after={
            "user": user.email,
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    commit()
    return token, raw


def tokens_query(actor: Actor | None, email: str | None = None) -> Select[tuple[ApiToken]]:
    """API tokens, newest first: the actor's own; an admin's or the operator's (None) all,
    or one user's. Revoked and expired ones are listed too, marked so."""
    query = (
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if actor is not None and not actor.is_admin:
        return query.where(ApiToken.user_id == actor.user_id)
    if email:
        query = query.where(ApiToken.user_id == get_user(email).id)
    return query


def list_tokens(actor: Actor | None, email: str | None = None) -> list[ApiToken]:
    return list(db.session.scalars(tokens_query(actor, email)))


@service
def revoke_token(actor: Actor | None, token_id: int) -> ApiToken:
    """Revoke a token at once; another user's token is not found unless you are admin.

    Revoking it again changes nothing (it keeps its first time)."""
    token = lock_by_id(ApiToken, token_id)
    if token is None or not (actor is None or actor.is_admin or token.user_id == actor.user_id):
        raise NotFound(_l("Det finnes ingen API-nøkkel med id %(id)s.", id=token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            actor or Actor(token.user),
            "api_token",
            token.id,
            "revoke" if actor is not None else "revoke_cli",
            after={"user": token.user.email, "name": token.name, "prefix": token.prefix},
        )
    commit()  # also ends the transaction and its lock when there was nothing to write
    return token


def revoke_all_tokens(actor: Actor, user: User) -> int:
    """Revoke every live token of a user (the caller commits); returns how many."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return cast("CursorResult[Any]", result).rowcount or 0


# Built once (its cache key too): statement construction was a fifth of the lookup's CPU.
_TOKEN = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("token_hash"))
    .options(joinedload(ApiToken.user).joinedload(User.memberships))
)


def authenticate_token(raw: str) -> tuple[User, ApiToken] | None:
    """The user behind a bearer token, if the token is known, unrevoked, unexpired and the
    user active."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    # One round trip: token, user and memberships joined (every API request pays this).
    token = (
        db.session.execute(_TOKEN, {"token_hash": hash_token(raw)}).unique().scalar_one_or_none()
    )
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at <= utcnow():
        return None
    return token.user, token


def token_use_due(token: ApiToken) -> bool:
    """Whether the token's last use is worth writing (at most hourly, not every request)."""
    return token.last_used_at is None or token.last_used_at < utcnow() - TOKEN_USE_EVERY


@service
def note_token_use(token_id: int) -> None:
    """Write when a token was last used, in a short transaction of its own."""
    db.session.commit()  # end the request's read first (SQLite: a fresh write, no upgrade)
    now = utcnow()
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOKEN_USE_EVERY),
        )
        .values(last_used_at=now)
    )
    commit()


@service
def remember_site(actor: Actor, site_code: str) -> User:
    """Remember the site the user last picked, so the pages open there next time."""
    site = require_site(actor, get_site(site_code))
    user = actor.user
    if user.last_site_id != site.id:
        user.last_site_id = site.id
        audit.record(actor, "user", user.id, "pick_site", site_id=site.id)
        commit()
    return user


def last_site_code(actor: Actor) -> str | None:
    """The user's remembered site if they may still open it, else their only site, else None."""
    sites = list(db.session.scalars(visible_sites(actor).limit(2)))
    if actor.user.last_site_id is not None:
        remembered = db.session.get(Site, actor.user.last_site_id)
        if remembered is not None and remembered.active and can(actor, remembered):
            return remembered.code
    return sites[0].code if len(sites) == 1 else None


def only_site_code(actor: Actor) -> str | None:
    """The one active site of staff or a lead with exactly one, else None (nothing to pick:
    after login they go straight to it)."""
    if actor.user.global_role is not None:
        return None
    found = list(db.session.scalars(visible_sites(actor).where(Site.active.is_(True)).limit(2)))
    return found[0].code if len(found) == 1 else None


def list_users(actor: Actor) -> list[User]:
    """Accounts a coordinator or admin may manage; a municipal coordinator sees their area's."""
    require_role(actor, "coordinator")
    query = (
        select(User)
        .options(
            selectinload(User.memberships).joinedload(Membership.site),
            joinedload(User.municipality),
        )
        .order_by(User.name, User.email)
    )
    if not actor.is_admin and actor.user.municipality_id is not None:
        local = (
            select(Membership.user_id)
            .join(Site)
            .where(Site.municipality_id == actor.user.municipality_id)
        )
        query = query.where(
            User.id.in_(local) | (User.municipality_id == actor.user.municipality_id)
        )
    return list(db.session.scalars(query))


def get_user_by_id(user_id: int, *, lock: bool = False) -> User:
    user = lock_by_id(User, user_id) if lock else get_by_id(User, user_id)
    if user is None:
        raise NotFound(_l("Det finnes ingen bruker %(id)s.", id=user_id))
    return user


def read_user(actor: Actor, user_id: int) -> User:
    """One account, for an admin or a coordinator who manages it."""
    require_role(actor, "coordinator")
    return require_manages(actor, get_user_by_id(user_id))


def _active_admins() -> int:
    query = select(User.id).where(User.global_role == "admin", User.active.is_(True))
    return len(db.session.scalars(query).all())


def _set_memberships(user: User, wanted: list[dict[str, str]]) -> None:
    """Make the user's memberships exactly these {site, role} pairs."""
    roles: dict[str, str] = {}
    for entry in wanted:
        if entry["role"] not in SITE_ROLES:
            raise ValidationError(
                _l("Ukjent rolle ved sted: %(role)s.", role=entry["role"]),
                {"memberships": [_l("Ukjent rolle.")]},
            )
        if entry["site"] in roles:
            raise ValidationError(
                _l("Stedet %(site)s står to ganger.", site=entry["site"]),
                {"memberships": [_l("Står to ganger.")]},
            )
        roles[entry["site"]] = entry["role"]
    for membership in list(user.memberships):
        if membership.site.code not in roles:
            user.memberships.remove(membership)
        else:
            membership.role = roles.pop(membership.site.code)
    for code, role in roles.items():
        user.memberships.append(Membership(site=get_site(code, "memberships"), role=role))


@service
def update_user(actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
    """Change an account you manage: name, global role, municipality, site memberships
    (the whole list), active. Nobody is given more than the actor holds (403)."""
    require_role(actor, "coordinator")
    user = require_manages(actor, get_user_by_id(user_id, lock=True))
    before = user_snapshot(user)
    if "name" in changes:
        check_free_text("name", changes["name"])
        user.name = changes["name"]
    if "global_role" in changes:
        if changes["global_role"] not in (None, *GLOBAL_ROLES):
            raise ValidationError(_l("Ukjent rolle."), {"global_role": [_l("Ukjent.")]})
        if user.id == actor.user_id and changes["global_role"] != user.global_role:
            raise Conflict(
                _l("Du kan ikke endre din egen rolle."), {"global_role": [_l("Din egen.")]}
            )
        user.global_role = changes["global_role"]
    if "municipality" in changes:
        number = changes["municipality"]
        user.municipality = get_municipality(number) if number else None
    if "memberships" in changes:
        _set_memberships(user, changes["memberships"])
    if "active" in changes and changes["active"] != user.active:
        _set_active(actor, user, changes["active"])
    _check_grant(actor, user)
    require_manages(actor, user)  # still theirs after the change
    db.session.flush()
    if before["global_role"] == "admin" and _active_admins() == 0:
        raise Conflict(
            _l("Den siste aktive administratoren må forbli aktiv administrator."),
            {"global_role": [_l("Den siste.")]},
        )
    audit.record(actor, "user", user.id, "update", before=before, after=user_snapshot(user))
    commit()
    return user


def email_of(user_id: int) -> str:
    email = db.session.scalar(select(User.email).where(User.id == user_id))
    if email is None:
        raise NotFound(_l("Det finnes ingen bruker med id %(id)s.", id=user_id))
    return email
