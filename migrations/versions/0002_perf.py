"""distribution_daily: index (site_id, day) for usage over the last days

Revision ID: 0002_perf
Revises: 0001
Create Date: 2026-11-25 10:55:00

"""

from alembic import op

revision = "0002_perf"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("distribution_daily", schema=None) as batch_op:
        batch_op.create_index("ix_distribution_daily_site_day", ["site_id", "day"], unique=False)


def downgrade():
    with op.batch_alter_table("distribution_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_distribution_daily_site_day")
