"""work_weeks: each state's weekly offs and Saturdays off in the month (the second and fourth…),
which the due dates skip as they skip holidays

Revision ID: ca1e4da50014
Revises: a0e1a7b10010
Create Date: 2026-11-30 04:45:00

A new table only (expand): servers of the previous version never read it and keep counting
Saturday and Sunday off, which is what a state without a row means.
"""
import sqlalchemy as sa
from alembic import op

revision = 'ca1e4da50014'
down_revision = 'a0e1a7b10010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_weeks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('weekly_offs', sa.String(length=13), nullable=False),
    sa.Column('saturdays_off', sa.String(length=9), nullable=False),
    sa.ForeignKeyConstraint(['state_id'], ['areas.id'], name=op.f('fk_work_weeks_state_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_weeks')),
    sa.UniqueConstraint('state_id', name=op.f('uq_work_weeks_state_id'))
    )


def downgrade():
    op.drop_table('work_weeks')
