"""login_failure: failed logins counted in the database, shared by every worker and host

Flask-Limiter's memory:// storage counted per process, so 4 workers let 4 times the
documented number of failures through; this table is the one counter.

Revision ID: 0007_login_failures
Revises: 0006_sessions_tokens
Create Date: 2026-12-05 07:00:00

"""

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision = "0007_login_failures"
down_revision = "0006_sessions_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failure",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column(
            "window_start", tracker.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "window_start", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failure_window_start"), ["window_start"], unique=False
        )


def downgrade():
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_window_start"))
    op.drop_table("login_failure")
