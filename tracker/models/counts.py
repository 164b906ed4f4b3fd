"""Stock counts (varetelling) and discrepancies for the site lead to resolve."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.auth import User
from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item, Lot
from tracker.models.sites import Site

COUNT_STATUSES = ("open", "closed", "cancelled")
# uncertified_handout: naloxone handed out by someone without the naloxone course (issue 24).
DISCREPANCY_KINDS = (
    "negative_balance",
    "count_variance",
    "transfer_shortfall",
    "uncertified_handout",
    "unusual_quantity",
    "foreign_lot",
)
# Why a counted line differs from what the ledger expected; every differing line needs one.
COUNT_REASONS = ("damaged", "expired", "lost", "stolen", "counting_error", "found", "other")


class StockCount(Base):
    __tablename__ = "stock_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    counted_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    show_expected: Mapped[bool] = mapped_column(Boolean, default=False)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site] = relationship()
    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", order_by="StockCountLine.id"
    )


class StockCountLine(Base):
    __tablename__ = "stock_count_line"
    __table_args__ = (CheckConstraint("counted_quantity >= 0", name="counted_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    counted_quantity: Mapped[int] = mapped_column(Integer)
    expected_quantity: Mapped[int | None] = mapped_column(Integer)
    variance: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(20))

    count: Mapped[StockCount] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()


class Discrepancy(Base):
    """Something the lead must look at: a negative balance, a count variance, a shortfall."""

    __tablename__ = "discrepancy"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    kind: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(Integer)
    detected_on: Mapped[date] = mapped_column(Date)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stock_count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"))
    naloxone_handout_id: Mapped[int | None] = mapped_column(ForeignKey("naloxone_handout.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(20))  # a count variance's COUNT_REASONS

    site: Mapped[Site] = relationship()
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
