"""Training sessions (HLR, first aid, naloxone, SWITCH) and staff certifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.auth import User
from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.sites import Site

# naloxone: training for users and relatives; naloxone_course: the course (naloksonkurset)
# that certifies staff to hand out naloxone from the national programme.
TRAINING_TYPES = (
    "cpr",
    "first_aid",
    "naloxone",
    "smoking_technique",
    "overdose_conversation",
    "naloxone_course",
)
AUDIENCES = ("pwud", "relative", "staff", "other")
CERTIFICATION_STATUSES = ("valid", "expiring", "expired", "missing")  # computed, not stored
# Limits of one session, shared by the service's rules and the API's schemas.
MAX_AUDIENCE = 500  # per audience group
MAX_DURATION = 24 * 60  # minutes
MAX_ATTENDEES = 200  # staff named as attendees


class TrainingSession(Base):
    __tablename__ = "training_session"
    __table_args__ = (
        CheckConstraint(
            "pwud_count >= 0 AND relative_count >= 0 AND staff_count >= 0 AND other_count >= 0",
            name="counts_nonneg",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    training_type: Mapped[str] = mapped_column(String(30))
    pwud_count: Mapped[int] = mapped_column(Integer, default=0)
    relative_count: Mapped[int] = mapped_column(Integer, default=0)
    staff_count: Mapped[int] = mapped_column(Integer, default=0)
    other_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    trainer: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    attendees: Mapped[list[TrainingAttendee]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )


class TrainingAttendee(Base):
    """A staff member (user account) who attended a session."""

    __tablename__ = "training_attendee"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class Certification(Base):
    __tablename__ = "certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    training_type: Mapped[str] = mapped_column(String(30))
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"))
    certified_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
