"""Beyond stock on hand: unmet demand (stock-outs), drug alerts and delivery days (issue 24)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item
from tracker.models.sites import Municipality, Site

ALERT_SEVERITIES = ("info", "warning", "critical")


class UnmetDemand(Base):
    """An item asked for and not given because it was out, with how many (anonymous)."""

    __tablename__ = "unmet_demand"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        Index("ix_unmet_demand_site_day", "site_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    day: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    item: Mapped[Item] = relationship()


class DrugAlert(Base):
    """A warning about a dangerous substance, for one municipality or the whole country.

    Active from valid_from through valid_to (open-ended when None) unless ended early.
    """

    __tablename__ = "drug_alert"
    __table_args__ = (Index("ix_drug_alert_valid", "valid_from", "valid_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    municipality: Mapped[Municipality | None] = relationship()


class DeliverySchedule(Base):
    """When a site's supplier delivers: ISO weekdays as digits ("25" Tuesday and Friday)
    and how many days ahead an order must be placed."""

    __tablename__ = "delivery_schedule"
    __table_args__ = (CheckConstraint("lead_time_days >= 0", name="lead_time_nonneg"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    weekdays: Mapped[str] = mapped_column(String(7), default="")
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryDate(Base):
    """A delivery on a specific date, besides (or instead of) the weekly days."""

    __tablename__ = "delivery_date"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
