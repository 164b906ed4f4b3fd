"""Unmet demand, drug alerts, delivery days, who handed naloxone out (issue 24)

Revision ID: 0019_supply
Revises: 0018_events
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision = "0019_supply"
down_revision = "0018_events"
branch_labels = None
depends_on = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "unmet_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_unmet_demand_quantity_pos")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_unmet_demand_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_unmet_demand_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_unmet_demand_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_demand")),
    )
    op.create_index("ix_unmet_demand_site_day", "unmet_demand", ["site_id", "day"], unique=False)
    op.create_table(
        "drug_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_drug_alert_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_drug_alert_ended_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_drug_alert_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_alert")),
    )
    op.create_index("ix_drug_alert_valid", "drug_alert", ["valid_from", "valid_to"], unique=False)
    op.create_table(
        "delivery_schedule",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "lead_time_days >= 0", name=op.f("ck_delivery_schedule_lead_time_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_delivery_schedule_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_delivery_schedule_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_delivery_schedule")),
    )
    op.create_table(
        "delivery_date",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_delivery_date_site_id_site")
        ),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_delivery_date")),
    )
    with op.batch_alter_table("naloxone_handout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_out_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_naloxone_handout_handed_out_by_id_user_account"),
            "user_account",
            ["handed_out_by_id"],
            ["id"],
        )
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("naloxone_handout_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_discrepancy_naloxone_handout_id_naloxone_handout"),
            "naloxone_handout",
            ["naloxone_handout_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_discrepancy_naloxone_handout_id_naloxone_handout"), type_="foreignkey"
        )
        batch_op.drop_column("naloxone_handout_id")
    with op.batch_alter_table("naloxone_handout", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_naloxone_handout_handed_out_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("handed_out_by_id")
    op.drop_table("delivery_date")
    op.drop_table("delivery_schedule")
    op.drop_index("ix_drug_alert_valid", table_name="drug_alert")
    op.drop_table("drug_alert")
    op.drop_index("ix_unmet_demand_site_day", table_name="unmet_demand")
    op.drop_table("unmet_demand")
