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

# The fixed categories (seeded by migration 0016_kits; admins add others as rows of `category`).
CATEGORIES = ("syringe", "needle", "foil", "naloxone", "overdose_card", "other")
# What a new site hands out from the start (issue 19): the active items of these categories.
REPORTING_CATEGORIES = ("syringe", "needle", "foil", "naloxone", "overdose_card")


class Category(Base):
    """A reporting category: the fixed six, and those an admin added (each its own column)."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_nb: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    fixed: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_nb: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(ForeignKey("category.code"), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="stk")
    tracks_lots: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    lots: Mapped[list[Lot]] = relationship(back_populates="item")
    # What one kit holds (empty for a plain item); rows are written by services.kits.
    contents: Mapped[list[KitContent]] = relationship(
        foreign_keys="KitContent.kit_id", order_by="KitContent.item_id", viewonly=True
    )

    @property
    def is_kit(self) -> bool:
        return bool(self.contents)


class KitContent(Base):
    """One line of a kit (brukerpakke): handing out one kit counts `quantity` of `item_id`
    in the distribution figures. Fixed once the kit has movements (history never shifts)."""

    __tablename__ = "kit_content"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("kit_id <> item_id", name="not_itself"),
    )

    kit_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    item: Mapped[Item] = relationship(foreign_keys=[item_id], viewonly=True)


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
