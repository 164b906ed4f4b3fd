"""site_item.active: each site chooses which catalogue items it hands out (issue 19)

A missing site_item row means the item is on at the site (levels 0), so every site and item
that existed before this migration keeps working unchanged and nothing is backfilled. New
sites get rows with active = false for everything but the active items of the five reporting
categories; a new item gets an active = false row at every existing site.

Revision ID: 0011_site_item_active
Revises: 0010_password_reset
Create Date: 2026-12-05 08:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_site_item_active"
down_revision = "0010_password_reset"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("site_item", schema=None) as batch_op:
        batch_op.drop_column("active")
