"""submissions: reported periods, their workbook bytes and figures (issue 21)

Revision ID: 0015_submissions
Revises: 0014_stockhist
Create Date: 2026-12-05 09:10:00

"""

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision = "0015_submissions"
down_revision = "0014_stockhist"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("workbook", sa.LargeBinary(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("reopened_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("date_from <= date_to", name=op.f("ck_submission_period_order")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_submission_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["submission.id"], name=op.f("fk_submission_previous_id_submission")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"],
            ["user_account.id"],
            name=op.f("fk_submission_reopened_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_submission_submitted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_municipality_id"), ["municipality_id"], unique=False
        )
    op.create_table(
        "submission_site",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_submission_site_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_site_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("submission_id", "site_id", name=op.f("pk_submission_site")),
    )
    with op.batch_alter_table("submission_site", schema=None) as batch_op:
        batch_op.create_index("ix_submission_site_site", ["site_id"], unique=False)
    op.create_table(
        "submission_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_submission_figure_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_submission_figure_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_figure_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_figure")),
    )
    with op.batch_alter_table("submission_figure", schema=None) as batch_op:
        batch_op.create_index("ix_submission_figure_submission", ["submission_id"], unique=False)


def downgrade():
    op.drop_table("submission_figure")
    op.drop_table("submission_site")
    op.drop_table("submission")
