"""job_workers: a heartbeat row per job worker, so /healthz and the metrics can tell a live but
idle worker from a dead one

Revision ID: a0e1a7b10010
Revises: c0c0a7e50009
Create Date: 2026-11-30 01:40:00

A new table only (expand): app servers of the previous version never read it, so it can be
applied while they run.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a0e1a7b10010'
down_revision = 'c0c0a7e50009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('host', sa.String(length=64), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_workers')),
    sa.UniqueConstraint('name', name=op.f('uq_job_workers_name'))
    )
    with op.batch_alter_table('job_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_workers_last_seen_at'), ['last_seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_workers_last_seen_at'))
    op.drop_table('job_workers')
