"""Submissions: a period reported to Helsedirektoratet, kept byte for byte and locked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.auth import User
from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.sites import Municipality, Site


class Submission(Base):
    """One report of a period for a municipality or sites: who, when, the exact workbook.

    The workbook is kept in the database (invariant 13), never on one host's disk. While
    `reopened_at` is empty the period is locked for the submission's sites (invariant 10).
    """

    __tablename__ = "submission"
    __table_args__ = (CheckConstraint("date_from <= date_to", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str] = mapped_column(String(2), default="nb")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    workbook: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The reopened submission this one replaces (its figures are the Endringer sheet's "before").
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    municipality: Mapped[Municipality | None] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
    sites: Mapped[list[Site]] = relationship(secondary="submission_site", order_by=Site.code)


class SubmissionSite(Base):
    """A site a submission covers; its entries in the period are locked while it stands."""

    __tablename__ = "submission_site"
    __table_args__ = (Index("ix_submission_site_site", "site_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)


class SubmissionFigure(Base):
    """One submitted figure: site, item (if any), measure and value, as the workbook showed it."""

    __tablename__ = "submission_figure"
    __table_args__ = (Index("ix_submission_figure_submission", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    measure: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger)
