"""Municipalities and the sites (outlets) that hand out equipment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow

DEFAULT_OPENING = "12345"  # ISO weekdays, Monday (1) to Friday (5)

SITE_KINDS = (
    "lavterskel_helsesenter",
    "mo_senter",
    "sproyterom",
    "oppsokende_team",
    "apotek",
    "fengsel",
    "annet",
)

# Who runs a site (issue 19): the municipality itself, a non-profit organisation, or other.
SITE_OPERATORS = ("municipal", "ngo", "other")


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    sites: Mapped[list[Site]] = relationship(back_populates="municipality")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (CheckConstraint("length(code) >= 2", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(
        String(16), default="municipal", server_default="municipal"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The daily form asks for contacts by group (women, men, other; first visit, returning).
    contacts_by_group: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The ISO weekdays (1 Monday .. 7 Sunday) the site is open, as digits in order ("12345"):
    # completeness counts days with an entry out of these days in a period.
    opening_weekdays: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_OPENING, server_default=DEFAULT_OPENING
    )
    # Invariant 9: stock is tracked from this day (the first receipt, transfer in or count,
    # or an earlier day a lead sets). None: not set yet, every movement counts.
    stock_start: Mapped[date | None] = mapped_column(Date)

    municipality: Mapped[Municipality] = relationship(back_populates="sites")

    @property
    def weekdays(self) -> list[int]:
        """The opening weekdays as ISO numbers."""
        return [int(d) for d in self.opening_weekdays]
