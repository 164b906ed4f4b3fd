"""Categories as data and kits (issue 19)

`category` holds the six fixed categories (seeded here: the five Helsedirektoratet asks for,
and `other` for the items that already use it) and those an admin adds; item.category now
references it by code. `kit_content` lists what one kit (brukerpakke) holds: handing out a
kit counts its contents in the distribution figures.

Revision ID: 0016_kits
Revises: 0015_submissions
Create Date: 2026-12-05 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_kits"
down_revision = "0015_submissions"
branch_labels = None
depends_on = None

FIXED = [
    ("syringe", "Sprøyter", "Syringes", 10),
    ("needle", "Kanyler", "Needles", 20),
    ("foil", "Røykefolie", "Smoking foil", 30),
    ("naloxone", "Nalokson", "Naloxone", 40),
    ("overdose_card", "Overdosekort", "Overdose cards", 50),
    ("other", "Annet", "Other", 1000),
]


def upgrade():
    category = op.create_table(
        "category",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_nb", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.bulk_insert(
        category,
        [
            {"code": c, "name_nb": nb, "name_en": en, "fixed": True, "sort_order": n}
            for c, nb, en, n in FIXED
        ],
    )
    # Should a database hold a category outside the six, keep it as an added one.
    op.execute(
        "INSERT INTO category (code, name_nb, name_en, fixed, sort_order) "
        "SELECT DISTINCT category, category, category, false, 100 FROM item "
        "WHERE category NOT IN (SELECT code FROM category)"
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_item_category_category"), "category", ["category"], ["code"]
        )
    op.create_table(
        "kit_content",
        sa.Column("kit_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_kit_content_quantity_positive")),
        sa.CheckConstraint("kit_id <> item_id", name=op.f("ck_kit_content_not_itself")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_kit_content_item_id_item")),
        sa.ForeignKeyConstraint(["kit_id"], ["item.id"], name=op.f("fk_kit_content_kit_id_item")),
        sa.PrimaryKeyConstraint("kit_id", "item_id", name=op.f("pk_kit_content")),
    )
    with op.batch_alter_table("kit_content", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kit_content_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("kit_content", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kit_content_item_id"))
    op.drop_table("kit_content")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_item_category_category"), type_="foreignkey")
    op.drop_table("category")
