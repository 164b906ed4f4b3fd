"""Stock history: per-day stock aggregate, stock start per site, pre-start history given back

- `stock_daily` (site, day, item, lot, kind) → quantity: the ledger summed per day, kept with
  each movement; stock at a date and the movement report read it (issue 21). Backfilled from
  the ledger in one INSERT ... SELECT.
- `stock_monthly`: the same per month, so a date far back reads months, not days.
- `site.stock_start` (invariant 9): the first receipt, transfer in or closed count of each
  site that has one; NULL elsewhere (every movement counts there).
- `before_stock_start` on tally entries and naloxone handouts: set where the entry is dated
  before its site's stock start.
- Per site, item and lot, one correction movement (dated the day before the stock start)
  gives back what those entries took from stock; the balances move with it. Inserts only:
  the ledger stays append-only and its triggers are untouched.

Revision ID: 0014_stockhist
Revises: 0013_blank
Create Date: 2026-12-05 09:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014_stockhist"
down_revision = "0013_blank"
branch_labels = None
depends_on = None

REASON = "Lagerstart: utdeling før lagerstart gitt tilbake"


def upgrade():
    op.create_table(
        "stock_daily",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_key", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_stock_daily_item_id_item")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_stock_daily_lot_id_lot")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_stock_daily_site_id_site")),
        sa.PrimaryKeyConstraint(
            "site_id", "day", "item_id", "lot_key", "kind", name=op.f("pk_stock_daily")
        ),
    )
    op.create_table(
        "stock_monthly",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_key", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_monthly_item_id_item")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_stock_monthly_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_stock_monthly_site_id_site")
        ),
        sa.PrimaryKeyConstraint(
            "site_id", "month", "item_id", "lot_key", "kind", name=op.f("pk_stock_monthly")
        ),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_start", sa.Date(), nullable=True))
    for table in ("tally_entry", "naloxone_handout"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "before_stock_start", sa.Boolean(), server_default=sa.false(), nullable=False
                )
            )
    pg = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "UPDATE site SET stock_start = (SELECT min(d) FROM ("
        " SELECT received_on AS d FROM receipt WHERE receipt.site_id = site.id"
        " UNION ALL SELECT counted_on FROM stock_count"
        "  WHERE stock_count.site_id = site.id AND status = 'closed'"
        " UNION ALL SELECT occurred_on FROM stock_movement"
        "  WHERE stock_movement.site_id = site.id AND kind = 'transfer_in') AS firsts)"
    )
    for table, column in (("tally_entry", "entry_date"), ("naloxone_handout", "handed_out_on")):
        op.execute(
            f"UPDATE {table} SET before_stock_start = TRUE WHERE {column} <"  # noqa: S608
            f" (SELECT stock_start FROM site WHERE site.id = {table}.site_id)"
        )
    day_before = "s.stock_start - 1" if pg else "date(s.stock_start, '-1 day')"
    given_back = sa.text(
        "INSERT INTO stock_movement (site_id, item_id, lot_id, kind, quantity, occurred_on,"  # noqa: S608
        " recorded_at, recorded_by_id, reason)"
        f" SELECT m.site_id, m.item_id, m.lot_id, 'correction', -sum(m.quantity), {day_before},"
        " :now, min(m.recorded_by_id), :reason"
        " FROM stock_movement m JOIN site s ON s.id = m.site_id"
        " LEFT JOIN tally_entry t ON t.id = m.tally_id"
        " LEFT JOIN naloxone_handout h ON h.id = m.naloxone_handout_id"
        " WHERE t.before_stock_start OR h.before_stock_start"
        f" GROUP BY m.site_id, m.item_id, m.lot_id, {day_before}"
        " HAVING sum(m.quantity) <> 0"
    ).bindparams(
        sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True)),
        sa.bindparam("reason", REASON),
    )
    if not pg:
        given_back = given_back.bindparams(
            sa.bindparam("now", datetime.now(UTC).replace(tzinfo=None), type_=sa.DateTime())
        )
    op.execute(given_back)
    op.execute(
        sa.text(
            "INSERT INTO stock_balance (site_id, item_id, lot_key, lot_id, quantity)"
            " SELECT site_id, item_id, coalesce(lot_id, 0), max(lot_id), sum(quantity)"
            " FROM stock_movement WHERE reason = :reason AND kind = 'correction'"
            " AND tally_id IS NULL AND naloxone_handout_id IS NULL"
            " GROUP BY site_id, item_id, coalesce(lot_id, 0)"
            " ON CONFLICT (site_id, item_id, lot_key)"
            " DO UPDATE SET quantity = stock_balance.quantity + excluded.quantity"
        ).bindparams(reason=REASON)
    )
    op.execute(
        "INSERT INTO stock_daily (site_id, day, item_id, lot_key, kind, lot_id, quantity)"
        " SELECT site_id, occurred_on, item_id, coalesce(lot_id, 0), kind, max(lot_id),"
        " sum(quantity) FROM stock_movement"
        " GROUP BY site_id, occurred_on, item_id, coalesce(lot_id, 0), kind"
        " HAVING sum(quantity) <> 0"
    )
    month = "CAST(date_trunc('month', day) AS DATE)" if pg else "date(day, 'start of month')"
    op.execute(
        "INSERT INTO stock_monthly (site_id, month, item_id, lot_key, kind, lot_id, quantity)"  # noqa: S608
        f" SELECT site_id, {month}, item_id, lot_key, kind, max(lot_id), sum(quantity)"
        f" FROM stock_daily GROUP BY site_id, {month}, item_id, lot_key, kind"
        " HAVING sum(quantity) <> 0"
    )


def downgrade():
    for table in ("naloxone_handout", "tally_entry"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("before_stock_start")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("stock_start")
    op.drop_table("stock_monthly")
    op.drop_table("stock_daily")
