"""overdose events, referrals, returns and contacts by group (issue 24)

Naloxone staff give at an overdose moves stock as `used_on_site`, referencing the event
(stock_movement.overdose_event_id, with a partial index like the other references).
On SQLite the batch rebuild of stock_movement drops its append-only triggers with the old
table (0009): they are created again here.

Revision ID: 0018_events
Revises: 0017_stockedge
Create Date: 2026-12-05 09:40:00

"""

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision = "0018_events"
down_revision = "0017_stockedge"
branch_labels = None
depends_on = None

UTC = tracker.models.base.UTCDateTime(timezone=True)
WHERE = sa.text("overdose_event_id IS NOT NULL")


def _created(table: str) -> list:
    return [
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f(f"fk_{table}_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f(f"fk_{table}_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _sqlite_triggers() -> None:
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS stock_movement_no_{operation.lower()}")
        op.execute(
            f"CREATE TRIGGER stock_movement_no_{operation.lower()} BEFORE {operation} "  # noqa: S608
            "ON stock_movement WHEN (SELECT allow FROM ledger_guard) IS NOT 1 "
            f"BEGIN SELECT RAISE(ABORT, 'stock_movement is append-only: {operation} refused'); END"
        )


def upgrade():
    op.create_table(
        "contact_group_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("other_gender", sa.Integer(), nullable=False),
        sa.Column("first_visit", sa.Integer(), nullable=False),
        sa.Column("repeat_visit", sa.Integer(), nullable=False),
        *_created("contact_group_count"),
        sa.CheckConstraint(
            "women >= 0 AND men >= 0 AND other_gender >= 0 AND first_visit >= 0"
            " AND repeat_visit >= 0",
            name=op.f("ck_contact_group_count_counts_nonneg"),
        ),
    )
    op.create_index(
        "ix_contact_group_count_site_date", "contact_group_count", ["site_id", "counted_on"]
    )
    op.create_table(
        "equipment_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_created("equipment_return"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_return_quantity_pos")),
    )
    op.create_index("ix_equipment_return_site_date", "equipment_return", ["site_id", "returned_on"])
    op.create_table(
        "overdose_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.Column("naloxone_doses", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("oxygen_given", sa.Boolean(), nullable=False),
        sa.Column("cpr_given", sa.Boolean(), nullable=False),
        sa.Column("ambulance_called", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC, nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("before_stock_start", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_created("overdose_event"),
        sa.CheckConstraint("naloxone_doses >= 0", name=op.f("ck_overdose_event_doses_nonneg")),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["user_account.id"],
            name=op.f("fk_overdose_event_deleted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_overdose_event_item_id_item")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_overdose_event_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_overdose_event_updated_by_id_user_account"),
        ),
    )
    op.create_index("ix_overdose_event_site_date", "overdose_event", ["site_id", "event_date"])
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_created("referral"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_referral_quantity_pos")),
    )
    op.create_index("ix_referral_site_date", "referral", ["site_id", "referred_on"])
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contacts_by_group", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdose_event_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_stock_movement_overdose_event_id",
            ["overdose_event_id"],
            unique=False,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_movement_overdose_event_id_overdose_event"),
            "overdose_event",
            ["overdose_event_id"],
            ["id"],
        )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()


def downgrade():
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stock_movement_overdose_event_id_overdose_event"), type_="foreignkey"
        )
        batch_op.drop_index("ix_stock_movement_overdose_event_id")
        batch_op.drop_column("overdose_event_id")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("contacts_by_group")
    for table, index in (
        ("referral", "ix_referral_site_date"),
        ("overdose_event", "ix_overdose_event_site_date"),
        ("equipment_return", "ix_equipment_return_site_date"),
        ("contact_group_count", "ix_contact_group_count_site_date"),
    ):
        op.drop_index(index, table_name=table)
        op.drop_table(table)
