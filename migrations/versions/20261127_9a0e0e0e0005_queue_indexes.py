"""cases.district_id and indexes that let the queue read a page straight off an index

Revision ID: 9a0e0e0e0005
Revises: f1e77e550004
Create Date: 2026-11-27 04:45:00

On PostgreSQL the column is filled in committed batches, NOT NULL and the foreign key are
validated without blocking writes, and the indexes are built CONCURRENTLY (caseflow.schema_changes),
so a database of millions of cases keeps serving meanwhile. SQLite copies the table, as before.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = '9a0e0e0e0005'
down_revision = 'f1e77e550004'
branch_labels = None
depends_on = None

# The district is the second segment of a case's materialised area path (7 digits each).
_BACKFILL = "UPDATE cases SET district_id = CAST(substr(area_path, 8, 7) AS INTEGER)"


_INDEXES = [('ix_cases_district_due', ['district_id', 'due_date', 'id', 'status']),
            ('ix_cases_due_date_id', ['due_date', 'id', 'status']),
            ('ix_cases_district_status', ['district_id', 'status'])]


def upgrade():
    if big.is_postgres():
        with big.autocommit():
            op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS district_id INTEGER")
            big.backfill('cases', "district_id = CAST(substr(area_path, 8, 7) AS INTEGER)", "district_id IS NULL")
            big.set_not_null('cases', 'district_id')
            big.add_foreign_key('cases', 'fk_cases_district_id_areas', 'district_id', 'areas')
            for name, columns in _INDEXES:
                big.create_index(name, 'cases', columns)
        return
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('district_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_district_id_areas'), 'areas', ['district_id'], ['id'])
        batch_op.create_index('ix_cases_district_due', ['district_id', 'due_date', 'id', 'status'], unique=False)
        batch_op.create_index('ix_cases_due_date_id', ['due_date', 'id', 'status'], unique=False)
        batch_op.create_index('ix_cases_district_status', ['district_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_district_status')
        batch_op.drop_index('ix_cases_due_date_id')
        batch_op.drop_index('ix_cases_district_due')
        batch_op.drop_constraint(batch_op.f('fk_cases_district_id_areas'), type_='foreignkey')
        batch_op.drop_column('district_id')
