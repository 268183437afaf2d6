"""Today and reminders: users' e-mail address and digest opt-out, the digest send log, the
promise standing on each case, and the indexes the Today sections read

Revision ID: d16e57a10011
Revises: ca1e4da50014
Create Date: 2026-11-30 04:45:00

Expand only: two nullable-or-defaulted columns on users, a nullable column on cases, a new
table, new indexes. App servers of the previous version never read them (a user they create
gets digests on, the default). cases.promised_date is filled from the timeline: the promise of
each waiting case whose latest follow-up or step is a follow-up with a promise. A follow-up or
step taken by a server of the previous version while the upgrade runs is not reflected there
until the case's next follow-up or step (README "Today and reminders").
On PostgreSQL the indexes on the big tables (cases, case_events, letters) are built
CONCURRENTLY (caseflow.schema_changes), so a database of millions of cases keeps serving.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = 'd16e57a10011'
down_revision = 'ca1e4da50014'
branch_labels = None
depends_on = None

# (name, table, columns, partial-index condition)
_INDEXES = [
    # Promises standing, by date: only the cases that have one are in it.
    ('ix_cases_promised', 'cases', ['promised_date', 'district_id', 'status', 'id'], 'promised_date IS NOT NULL'),
    # Sanctioned cases waiting for delivery to be confirmed, oldest sanction first.
    ('ix_cases_district_sanction', 'cases', ['district_id', 'status', 'sanction_date', 'id'], None),
    ('ix_cases_status_sanction', 'cases', ['status', 'sanction_date', 'id'], None),
    # Letters drafted (dispatched_on NULL, by id) and dispatched letters by dispatch date.
    ('ix_letters_district_dispatch', 'letters', ['district_id', 'status', 'dispatched_on', 'id'], None),
    ('ix_letters_status_dispatch', 'letters', ['status', 'dispatched_on', 'id'], None),
]


# The promise of the case's latest follow-up or step (NULL when that is a step or has none).
_LATEST_PROMISE = ("(SELECT e.promised_date FROM case_events e WHERE e.case_id = cases.id "
                   "AND e.kind IN ('follow_up', 'transition') ORDER BY e.id DESC LIMIT 1)")
_PENDING = f"promised_date IS NULL AND status IN ('submitted', 'escalated') AND {_LATEST_PROMISE} IS NOT NULL"


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
    op.add_column('cases', sa.Column('promised_date', sa.Date(), nullable=True))
    if big.is_postgres():
        with big.autocommit():
            big.backfill('cases', f"promised_date = {_LATEST_PROMISE}", _PENDING)
            for name, table, columns, where in _INDEXES:
                big.create_index(name, table, columns, where=where)
        return
    op.execute(f"UPDATE cases SET promised_date = {_LATEST_PROMISE} WHERE {_PENDING}")
    for name, table, columns, where in _INDEXES:
        op.create_index(name, table, columns, unique=False, sqlite_where=sa.text(where) if where else None)


def downgrade():
    for name, table, _columns, _where in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('digest_sends')
    op.drop_column('cases', 'promised_date')
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), keeping the table and its triggers.
    op.drop_column('users', 'digests')
    op.drop_column('users', 'email')
