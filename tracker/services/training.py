"""Training sessions (HLR, first aid, naloxone, SWITCH, overdose talks) and their attendees.

Who may do what (DESIGN.md: coordinators record training): coordinators and admins record
and correct sessions at the sites they can see, site leads at their own sites; staff see the
sessions of their own sites, read-only. Staff who attended are picked from the site's active
members and get a certification of the session's type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import selectinload

from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, Forbidden, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import (
    Certification,
    Membership,
    Municipality,
    Site,
    TrainingAttendee,
    TrainingSession,
    User,
)
from tracker.models.training import (
    AUDIENCES,
    MAX_ATTENDEES,
    MAX_AUDIENCE,
    MAX_DURATION,
    TRAINING_TYPES,
)
from tracker.privacy import check_free_text
from tracker.services import audit, certifications, period_locks
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, get_by_id, lock_by_id, service

RECORD_ROLE = "lead"  # leads at their sites, coordinators in their municipality, admins


def snapshot(session: TrainingSession) -> dict[str, Any]:
    return {
        "site": session.site.code,
        "date": session.held_on.isoformat(),
        "type": session.training_type,
        "counts": {a: getattr(session, f"{a}_count") for a in AUDIENCES},
        "duration_minutes": session.duration_minutes,
        "trainer": session.trainer,
        "note": session.note,
        "attendees": sorted(a.user_id for a in session.attendees),
    }


# The audiences as people say them, for messages.
AUDIENCE_NAMES = {
    "pwud": _l("personer som bruker rusmidler"),
    "relative": _l("pårørende"),
    "staff": _l("ansatte"),
    "other": _l("andre"),
}


# The audiences as people say them, for messages.
AUDIENCE_NAMES = {
    "pwud": _l("personer som bruker rusmidler"),
    "relative": _l("pårørende"),
    "staff": _l("ansatte"),
    "other": _l("andre"),
}


def _check_date(held_on: date) -> None:
    """A session has happened: today at the latest (no late-shift allowance)."""
    if held_on > today():
        raise ValidationError(
            _l(
                "Datoen %(date)s er fram i tid; før opp kurset når det er holdt.",
                date=held_on.isoformat(),
            ),
            {"date": [_l("Datoen er fram i tid.")]},
        )
    check_entry_date(held_on)


def _check_counts(counts: Mapping[str, int | None], attendees: int) -> dict[str, int]:
    """Whole numbers 0..MAX_AUDIENCE; staff defaults to, and may not be below, the attendees."""
    checked: dict[str, int] = {}
    for audience in AUDIENCES:
        value = counts.get(audience)
        if value is None:
            value = attendees if audience == "staff" else 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                _l("Antall %(audience)s må være et helt tall.", audience=AUDIENCE_NAMES[audience]),
                {audience: [_l("Ikke et gyldig heltall.")]},
            )
        if not 0 <= value <= MAX_AUDIENCE:
            raise ValidationError(
                _l(
                    "Antall %(audience)s må være fra 0 til %(max)s.",
                    audience=AUDIENCE_NAMES[audience],
                    max=MAX_AUDIENCE,
                ),
                {audience: [_l("Utenfor tillatt område.")]},
            )
        checked[audience] = value
    if checked["staff"] < attendees:
        raise ValidationError(
            _l(
                "%(named)s ansatte er krysset av som deltakere, men antall ansatte er %(count)s.",
                named=attendees,
                count=checked["staff"],
            ),
            {"staff": [_l("Færre enn de ansatte som er krysset av.")]},
        )
    if sum(checked.values()) == 0:
        raise ValidationError(
            _l("Kurset må ha minst én deltaker."), {"_schema": [_l("Ingen deltakere.")]}
        )
    return checked


def _check_details(training_type: str, duration: int | None, trainer: str | None) -> None:
    if training_type not in TRAINING_TYPES:
        raise ValidationError(
            _l("Ukjent kurstype: %(type)s.", type=training_type), {"type": [_l("Ukjent.")]}
        )
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 1 <= duration <= MAX_DURATION
    ):
        raise ValidationError(
            _l("Varigheten må være 1–%(max)s minutter.", max=MAX_DURATION),
            {"duration_minutes": [_l("Utenfor tillatt område.")]},
        )
    if trainer is not None and len(trainer) > 200:
        raise ValidationError(
            _l("Navnet på kursholderen er for langt."), {"trainer": [_l("For lang.")]}
        )


def site_staff(site: Site) -> list[User]:
    """Active members of the site (staff and leads): who can be picked as attendees."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.site_id == site.id, User.active.is_(True))
            .order_by(User.name, User.email)
        )
    )


def _resolve_attendees(site: Site, emails: list[str], already: Sequence[User] = ()) -> list[User]:
    """The named users: active staff of the site, or people already on the session."""
    wanted = [e.strip().lower() for e in emails]
    if len(wanted) > MAX_ATTENDEES:
        raise ValidationError(_l("For mange deltakere."), {"attendees": [_l("For mange.")]})
    if len(set(wanted)) != len(wanted):
        raise ValidationError(
            _l("En deltaker står to ganger."), {"attendees": [_l("Står to ganger.")]}
        )
    staff = {u.email: u for u in [*already, *site_staff(site)]}
    unknown = [e for e in wanted if e not in staff]
    if unknown:
        raise ValidationError(
            _l(
                "Ikke aktive ansatte ved %(site)s: %(people)s.",
                site=site.code,
                people=", ".join(unknown),
            ),
            {
                "attendees": [
                    _l(
                        "Ikke aktive ansatte ved %(site)s: %(people)s.",
                        site=site.code,
                        people=", ".join(unknown),
                    )
                ]
            },
        )
    return [staff[e] for e in wanted]


@service
def record_session(
    actor: Actor,
    *,
    site_code: str,
    held_on: date,
    training_type: str,
    counts: Mapping[str, int | None],
    attendees: list[str] | None = None,
    duration_minutes: int | None = None,
    trainer: str | None = None,
    note: str | None = None,
    idem: Idempotency | None = None,
) -> TrainingSession:
    """Record a held session; each named staff attendee gets a certification of its type."""
    site = require_site(actor, get_site(site_code), RECORD_ROLE)
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    _check_date(held_on)
    period_locks.ensure_open([site.id], [held_on])
    _check_details(training_type, duration_minutes, trainer)
    check_free_text("note", note)
    check_free_text("trainer", trainer)
    people = _resolve_attendees(site, attendees or [])
    checked = _check_counts(counts, len(people))
    session = TrainingSession(
        site=site,
        held_on=held_on,
        training_type=training_type,
        duration_minutes=duration_minutes,
        trainer=(trainer or "").strip() or None,
        note=(note or "").strip() or None,
        created_by_id=actor.user_id,
        attendees=[TrainingAttendee(user_id=u.id) for u in people],
        **{f"{a}_count": n for a, n in checked.items()},
    )
    db.session.add(session)
    db.session.flush()
    certifications.certify([u.id for u in people], training_type, session.id, held_on)
    audit.record(
        actor, "training_session", session.id, "create", site_id=site.id, after=snapshot(session)
    )
    commit(idem, session)
    return session


@service
def correct_session(actor: Actor, session_id: int, changes: dict[str, Any]) -> TrainingSession:
    """Change a recorded session; its certifications are re-issued from the corrected facts.

    The session is locked first: racing corrections apply one after another, each
    replacing the certifications the other left.
    """
    session = get_session(actor, session_id, lock=True)
    require_site(actor, session.site, RECORD_ROLE)
    before = snapshot(session)
    held_on = changes.get("held_on", session.held_on)
    training_type = changes.get("training_type", session.training_type)
    duration = changes.get("duration_minutes", session.duration_minutes)
    trainer = changes.get("trainer", session.trainer)
    note = changes.get("note", session.note)
    _check_date(held_on)
    period_locks.ensure_open([session.site_id], [session.held_on, held_on])
    _check_details(training_type, duration, trainer)
    check_free_text("note", note)
    check_free_text("trainer", trainer)
    if "attendees" in changes:
        already = [a.user for a in session.attendees]
        people = _resolve_attendees(session.site, changes["attendees"] or [], already)
        user_ids = [u.id for u in people]
    else:
        user_ids = [a.user_id for a in session.attendees]
    counts: dict[str, int | None] = {a: getattr(session, f"{a}_count") for a in AUDIENCES}
    counts.update(changes.get("counts") or {})
    if "staff" not in (changes.get("counts") or {}):  # keep it, but at least the attendees
        counts["staff"] = max(session.staff_count, len(user_ids))
    checked = _check_counts(counts, len(user_ids))
    session.held_on, session.training_type = held_on, training_type
    session.duration_minutes = duration
    session.trainer = (trainer or "").strip() or None
    session.note = (note or "").strip() or None
    for audience, value in checked.items():
        setattr(session, f"{audience}_count", value)
    kept = {a.user_id: a for a in session.attendees}
    session.attendees = [kept.get(uid) or TrainingAttendee(user_id=uid) for uid in user_ids]
    # Certifications are derived from the session; the audit event keeps what they were.
    db.session.execute(delete(Certification).where(Certification.session_id == session.id))
    db.session.flush()
    certifications.certify(user_ids, training_type, session.id, held_on)
    audit.record(
        actor,
        "training_session",
        session.id,
        "update",
        site_id=session.site_id,
        before=before,
        after=snapshot(session),
    )
    commit()
    return session


def get_session(actor: Actor, session_id: int, *, lock: bool = False) -> TrainingSession:
    """One session, if the actor may see its site; lock=True to change it (read fresh)."""
    session = (lock_by_id if lock else get_by_id)(TrainingSession, session_id)
    if session is None:
        raise NotFound(_l("Det finnes ikke noe kurs %(id)s.", id=session_id))
    require_site(actor, session.site)
    return session


def sessions_query(
    actor: Actor,
    *,
    site: str | None = None,
    training_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[TrainingSession]]:
    """Sessions at the sites the actor can see (or one site), newest first."""
    query = (
        select(TrainingSession)
        .options(
            selectinload(TrainingSession.attendees).selectinload(TrainingAttendee.user),
            selectinload(TrainingSession.site),
        )
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    )
    if site:
        query = query.where(TrainingSession.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(TrainingSession.site_id.in_(visible_site_ids(actor)))
    if training_type:
        query = query.where(TrainingSession.training_type == training_type)
    if date_from:
        query = query.where(TrainingSession.held_on >= date_from)
    if date_to:
        query = query.where(TrainingSession.held_on <= date_to)
    return query


@dataclass
class TypeSummary:
    """Sessions and participants of one type at one site in a period."""

    site_code: str
    training_type: str
    sessions: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AUDIENCES, 0))
    minutes: int = 0

    @property
    def participants(self) -> int:
        return sum(self.counts.values())


@dataclass
class SiteTraining:
    """One site's training in a period, and whether it held a CPR course for users each month."""

    site_id: int
    site_code: str
    site_name: str
    by_type: dict[str, TypeSummary]
    cpr_course_months: dict[str, bool]

    @property
    def months_with_cpr_course(self) -> int:
        return sum(self.cpr_course_months.values())

    @property
    def months(self) -> int:
        """Months the period touches: "CPR course in 3 of 4 months"."""
        return len(self.cpr_course_months)


def _months(start: date, end: date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def training_summary(site_ids: list[int], start: date, end: date) -> list[SiteTraining]:
    """Per site: sessions and participants by type and audience in [start, end].

    Every type appears for every site (zero when none). A month counts as having had a CPR
    course for users when a CPR session that month had at least one pwud participant. No
    access check: callers pass the sites the actor may see (as the Excel export does).
    """
    if not site_ids:
        return []
    sites = list(db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)))
    rows = db.session.execute(
        select(
            TrainingSession.site_id,
            TrainingSession.training_type,
            TrainingSession.held_on,
            func.count(TrainingSession.id),
            func.coalesce(func.sum(TrainingSession.duration_minutes), 0),
            *(func.sum(getattr(TrainingSession, f"{a}_count")) for a in AUDIENCES),
        )
        .where(
            TrainingSession.site_id.in_(site_ids),
            TrainingSession.held_on >= start,
            TrainingSession.held_on <= end,
        )
        .group_by(TrainingSession.site_id, TrainingSession.training_type, TrainingSession.held_on)
    ).all()
    months = _months(start, end)
    result = {
        s.id: SiteTraining(
            s.id,
            s.code,
            s.name,
            {t: TypeSummary(s.code, t) for t in TRAINING_TYPES},
            dict.fromkeys(months, False),
        )
        for s in sites
    }
    for site_id, kind, held_on, sessions, minutes, *sums in rows:
        summary = result[site_id].by_type[kind]
        summary.sessions += sessions
        summary.minutes += int(minutes)
        for audience, value in zip(AUDIENCES, sums, strict=True):
            summary.counts[audience] += int(value or 0)
        if kind == "cpr" and sums[0]:
            result[site_id].cpr_course_months[f"{held_on:%Y-%m}"] = True
    return list(result.values())


MAX_PERIOD_DAYS = 10 * 366


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError(
            _l("Perioden slutter før den begynner."), {"to": [_l("Før fra-datoen.")]}
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(_l("Perioden er lengre enn ti år."), {"to": [_l("For lang.")]})


def summary_for(
    actor: Actor,
    *,
    start: date,
    end: date,
    sites: Sequence[str] = (),
    municipality: str | None = None,
) -> list[SiteTraining]:
    """training_summary over the named sites, a municipality's sites, or every site the actor
    can see (the report filters; a named site the actor cannot see is refused)."""
    _check_period(start, end)
    if sites:
        site_ids = [require_site(actor, get_site(code)).id for code in dict.fromkeys(sites)]
    else:
        site_ids = visible_site_ids(actor)
    if municipality:
        place = db.session.scalar(select(Municipality).where(Municipality.number == municipality))
        if place is None:
            raise NotFound(
                _l("Det finnes ingen kommune med nummer %(number)s.", number=municipality),
                {"municipality": [_l("Ukjent kommune.")]},
            )
        site_ids = list(
            db.session.scalars(
                select(Site.id).where(Site.id.in_(site_ids), Site.municipality_id == place.id)
            )
        )
    return training_summary(site_ids, start, end)


def recordable_sites(actor: Actor) -> list[Site]:
    """Active sites where the actor may record training (lead or above)."""
    visible = db.session.scalars(
        select(Site).where(Site.id.in_(visible_site_ids(actor)), Site.active.is_(True))
    )
    return sorted((s for s in visible if can(actor, s, RECORD_ROLE)), key=lambda s: (s.code,))


@dataclass
class RegisterChoices:
    """What the register form offers: the sites, the one chosen, and its staff to pick from."""

    sites: list[Site]
    site: Site | None
    staff: list[User]


def register_choices(actor: Actor, site_code: str | None) -> RegisterChoices:
    """The sites the actor may record at; the chosen one (or the first) and its active staff."""
    sites = recordable_sites(actor)
    if not sites:
        raise Forbidden(_l("Bare stedsledere og koordinatorer fører opp kurs."))
    chosen = next((s for s in sites if s.code == site_code), None)
    if chosen is None and site_code:
        require_site(actor, get_site(site_code), RECORD_ROLE)
    last = next((s for s in sites if s.id == actor.user.last_site_id), None)
    chosen = chosen or last or sites[0]
    return RegisterChoices(sites, chosen, site_staff(chosen))


def edit_choices(actor: Actor, session_id: int) -> tuple[TrainingSession, list[User]]:
    """A session to correct, and who can be ticked: the site's staff and its attendees."""
    session = get_session(actor, session_id)
    require_site(actor, session.site, RECORD_ROLE)
    people = {u.id: u for u in site_staff(session.site)}
    for attendee in session.attendees:
        people.setdefault(attendee.user_id, attendee.user)
    return session, sorted(people.values(), key=lambda u: (u.name, u.email))


@dataclass
class SessionList:
    """One page of the session list, with the sites to filter by."""

    sessions: list[TrainingSession]
    sites: list[Site]
    recordable: set[int]  # ids of the sites where the actor may record and correct
    total: int
    start: date
    end: date
    summary: list[SiteTraining]


def list_sessions(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
) -> SessionList:
    """Sessions for the list page, newest first, at most `limit` of them, with the period's
    summary per site (the period defaults to this year up to today)."""
    query = sessions_query(actor, site=site, date_from=date_from, date_to=date_to)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    sessions = list(db.session.scalars(query.limit(limit)))
    sites = list(
        db.session.scalars(
            select(Site).where(Site.id.in_(visible_site_ids(actor))).order_by(Site.code)
        )
    )
    end = date_to or today()
    start = date_from or date(end.year, 1, 1)
    site_ids = [s.id for s in sites if site is None or s.code == site]
    summary = training_summary(site_ids, start, end) if start <= end else []
    recordable = {s.id for s in recordable_sites(actor)}
    return SessionList(sessions, sites, recordable, total or 0, start, end, summary)


def summary_by_codes(codes: list[str], start: date, end: date) -> list[SiteTraining]:
    """training_summary for sites named by code, or every active site (the CLI's view)."""
    _check_period(start, end)
    if codes:
        site_ids = [get_site(code).id for code in codes]
    else:
        site_ids = list(db.session.scalars(select(Site.id).where(Site.active.is_(True))))
    return training_summary(site_ids, start, end)
