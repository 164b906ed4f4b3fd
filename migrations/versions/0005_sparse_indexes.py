"""ledger: partial indexes for the sparse references, no index on item or kind alone

Every ledger query filters by site first (ix_stock_movement_site_item_date serves item), so
the item and kind indexes only cost writes. Lot, receipt, naloxone handout, transfer, stock
count and import batch are set on few rows each: their indexes become partial (IS NOT NULL),
so a distribution row, nearly every row, writes none of them. tally_line's tally_id index
duplicates the leading column of its unique (tally_id, item_id).

Revision ID: 0005_sparse_indexes
Revises: 0004_reports
Create Date: 2026-12-03 10:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_sparse_indexes"
down_revision = "0004_reports"
branch_labels = None
depends_on = None

# A copy of tracker.models.stock.SPARSE_REFERENCES, not an import: a migration must not change
# when the model does.
SPARSE = (
    "lot_id",
    "receipt_id",
    "naloxone_handout_id",
    "transfer_id",
    "stock_count_id",
    "import_batch_id",
)


def upgrade():
    op.drop_index("ix_stock_movement_item_id", table_name="stock_movement")
    op.drop_index("ix_stock_movement_kind", table_name="stock_movement")
    for column in SPARSE:
        name = f"ix_stock_movement_{column}"
        op.drop_index(name, table_name="stock_movement")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "stock_movement", [column], sqlite_where=where, postgresql_where=where
        )
    op.drop_index("ix_tally_line_tally_id", table_name="tally_line")


def downgrade():
    op.create_index("ix_tally_line_tally_id", "tally_line", ["tally_id"])
    for column in SPARSE:
        name = f"ix_stock_movement_{column}"
        op.drop_index(name, table_name="stock_movement")
        op.create_index(name, "stock_movement", [column])
    op.create_index("ix_stock_movement_kind", "stock_movement", ["kind"])
    op.create_index("ix_stock_movement_item_id", "stock_movement", ["item_id"])
