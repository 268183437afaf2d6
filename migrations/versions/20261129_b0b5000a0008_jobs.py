"""the job queue, and the index the letter render workers read

Revision ID: b0b5000a0008
Revises: 5e551005e007
Create Date: 2026-11-29 23:40:00

- jobs: background work (caseflow.jobs), ids-only payloads, unique per (kind, key).
- ix_letters_unrendered: a partial index on the drafted letters without a PDF. On PostgreSQL
  it is built CONCURRENTLY (outside the migration's transaction), so a big letters table
  keeps taking writes while it builds.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b0b5000a0008'
down_revision = '5e551005e007'
branch_labels = None
depends_on = None

UNRENDERED = "status = 'drafted' AND pdf_path IS NULL"


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='job_state', native_enum=False,
                               create_constraint=True, length=11), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(), nullable=False),
    sa.Column('locked_by', sa.String(length=80), nullable=True),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(state = 'running') = (locked_by IS NOT NULL AND locked_at IS NOT NULL)",
                       name=op.f('ck_jobs_running_is_locked')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_jobs_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_jobs_kind_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_runnable', ['state', 'run_after'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index('ix_letters_unrendered', 'letters', ['id'], unique=False,
                            postgresql_where=sa.text(UNRENDERED), postgresql_concurrently=True,
                            if_not_exists=True)
    else:
        op.create_index('ix_letters_unrendered', 'letters', ['id'], unique=False, sqlite_where=sa.text(UNRENDERED))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index('ix_letters_unrendered', table_name='letters', postgresql_concurrently=True,
                          if_exists=True)
    else:
        op.drop_index('ix_letters_unrendered', table_name='letters')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_runnable')
    op.drop_table('jobs')
