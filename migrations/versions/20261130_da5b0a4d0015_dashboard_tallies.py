"""dashboard_tallies, dashboard_snapshots: the dashboards' figures per district and day,
written by the snapshot job (caseflow.dashboards.snapshot)

Revision ID: da5b0a4d0015
Revises: 4e71e3ed0016
Create Date: 2026-11-30 05:00:00

New tables only (expand): app servers of the previous version never read them, so it can be
applied while they run.
"""
import sqlalchemy as sa
from alembic import op

revision = 'da5b0a4d0015'
down_revision = '4e71e3ed0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dashboard_snapshots',
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('as_of', name=op.f('pk_dashboard_snapshots'))
    )
    op.create_table('dashboard_tallies',
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=12), nullable=False),
    sa.Column('district_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('as_of', 'metric', 'district_id', 'key', name=op.f('pk_dashboard_tallies'))
    )


def downgrade():
    op.drop_table('dashboard_tallies')
    op.drop_table('dashboard_snapshots')
