"""site.opening_weekdays: the ISO weekdays a site is open, default Monday to Friday (issue 20)

Completeness in reports counts days with an entry out of the site's opening days, so a day
the site is closed is not "not reported". Existing sites get Monday to Friday.

Revision ID: 0013_blank
Revises: 0012_admin
Create Date: 2026-12-05 09:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_blank"
down_revision = "0012_admin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "opening_weekdays", sa.String(length=7), server_default="12345", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("opening_weekdays")
