"""site.operator: who runs a site, the municipality, an NGO or other (issue 19)

Existing sites are municipal until a coordinator says otherwise.

Revision ID: 0012_admin
Revises: 0011_site_item_active
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_admin"
down_revision = "0011_site_item_active"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "operator", sa.String(length=16), server_default="municipal", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("operator")
