"""tally_entry.version: a counter bumped by every change, for ETag / If-Match

Racing edits of one entry apply one after another (the row is locked); a client that read
version n and sends If-Match "n" after someone else changed it gets 412 instead of
overwriting a change it never saw. Existing entries start at version 1.

Revision ID: 0008_tally_version
Revises: 0007_login_failures
Create Date: 2026-12-05 06:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_tally_version"
down_revision = "0007_login_failures"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tally_entry") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("tally_entry") as batch:
        batch.drop_column("version")
