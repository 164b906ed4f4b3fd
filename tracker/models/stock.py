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
    text,
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
    "used_on_site",  # naloxone staff gave at an overdose: moves stock, is not distribution
)
DISCARD_REASONS = ("expired", "damaged", "lost", "other")
SPARSE_REFERENCES = (
    "lot_id",
    "receipt_id",
    "naloxone_handout_id",
    "transfer_id",
    "stock_count_id",
    "import_batch_id",
    "overdose_event_id",
)


def _where_set(column: str) -> Index:
    """An index on the ledger's rows where `column` is set (partial on both databases)."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_stock_movement_{column}", column, sqlite_where=where, postgresql_where=where)


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
    # Every query of the ledger filters by site first, so item and kind need no index of
    # their own. The references to what caused a movement are set on few rows each: their
    # indexes are partial, so a distribution row (nearly all rows) writes none of them.
    __table_args__ = (
        Index("ix_stock_movement_site_item_date", "site_id", "item_id", "occurred_on"),
        Index("ix_stock_movement_site_date", "site_id", "occurred_on"),
        *(_where_set(column) for column in SPARSE_REFERENCES),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    tally_id: Mapped[int | None] = mapped_column(ForeignKey("tally_entry.id"), index=True)
    naloxone_handout_id: Mapped[int | None] = mapped_column(ForeignKey("naloxone_handout.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"))
    stock_count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    import_row: Mapped[int | None] = mapped_column(Integer)
    overdose_event_id: Mapped[int | None] = mapped_column(ForeignKey("overdose_event.id"))

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


class StockDaily(Base):
    """The ledger summed per (site, day, item, lot, kind), kept with each movement.

    Stock at the end of a day is the balance less what moved after it, and the movement
    report sums a period's days: both read days, never the ledger's rows (bench/README.md).
    The key leads with site and day, so a site's days after a date are one range scan.
    """

    __tablename__ = "stock_daily"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    lot_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class StockMonthly(Base):
    """The same sums per month (`month` is its first day): a date far back reads months,
    and only the days of its own month from stock_daily, so the rows read stay bounded."""

    __tablename__ = "stock_monthly"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    lot_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0)


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
