"""sessions on the server, back-off per (account, address), interrupted sweep runs

Revision ID: 5e551005e007
Revises: c0a1e5ce0006
Create Date: 2026-11-29 23:00:00

- user_sessions: one row per signed-in device (a hash of the cookie's token); logout, a new
  password, disabling an account or shrinking its scope delete rows, which ends those sessions.
- users.session_version is no longer read or written, but stays: expand only, so an app
  server of the previous version keeps working while this runs (a later migration may drop
  it; on SQLite that rebuilds `users`, which every other table refers to). Everyone signs
  in again once: old cookies carry the old kind of identifier.
- login_throttles: the counters are re-keyed (pair and address instead of account and
  address), so the old rows mean nothing and are deleted; `throttled` counts the attempts
  refused while waiting, audited as one summary entry.
- sweep_runs: pid and heartbeat, so a later run can tell a run whose process died, and the
  moment it was found interrupted.
"""
import sqlalchemy as sa
from alembic import op

revision = '5e551005e007'
down_revision = 'c0a1e5ce0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)
    op.execute("DELETE FROM login_throttles")
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('throttled', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('interrupted_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.drop_column('interrupted_at')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('pid')
    op.execute("DELETE FROM login_throttles")
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_column('throttled')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_expires_at'))
    op.drop_table('user_sessions')
