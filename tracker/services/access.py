"""Who may see and change which site: the one place the access rules live."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from tracker.errors import Forbidden, NotFound
from tracker.extensions import db
from tracker.models import Membership, Site, User
from tracker.models.auth import ROLE_RANK
from tracker.services.unit import locked


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, and the API token used if any. Passed to every service."""

    user: User
    token_id: int | None = None

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.global_role == "admin"

    @property
    def is_coordinator(self) -> bool:
        return self.user.global_role in ("coordinator", "admin")


def site_role(actor: Actor, site: Site) -> str | None:
    """The strongest role the actor holds at this site, or None."""
    user = actor.user
    if user.global_role == "admin":
        return "admin"
    if user.global_role == "coordinator" and (
        user.municipality_id is None or user.municipality_id == site.municipality_id
    ):
        return "coordinator"
    for membership in user.memberships:
        if membership.site_id == site.id:
            return membership.role
    return None


# The roles as people call them, for messages.
ROLE_NAMES = {
    "staff": _l("ansatt"),
    "lead": _l("stedsleder"),
    "coordinator": _l("koordinator"),
    "admin": _l("administrator"),
}


def can(actor: Actor, site: Site, need: str = "staff") -> bool:
    role = site_role(actor, site)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[need]


def require_site(actor: Actor, site: Site, need: str = "staff") -> Site:
    """Raise Forbidden unless the actor holds at least `need` at the site."""
    if not can(actor, site, need):
        raise Forbidden(
            _l(
                "Du har ikke tilgang til stedet %(site)s som %(role)s.",
                site=site.code,
                role=ROLE_NAMES[need],
            ),
            code="no-site-access",
        )
    return site


def require_role(actor: Actor, need: str) -> None:
    """For actions not tied to one site (catalogue, users): a global role is needed."""
    role = actor.user.global_role
    if role is None or ROLE_RANK[role] < ROLE_RANK[need]:
        raise Forbidden(_l("Dette krever rollen %(role)s.", role=ROLE_NAMES[need]))


def get_site(code: str, field: str = "site", *, lock: bool = False) -> Site:
    """The site with this code; lock=True to change it (locked and read fresh)."""
    query = select(Site).where(Site.code == code)
    site = db.session.scalar(locked(query) if lock else query)
    if site is None:
        raise NotFound(
            _l("Det finnes ikke noe sted med koden %(code)s.", code=code),
            {field: [_l("Ukjent sted.")]},
        )
    return site


def visible_sites(actor: Actor) -> Select[tuple[Site]]:
    """A query of the sites the actor may see."""
    query = select(Site).order_by(Site.code)
    user = actor.user
    if user.global_role == "admin" or (
        user.global_role == "coordinator" and user.municipality_id is None
    ):
        return query
    member_of = select(Membership.site_id).where(Membership.user_id == user.id)
    if user.global_role == "coordinator":
        return query.where((Site.municipality_id == user.municipality_id) | Site.id.in_(member_of))
    return query.where(Site.id.in_(member_of))


def visible_site_ids(actor: Actor) -> list[int]:
    return list(db.session.scalars(visible_sites(actor).with_only_columns(Site.id)))


def strongest_role(user: User) -> str | None:
    """The highest role a user holds anywhere (global role or any site membership)."""
    roles = [role for role in (user.global_role, *(m.role for m in user.memberships)) if role]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else None


def likely_first(actor: Actor, sites: list[Site]) -> list[Site]:
    """The sites in the order a picker offers them: the user's last-picked site, then the
    other sites of its municipality (or of the user's own), then the rest by code. A form
    whose site field starts at the first does not start an Oslo lead out at a Bergen site."""
    last = next((s for s in sites if s.id == actor.user.last_site_id), None)
    near = last.municipality_id if last else actor.user.municipality_id
    return sorted(sites, key=lambda s: (s is not last, s.municipality_id != near, s.code))
