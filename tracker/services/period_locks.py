"""The period lock: no write dated inside a submitted period (DESIGN.md invariant 10).

Every write service calls `ensure_open` for the sites and dates it writes, inside its
transaction and before its own inserts. On PostgreSQL it first takes FOR SHARE on the site
rows; a submission takes FOR NO KEY UPDATE on the same rows before it computes its
figures (`lock_for_submission`). So an entry and a submission for the same site serialise:
either the entry commits first and the submission's figures include it, or the
submission commits first and the entry's check sees it and is refused. On SQLite every
writer already holds the database's single write lock from BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from tracker.dates import OSLO
from tracker.errors import PeriodLocked
from tracker.extensions import db
from tracker.models import Site, Submission, SubmissionSite

Span = tuple[date, date]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def share_sites(site_ids: Iterable[int]) -> None:
    """FOR SHARE on the sites' rows (PostgreSQL): a submission for them waits for us."""
    ids = sorted(set(site_ids))
    if ids and _postgres():
        db.session.execute(
            select(Site.id).where(Site.id.in_(ids)).order_by(Site.id).with_for_update(read=True)
        ).all()


def lock_for_submission(site_ids: Iterable[int]) -> None:
    """FOR NO KEY UPDATE on the sites' rows (PostgreSQL), in id order: entries wait for us."""
    ids = sorted(set(site_ids))
    if ids and _postgres():
        db.session.execute(
            select(Site.id)
            .where(Site.id.in_(ids))
            .order_by(Site.id)
            .with_for_update(key_share=True)
        ).all()


def covering(site_ids: Iterable[int], spans: Iterable[Span]) -> Submission | None:
    """The first standing submission that covers any of the sites on any day of the spans."""
    ids = sorted(set(site_ids))
    ranges = sorted(set(spans))
    if not ids or not ranges:
        return None
    overlaps = or_(
        *[and_(Submission.date_from <= end, Submission.date_to >= start) for start, end in ranges]
    )
    query = (
        select(Submission)
        .join(SubmissionSite, SubmissionSite.submission_id == Submission.id)
        .where(SubmissionSite.site_id.in_(ids), Submission.reopened_at.is_(None), overlaps)
        .options(joinedload(Submission.submitted_by))
        .order_by(Submission.id)
        .limit(1)
    )
    return db.session.scalars(query).first()


def get(submission_id: int) -> Submission:
    """A submission known to exist (found by a query in this transaction)."""
    return db.session.get_one(Submission, submission_id)


def refusal(found: Submission) -> PeriodLocked:
    """The 409 naming the submission: its id, period, who and when."""
    when = found.submitted_at.astimezone(OSLO)
    return PeriodLocked(
        _l(
            "Perioden %(start)s–%(end)s er sendt inn (innsending %(id)s av %(who)s, "
            "%(when)s) og er låst for endringer. En koordinator må gjenåpne den med en "
            "begrunnelse først.",
            start=found.date_from.strftime("%d.%m.%Y"),
            end=found.date_to.strftime("%d.%m.%Y"),
            id=found.id,
            who=found.submitted_by.name,
            when=when.strftime("%d.%m.%Y %H:%M"),
        ),
        {"date": [_l("I en innsendt periode (innsending %(id)s).", id=found.id)]},
        code="period-submitted",
    )


def ensure_open(
    site_ids: Iterable[int],
    days: Iterable[date | None],
    *,
    shared: bool = False,
    exclusive: bool = False,
) -> None:
    """Refuse (409) a write dated inside a standing submission's period for one of the sites.

    A change that moves an entry passes both its old and its new date. `shared`: the caller
    already read the sites' rows FOR SHARE in this transaction (one round trip fewer).
    `exclusive`: the caller will update the site row itself (a first receipt sets the stock
    start), so it takes the row's update lock now instead of a share it would later have to
    upgrade: two such writers each holding a share and waiting to upgrade would deadlock.
    """
    if exclusive:
        lock_for_submission(site_ids)
        shared = True
    ensure_open_spans(site_ids, [(d, d) for d in days if d is not None], shared=shared)


def ensure_open_spans(
    site_ids: Iterable[int], spans: Iterable[Span], *, shared: bool = False
) -> None:
    """As `ensure_open`, for date ranges (an import's month rows)."""
    ids = sorted(set(site_ids))
    if not shared:
        share_sites(ids)
    found = covering(ids, spans)
    if found is not None:
        raise refusal(found)
