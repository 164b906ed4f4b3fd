"""The stock ledger (append-only movements), balances kept beside it, and receipts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item, Lot
from tracker.models.sites import Site

MOVEMENT_KINDS = (
    "receipt",
    "distribution",
    "transfer_out",
    "transfer_in",
    "count_adjustment",
    "discard",
    "correction",
)
DISCARD_REASONS = ("expired", "damaged", "lost", "other")


class Receipt(Base):
    """Goods received at a site (mottak); its lines are receipt movements."""

    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    movements: Mapped[list[StockMovement]] = relationship(back_populates="receipt")


class StockMovement(Base):
    """One ledger row. Never updated or deleted; mistakes get a correction row."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_site_item_date", "site_id", "item_id", "occurred_on"),
        Index("ix_stock_movement_site_date", "site_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    tally_id: Mapped[int | None] = mapped_column(ForeignKey("tally_entry.id"), index=True)
    naloxone_handout_id: Mapped[int | None] = mapped_column(
        ForeignKey("naloxone_handout.id"), index=True
    )
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"), index=True)
    stock_count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    import_row: Mapped[int | None] = mapped_column(Integer)

    site: Mapped[Site] = relationship()
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()
    receipt: Mapped[Receipt | None] = relationship(back_populates="movements")


class StockBalance(Base):
    """On hand per (site, item, lot); lot_key is the lot id or 0, so NULL never splits a key."""

    __tablename__ = "stock_balance"
    __table_args__ = (UniqueConstraint("site_id", "item_id", "lot_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_key: Mapped[int] = mapped_column(Integer, default=0)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)

    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()


class ImportBatch(Base):
    """One imported file; its hash makes a second import of the same file a no-op."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_hash: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
