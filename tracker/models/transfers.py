"""Transfers of stock between sites: shipped (in transit), then received."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item, Lot
from tracker.models.sites import Site

TRANSFER_STATUSES = ("shipped", "received", "cancelled")


class Transfer(Base):
    __tablename__ = "transfer"
    __table_args__ = (CheckConstraint("from_site_id <> to_site_id", name="distinct_sites"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    to_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="shipped")
    shipped_on: Mapped[date] = mapped_column(Date)
    shipped_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_on: Mapped[date | None] = mapped_column(Date)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    from_site: Mapped[Site] = relationship(foreign_keys=[from_site_id])
    to_site: Mapped[Site] = relationship(foreign_keys=[to_site_id])
    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="TransferLine.id"
    )


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (
        CheckConstraint("quantity_shipped > 0", name="shipped_pos"),
        CheckConstraint("quantity_received >= 0", name="received_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity_shipped: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int | None] = mapped_column(Integer)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
