"""Beyond supplies: overdoses attended, referrals, used equipment returned, contacts by group.

All anonymous (DESIGN.md invariant 3): events and counts, never persons.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item, Lot
from tracker.models.sites import Site

OVERDOSE_PLACES = ("at_site", "outreach", "elsewhere")
OVERDOSE_OUTCOMES = ("recovered_on_site", "to_hospital", "died", "unknown")
REFERRAL_DESTINATIONS = ("lar_tsb", "legevakt", "nav", "housing", "somatic_care", "other")
# Used equipment brought back: sharps containers by size, or loose pieces counted.
RETURN_KINDS = ("container_small", "container_large", "pieces")
CONTACT_GROUPS = ("women", "men", "other_gender", "first_visit", "repeat_visit")


class OverdoseEvent(Base):
    """An overdose staff attended; naloxone they gave moves stock as `used_on_site`."""

    __tablename__ = "overdose_event"
    __table_args__ = (
        CheckConstraint("naloxone_doses >= 0", name="doses_nonneg"),
        Index("ix_overdose_event_site_date", "site_id", "event_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    event_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(16))
    naloxone_doses: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    oxygen_given: Mapped[bool] = mapped_column(Boolean, default=False)
    cpr_given: Mapped[bool] = mapped_column(Boolean, default=False)
    ambulance_called: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Dated before the site's stock start (invariant 9): its doses move no stock.
    before_stock_start: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Bumped by every change: the API's ETag, checked against If-Match (like tallies).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    site: Mapped[Site] = relationship()
    item: Mapped[Item | None] = relationship()
    lot: Mapped[Lot | None] = relationship()


class Referral(Base):
    """People referred on from a site on a day, by destination (a count, no persons)."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        Index("ix_referral_site_date", "site_id", "referred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    referred_on: Mapped[date] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()


class EquipmentReturn(Base):
    """Used equipment brought back to a site on a day: containers by size, or pieces."""

    __tablename__ = "equipment_return"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        Index("ix_equipment_return_site_date", "site_id", "returned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    returned_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()


class ContactGroupCount(Base):
    """Contacts of a day by group, at sites that count them; several rows per day add up.

    Kept apart from the tally's contacts and not checked against them: a site may count
    groups for part of its contacts only, and entries of a day add up in any order.
    """

    __tablename__ = "contact_group_count"
    __table_args__ = (
        CheckConstraint(
            "women >= 0 AND men >= 0 AND other_gender >= 0 AND first_visit >= 0"
            " AND repeat_visit >= 0",
            name="counts_nonneg",
        ),
        Index("ix_contact_group_count_site_date", "site_id", "counted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    counted_on: Mapped[date] = mapped_column(Date)
    women: Mapped[int] = mapped_column(Integer, default=0)
    men: Mapped[int] = mapped_column(Integer, default=0)
    other_gender: Mapped[int] = mapped_column(Integer, default=0)
    first_visit: Mapped[int] = mapped_column(Integer, default=0)
    repeat_visit: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
