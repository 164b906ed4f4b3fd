"""imports: monthly granularity, import references on naloxone handouts, skipped rows

Revision ID: 0003_imports
Revises: 0002_perf
Create Date: 2026-11-25 10:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_imports'
down_revision = '0002_perf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('tally_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granularity', sa.String(length=5), server_default='day', nullable=False))
        batch_op.create_index(batch_op.f('ix_tally_entry_import_batch_id'), ['import_batch_id'], unique=False)

    with op.batch_alter_table('naloxone_handout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('import_row', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('granularity', sa.String(length=5), server_default='day', nullable=False))
        batch_op.create_index(batch_op.f('ix_naloxone_handout_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_naloxone_handout_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])


def downgrade():
    with op.batch_alter_table('naloxone_handout', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_naloxone_handout_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_naloxone_handout_import_batch_id'))
        batch_op.drop_column('granularity')
        batch_op.drop_column('import_row')
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('tally_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tally_entry_import_batch_id'))
        batch_op.drop_column('granularity')

    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('skipped_count')
