"""What sites hand out: tally entries, naloxone handouts and the daily aggregates for reports."""

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
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow
from tracker.models.catalog import Item, Lot
from tracker.models.sites import Site
from tracker.models.stock import StockMovement

RECIPIENT_GROUPS = ("pwud", "relative", "staff", "other")
GRANULARITIES = ("day", "month")  # a month's figure is dated on its first day and kept whole
REFILL_REASONS = (
    "used_on_overdose",
    "lost",
    "stolen",
    "confiscated",
    "expired",
    "other",
    "unknown",
)


class TallyEntry(Base):
    """One distribution entry for a site and day; several per day add up."""

    __tablename__ = "tally_entry"
    __table_args__ = (
        CheckConstraint("contacts >= 0", name="contacts_nonneg"),
        Index("ix_tally_entry_site_date", "site_id", "entry_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    entry_date: Mapped[date] = mapped_column(Date)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    granularity: Mapped[str] = mapped_column(String(5), default="day", server_default="day")
    # Bumped by every change (edit, delete): the API's ETag, checked against If-Match.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Dated before the site's stock start: counted in reports, moves no stock (invariant 9).
    before_stock_start: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    site: Mapped[Site] = relationship()
    lines: Mapped[list[TallyLine]] = relationship(
        back_populates="tally", cascade="all, delete-orphan", order_by="TallyLine.id"
    )


class TallyLine(Base):
    """Current quantity per item in an entry; the ledger keeps its history."""

    __tablename__ = "tally_line"
    __table_args__ = (
        UniqueConstraint("tally_id", "item_id"),
        CheckConstraint("quantity >= 0", name="quantity_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tally_id: Mapped[int] = mapped_column(ForeignKey("tally_entry.id"))  # unique key leads
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    tally: Mapped[TallyEntry] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()


class NaloxoneHandout(Base):
    """One anonymous naloxone handout with the national programme's fields."""

    __tablename__ = "naloxone_handout"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        Index("ix_naloxone_handout_site_date", "site_id", "handed_out_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    handed_out_on: Mapped[date] = mapped_column(Date)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    recipient_group: Mapped[str] = mapped_column(String(20))
    first_time: Mapped[bool] = mapped_column(Boolean)
    refill_reason: Mapped[str | None] = mapped_column(String(20))
    training_given: Mapped[bool] = mapped_column(Boolean, default=False)
    training_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Who handed the kit over (a staff member of the site); the person entering by default.
    handed_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    import_row: Mapped[int | None] = mapped_column(Integer)
    granularity: Mapped[str] = mapped_column(String(5), default="day", server_default="day")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change (edit, delete): the API's ETag, checked against If-Match.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    before_stock_start: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    site: Mapped[Site] = relationship()
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot | None] = relationship()  # the first lot taken (FEFO); `lots` has them all
    movements: Mapped[list[StockMovement]] = relationship(
        viewonly=True, order_by="StockMovement.id"
    )

    @property
    def lots(self) -> list[tuple[Lot | None, int]]:
        """What the handout took of each lot, net of its corrections, first expiry first."""
        net: dict[int | None, int] = {}
        lots: dict[int | None, Lot | None] = {}
        for movement in self.movements:
            net[movement.lot_id] = net.get(movement.lot_id, 0) - movement.quantity
            lots[movement.lot_id] = movement.lot
        taken = [(lots[lot_id], quantity) for lot_id, quantity in net.items() if quantity]
        return sorted(taken, key=lambda t: (t[0] is None or t[0].expiry is None, _expiry(t[0])))


def _expiry(lot: Lot | None) -> tuple[date, int]:
    if lot is None:
        return (date.max, 0)
    return (lot.expiry or date.max, lot.id)


class DistributionDaily(Base):
    """Quantity handed out per (site, item, day), kept with each movement so reports stay flat."""

    __tablename__ = "distribution_daily"
    # Usage over the last 28 days reads one site's recent days; the primary key's order
    # (site, item, day) would make it read the site's whole history (bench/README.md).
    __table_args__ = (Index("ix_distribution_daily_site_day", "site_id", "day"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class ContactsDaily(Base):
    """Contacts per (site, day), kept with each tally write."""

    __tablename__ = "contacts_daily"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer, default=0)


class DistributionMonthly(Base):
    """Quantity handed out per (site, item, month), kept beside the daily aggregate.

    `month` is the month's first day. Month, tertial, quarter and year reports read whole
    months from here (sites x items x months rows), and only the partial months at the
    ends of a range from the daily aggregate.
    """

    __tablename__ = "distribution_monthly"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
