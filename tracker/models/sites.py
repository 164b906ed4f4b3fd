"""Municipalities and the sites (outlets) that hand out equipment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow

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

    municipality: Mapped[Municipality] = relationship(back_populates="sites")
