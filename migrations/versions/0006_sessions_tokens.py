"""sessions kept server-side (user_session), API tokens expire (api_token.expires_at)

A logout deletes the session's row, so a copied cookie stops working at once. Tokens made
before this migration expire a year after they were made.

Revision ID: 0006_sessions_tokens
Revises: 0005_sparse_indexes
Create Date: 2026-12-05 06:30:00

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision = "0006_sessions_tokens"
down_revision = "0005_sparse_indexes"
branch_labels = None
depends_on = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_session_key_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_user_session_last_seen_at"), ["last_seen_at"], unique=False
        )

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UTC_DATETIME, nullable=True))
    token = sa.table(
        "api_token",
        sa.column("id", sa.Integer),
        sa.column("created_at", UTC_DATETIME),
        sa.column("expires_at", UTC_DATETIME),
    )
    bind = op.get_bind()
    for token_id, created_at in bind.execute(sa.select(token.c.id, token.c.created_at)).all():
        bind.execute(
            token.update()
            .where(token.c.id == token_id)
            .values(expires_at=created_at + timedelta(days=365))
        )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=UTC_DATETIME, nullable=False)


def downgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
