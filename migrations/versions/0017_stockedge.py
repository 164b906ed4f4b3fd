"""Naloxone handouts can be changed and deleted; count lines carry a reason for a variance

naloxone_handout gets a version (the API's ETag, checked against If-Match) and who changed
or deleted it and when, like tally_entry. stock_count_line.reason says why a counted line
differs from what the ledger expected (damaged, expired, lost, stolen, counting_error,
found, other); a count closes only when every differing line has one, and the
count-variance discrepancy carries it too.

Revision ID: 0017_stockedge
Revises: 0016_kits
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_stockedge"
down_revision = "0016_kits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("naloxone_handout") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_naloxone_handout_updated_by_id_user_account"),
            "user_account",
            ["updated_by_id"],
            ["id"],
        )
        batch.create_foreign_key(
            batch.f("fk_naloxone_handout_deleted_by_id_user_account"),
            "user_account",
            ["deleted_by_id"],
            ["id"],
        )
    with op.batch_alter_table("stock_count_line") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=20), nullable=True))
    with op.batch_alter_table("discrepancy") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("discrepancy") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("stock_count_line") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("naloxone_handout") as batch:
        batch.drop_constraint(
            batch.f("fk_naloxone_handout_deleted_by_id_user_account"), type_="foreignkey"
        )
        batch.drop_constraint(
            batch.f("fk_naloxone_handout_updated_by_id_user_account"), type_="foreignkey"
        )
        batch.drop_column("deleted_at")
        batch.drop_column("deleted_by_id")
        batch.drop_column("updated_at")
        batch.drop_column("updated_by_id")
        batch.drop_column("version")
