"""monthly distribution aggregate for reports

Revision ID: 0004_reports
Revises: 0003_imports
Create Date: 2026-11-25 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_reports"
down_revision = "0003_imports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "distribution_monthly",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_distribution_monthly_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_distribution_monthly_site_id_site")
        ),
        sa.PrimaryKeyConstraint("site_id", "item_id", "month", name=op.f("pk_distribution_monthly")),
    )
    # Fill it from the daily aggregate, so existing data reports the same after the upgrade.
    op.execute(
        "INSERT INTO distribution_monthly (site_id, item_id, month, quantity) "
        "SELECT site_id, item_id, month, SUM(quantity) FROM ("
        "SELECT site_id, item_id, "
        + (
            "CAST(date_trunc('month', day) AS DATE)"
            if op.get_bind().dialect.name == "postgresql"
            else "date(day, 'start of month')"
        )
        + " AS month, quantity FROM distribution_daily) AS d GROUP BY site_id, item_id, month"
    )


def downgrade():
    op.drop_table("distribution_monthly")
