"""The catalogue of user equipment, per-site stock levels and lots with expiry."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base

CATEGORIES = ("syringe", "needle", "foil", "naloxone", "overdose_card", "other")
# What a new site hands out from the start (issue 19): the active items of these categories.
REPORTING_CATEGORIES = ("syringe", "needle", "foil", "naloxone", "overdose_card")


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_nb: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="stk")
    tracks_lots: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    lots: Mapped[list[Lot]] = relationship(back_populates="item")


class SiteItem(Base):
    """One item at one site: whether the site hands it out, and its reorder and target level.

    No row means the item is on at the site with levels 0 (so data from before the per-site
    lists keeps every item on); new sites and new items get explicit rows for what is off.
    """

    __tablename__ = "site_item"
    __table_args__ = (
        CheckConstraint("reorder_level >= 0", name="reorder_nonneg"),
        CheckConstraint("target_level >= 0", name="target_nonneg"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    target_level: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Lot(Base):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("item_id", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)

    item: Mapped[Item] = relationship(back_populates="lots")
