"""Today and reminders: users' e-mail address and digest opt-out, the digest send log, and the
indexes the Today sections read

Revision ID: d16e57a10011
Revises: a0e1a7b10010
Create Date: 2026-11-30 04:45:00

Expand only: two nullable-or-defaulted columns on users, a new table, new indexes. App servers
of the previous version never read them (a user they create gets digests on, the default).
On PostgreSQL the indexes on the big tables (cases, case_events, letters) are built
CONCURRENTLY (caseflow.schema_changes), so a database of millions of cases keeps serving.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = 'd16e57a10011'
down_revision = 'a0e1a7b10010'
branch_labels = None
depends_on = None

# (name, table, columns, partial-index condition)
_INDEXES = [
    # Promises officials made, by date: only follow-ups that carry one are in it.
    ('ix_case_events_promised', 'case_events', ['promised_date', 'case_id'], 'promised_date IS NOT NULL'),
    # Sanctioned cases waiting for delivery to be confirmed, oldest sanction first.
    ('ix_cases_district_sanction', 'cases', ['district_id', 'status', 'sanction_date', 'id'], None),
    ('ix_cases_status_sanction', 'cases', ['status', 'sanction_date', 'id'], None),
    # Letters drafted (dispatched_on NULL, by id) and dispatched letters by dispatch date.
    ('ix_letters_district_dispatch', 'letters', ['district_id', 'status', 'dispatched_on', 'id'], None),
    ('ix_letters_status_dispatch', 'letters', ['status', 'dispatched_on', 'id'], None),
]


def upgrade():
    # Plain ALTER TABLE ADD COLUMN on both databases: a batch copy of `users` on SQLite would
    # drop its triggers (mark_scopes_users_update, migration c0c0a7e50009).
    op.add_column('users', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('users', sa.Column('digests', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table('digest_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('daily', 'weekly')", name=op.f('ck_digest_sends_kind')),
    sa.CheckConstraint("state IN ('sending', 'sent')", name=op.f('ck_digest_sends_state')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_sends_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_sends')),
    sa.UniqueConstraint('user_id', 'kind', 'period', name=op.f('uq_digest_sends_user_id_kind_period'))
    )
    if big.is_postgres():
        with big.autocommit():
            for name, table, columns, where in _INDEXES:
                big.create_index(name, table, columns, where=where)
        return
    for name, table, columns, where in _INDEXES:
        op.create_index(name, table, columns, unique=False, sqlite_where=sa.text(where) if where else None)


def downgrade():
    for name, table, _columns, _where in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('digest_sends')
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), keeping the table and its triggers.
    op.drop_column('users', 'digests')
    op.drop_column('users', 'email')
