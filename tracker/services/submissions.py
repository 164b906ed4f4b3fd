"""Submissions: a coordinator reports a period; its workbook is kept and the period locked.

The submission locks its sites' rows first (period_locks.lock_for_submission), then computes
the figures, lays out the workbook in memory and stores its exact bytes and the figures in
the same transaction: an entry racing it either lands in the figures or is refused.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload, undefer

from tracker.dates import OSLO
from tracker.errors import Conflict, NotFound, ValidationError
from tracker.exports import changes as figures_of
from tracker.exports import summary as workbook
from tracker.exports.figures import ChangeSet, FigureKey
from tracker.extensions import db
from tracker.models import (
    Municipality,
    NaloxoneHandout,
    Site,
    StockMovement,
    Submission,
    SubmissionFigure,
    SubmissionSite,
    TallyEntry,
    TrainingSession,
    User,
)
from tracker.models.base import utcnow
from tracker.privacy import check_free_text
from tracker.services import audit, exports, period_locks, reports
from tracker.services.access import Actor, can, get_site, require_role, require_site
from tracker.services.unit import Idempotency, commit, get_by_id, lock_by_id, service

SUBMIT_ROLE = "coordinator"
SEE_ROLE = "lead"
MAX_ENTRIES_LISTED = 20  # per changed figure in the Endringer sheet


@dataclass(frozen=True)
class WorkbookFile:
    """The kept bytes and the name to offer them under."""

    filename: str
    content: bytes
    sha256: str


def snapshot(sub: Submission) -> dict[str, object]:
    return {
        "from": sub.date_from.isoformat(),
        "to": sub.date_to.isoformat(),
        "sites": [s.code for s in sub.sites],
        "sha256": sub.sha256,
        "note": sub.note,
        "external": sub.external,
        "previous_id": sub.previous_id,
        "reopened_at": sub.reopened_at.isoformat() if sub.reopened_at else None,
        "reopen_reason": sub.reopen_reason,
    }


def _lock_sites(site_ids: list[int]) -> list[Site]:
    """The scope's site rows, locked against entries until this submission commits."""
    period_locks.lock_for_submission(site_ids)
    return list(db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)))


def _check_may_submit(actor: Actor, sites: Iterable[Site]) -> None:
    require_role(actor, SUBMIT_ROLE)
    for site in sites:
        if not can(actor, site, SUBMIT_ROLE):
            raise NotFound(
                _l("Det finnes ikke noe sted med koden %(code)s.", code=site.code),
                {"site": [_l("Ukjent sted: %(code)s.", code=site.code)]},
            )


def _previous(site_ids: list[int], date_from: date, date_to: date) -> Submission | None:
    """The latest reopened submission of the same period for any of these sites."""
    return db.session.scalars(
        select(Submission)
        .join(SubmissionSite, SubmissionSite.submission_id == Submission.id)
        .where(
            SubmissionSite.site_id.in_(site_ids),
            Submission.date_from == date_from,
            Submission.date_to == date_to,
            Submission.reopened_at.is_not(None),
        )
        .order_by(Submission.id.desc())
        .limit(1)
    ).first()


def _stored_figures(submission_id: int) -> dict[FigureKey, int]:
    rows = db.session.execute(
        select(
            SubmissionFigure.site_id,
            SubmissionFigure.item_id,
            SubmissionFigure.measure,
            SubmissionFigure.value,
        ).where(SubmissionFigure.submission_id == submission_id)
    )
    return {(s, i, m): int(v) for s, i, m, v in rows}


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).tuples().all()
    )


def _entries_behind(
    keys: list[FigureKey], previous: Submission, date_from: date, date_to: date
) -> dict[FigureKey, list[str]]:
    """Per changed figure: the entries written or changed since the previous submission."""
    since = previous.submitted_at
    site_ids = sorted({k[0] for k in keys})
    found: dict[FigureKey, dict[str, tuple[date, int]]] = {k: {} for k in keys}
    wanted = set(keys)
    moved = db.session.execute(
        select(
            StockMovement.site_id,
            StockMovement.item_id,
            StockMovement.tally_id,
            StockMovement.naloxone_handout_id,
            StockMovement.import_batch_id,
            StockMovement.occurred_on,
            StockMovement.recorded_by_id,
        ).where(
            StockMovement.site_id.in_(site_ids),
            StockMovement.occurred_on.between(date_from, date_to),
            StockMovement.recorded_at > since,
            StockMovement.kind.in_(("distribution", "correction")),
        )
    )
    for site_id, item_id, tally_id, handout_id, batch_id, day, who in moved:
        key = (site_id, item_id, figures_of.DISTRIBUTED)
        if key in wanted:
            ref = _ref(tally_id, handout_id, batch_id)
            if ref:
                found[key][ref] = (day, who)
    tallies = db.session.execute(
        select(
            TallyEntry.site_id,
            TallyEntry.id,
            TallyEntry.entry_date,
            TallyEntry.created_by_id,
            TallyEntry.updated_by_id,
            TallyEntry.deleted_by_id,
        ).where(
            TallyEntry.site_id.in_(site_ids),
            TallyEntry.entry_date.between(date_from, date_to),
            (TallyEntry.created_at > since)
            | (TallyEntry.updated_at > since)
            | (TallyEntry.deleted_at > since),
        )
    )
    for site_id, tally_id, day, created, updated, deleted in tallies:
        key = (site_id, None, figures_of.CONTACTS)
        if key in wanted:
            found[key][_ref(tally_id, None, None)] = (day, deleted or updated or created)
    handouts = db.session.execute(
        select(
            NaloxoneHandout.site_id,
            NaloxoneHandout.id,
            NaloxoneHandout.handed_out_on,
            NaloxoneHandout.created_by_id,
        ).where(
            NaloxoneHandout.site_id.in_(site_ids),
            NaloxoneHandout.handed_out_on.between(date_from, date_to),
            NaloxoneHandout.created_at > since,
        )
    )
    sessions = db.session.execute(
        select(
            TrainingSession.site_id,
            TrainingSession.id,
            TrainingSession.held_on,
            TrainingSession.created_by_id,
            TrainingSession.training_type,
        ).where(
            TrainingSession.site_id.in_(site_ids),
            TrainingSession.held_on.between(date_from, date_to),
            TrainingSession.created_at > since,
        )
    )
    for site_id, handout_id, day, who in handouts:
        for key in keys:
            if key[0] == site_id and key[2].startswith("naloxone."):
                found[key][_ref(None, handout_id, None)] = (day, who)
    for site_id, session_id, day, who, kind in sessions:
        for key in keys:
            if key[0] == site_id and key[2].startswith(f"training.{kind}."):
                found[key][f"opplæring {session_id}"] = (day, who)
    names = _names({who for refs in found.values() for _, who in refs.values() if who})
    result = {}
    for key, refs in found.items():
        listed = sorted(refs.items(), key=lambda r: (r[1][0], r[0]))[:MAX_ENTRIES_LISTED]
        result[key] = [
            f"{ref} ({day.strftime('%d.%m.%Y')}, {names.get(who, '?')})"
            for ref, (day, who) in listed
        ]
    return result


def _ref(tally_id: int | None, handout_id: int | None, batch_id: int | None) -> str:
    """How the Endringer sheet names an entry (its id, as the API and pages show it)."""
    if tally_id:
        return f"registrering {tally_id}"
    if handout_id:
        return f"nalokson {handout_id}"
    if batch_id:
        return f"import {batch_id}"
    return ""


def _check_input(sites: list[str], municipality: str | None) -> None:
    if not sites and not municipality:
        raise ValidationError(
            _l("Velg en kommune eller ett eller flere steder som innsendingen gjelder."),
            {"municipality": [_l("Velg kommune eller steder.")]},
        )


@service
def submit(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    note: str | None = None,
    external: bool = False,
    lang: str = "nb",
    idem: Idempotency | None = None,
) -> Submission:
    """Report the period: compute its figures, keep the exact workbook, lock the period."""
    require_role(actor, SUBMIT_ROLE)
    codes = [c for c in sites if c and c.strip()]
    _check_input(codes, municipality)
    note = (note or "").strip() or None
    check_free_text("note", note)
    scope = reports.resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=codes, municipality=municipality
    )
    locked = _lock_sites(scope.site_ids)
    _check_may_submit(actor, locked)
    standing = period_locks.covering(scope.site_ids, [(scope.start, scope.end)])
    if standing is not None:
        raise Conflict(
            _l(
                "Innsending %(id)s (%(start)s–%(end)s) står fortsatt for noen av stedene; "
                "gjenåpne den før du sender inn på nytt.",
                id=standing.id,
                start=standing.date_from.strftime("%d.%m.%Y"),
                end=standing.date_to.strftime("%d.%m.%Y"),
            ),
            code="already-submitted",
        )
    data = exports.gather(
        actor,
        date_from=scope.start,
        date_to=scope.end,
        sites=codes,
        municipality=municipality,
        lang=lang,
        external=external,
    )
    figures = figures_of.figures(data)
    previous = _previous(scope.site_ids, scope.start, scope.end)
    if previous is not None:
        before = _stored_figures(previous.id)
        change_set = ChangeSet(
            previous.id,
            previous.submitted_at.astimezone(OSLO).replace(tzinfo=None),
            before,
            figures,
        )
        if not external:
            keys = figures_of.changed(change_set)
            change_set.entries.update(_entries_behind(keys, previous, scope.start, scope.end))
        data.changes = change_set
    buffer = io.BytesIO()
    workbook.write(data, buffer)
    content = buffer.getvalue()
    place = (
        db.session.scalar(select(Municipality).where(Municipality.number == municipality))
        if municipality
        else None
    )
    sub = Submission(
        municipality_id=place.id if place else None,
        date_from=scope.start,
        date_to=scope.end,
        note=note,
        external=external,
        lang=lang,
        submitted_by_id=actor.user_id,
        submitted_at=utcnow(),
        filename=exports.filename(data),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        workbook=content,
        previous_id=previous.id if previous else None,
    )
    sub.sites = locked
    sub.submitted_by = actor.user
    db.session.add(sub)
    db.session.flush()
    if figures:
        db.session.execute(
            insert(SubmissionFigure),
            [
                {"submission_id": sub.id, "site_id": s, "item_id": i, "measure": m, "value": v}
                for (s, i, m), v in sorted(
                    figures.items(), key=lambda f: (f[0][0], f[0][1] or 0, f[0][2])
                )
            ],
        )
    audit.record(actor, "submission", sub.id, "create", after=snapshot(sub))
    commit(idem, sub)
    return sub


def _may_see(actor: Actor, sub: Submission, need: str = SEE_ROLE) -> bool:
    """Everyone who may act at every site it covers (its workbook shows them all)."""
    return all(can(actor, site, need) for site in sub.sites)


def may_submit(actor: Actor) -> bool:
    """Coordinators and admins submit (the report page shows them the button)."""
    return actor.is_coordinator


def may_reopen(actor: Actor, sub: Submission) -> bool:
    return actor.is_coordinator and _may_see(actor, sub, SUBMIT_ROLE)


def get_submission(actor: Actor, submission_id: int) -> Submission:
    """A submission the actor may see; others are simply not found."""
    sub = get_by_id(Submission, submission_id)
    if sub is None or not _may_see(actor, sub):
        raise NotFound(_l("Det finnes ingen innsending med id %(id)s.", id=submission_id))
    return sub


def list_submissions(actor: Actor, site: str | None = None) -> list[Submission]:
    """Newest first: those whose every site the actor may see (leads, coordinators, admins);
    with `site`, those covering that site (which the actor must lead)."""
    reports.require_reporter(actor)
    query = (
        select(Submission)
        .options(selectinload(Submission.sites), selectinload(Submission.submitted_by))
        .order_by(Submission.id.desc())
    )
    if site:
        found = require_site(actor, get_site(site), SEE_ROLE)
        covering = select(SubmissionSite.submission_id).where(SubmissionSite.site_id == found.id)
        query = query.where(Submission.id.in_(covering))
    return [sub for sub in db.session.scalars(query) if _may_see(actor, sub)]


def kept_workbook(actor: Actor, submission_id: int) -> WorkbookFile:
    """The exact bytes that were submitted."""
    sub = get_submission(actor, submission_id)
    content = db.session.scalar(
        select(Submission.workbook).where(Submission.id == sub.id).options(undefer("*"))
    )
    assert content is not None  # noqa: S101 (a NOT NULL column of a row just read)
    return WorkbookFile(sub.filename, bytes(content), sub.sha256)


@service
def reopen(
    actor: Actor, submission_id: int, *, reason: str | None, idem: Idempotency | None = None
) -> Submission:
    """Unlock the period with a reason (audited); it may then be changed and submitted again."""
    require_role(actor, SUBMIT_ROLE)
    sub = lock_by_id(Submission, submission_id)
    if sub is None or not _may_see(actor, sub):
        raise NotFound(_l("Det finnes ingen innsending med id %(id)s.", id=submission_id))
    _check_may_submit(actor, sub.sites)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _l("Skriv hvorfor perioden gjenåpnes."), {"reason": [_l("Må fylles ut.")]}
        )
    check_free_text("reason", reason)
    if sub.reopened_at is not None:
        raise Conflict(
            _l("Innsending %(id)s er allerede gjenåpnet.", id=sub.id),
            code="already-reopened",
        )
    before = snapshot(sub)
    sub.reopened_at, sub.reopened_by_id, sub.reopen_reason = utcnow(), actor.user_id, reason
    sub.reopened_by = actor.user
    audit.record(actor, "submission", sub.id, "reopen", before=before, after=snapshot(sub))
    commit(idem, sub)
    return sub
