"""escalation sweep runs and case attention (flag, date, partial index)

Revision ID: e5ca1a7e0003
Revises: b1a5e0000002
Create Date: 2026-11-27 04:20:00

On PostgreSQL the CHECKs on cases and case_events are validated without blocking writes and
the partial index is built CONCURRENTLY (caseflow.schema_changes); SQLite as before.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = 'e5ca1a7e0003'
down_revision = 'b1a5e0000002'
branch_labels = None
depends_on = None

_EVENT_KINDS = "kind IN ('created', 'transition', 'follow_up', 'assignment', 'letter', 'sent_back', 'attention')"


def upgrade():
    op.create_table('sweep_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.Column('stalled_at_top', sa.Integer(), nullable=False),
    sa.Column('needs_configuration', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_runs'))
    )
    if big.is_postgres():
        with big.autocommit():
            # The enum's CHECK comes separately: added with the column it would scan every case
            # under the ALTER's exclusive lock.
            op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS attention VARCHAR(23), "
                       "ADD COLUMN IF NOT EXISTS attention_since DATE")
            big.add_check('cases', 'ck_cases_attention', "attention IN ('stalled_at_top', 'needs_configuration')")
            big.add_check('cases', 'ck_cases_attention_since', "(attention IS NULL) = (attention_since IS NULL)")
            big.create_index('ix_cases_attention', 'cases', ['attention', 'area_path'], where='attention IS NOT NULL')
            # A wider CHECK replaces the narrower one; both let the existing rows through.
            big.drop_constraint('case_events', 'ck_case_events_event_kind')
            big.add_check('case_events', 'ck_case_events_event_kind', _EVENT_KINDS)
        return
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attention', sa.Enum('stalled_at_top', 'needs_configuration', name='attention', native_enum=False, create_constraint=True, length=23), nullable=True))
        batch_op.add_column(sa.Column('attention_since', sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_cases_attention_since'),
                                         "(attention IS NULL) = (attention_since IS NULL)")
        batch_op.create_index('ix_cases_attention', ['attention', 'area_path'], unique=False,
                              sqlite_where=sa.text('attention IS NOT NULL'),
                              postgresql_where=sa.text('attention IS NOT NULL'))

    # EventKind gained values: its CHECK constraint is not compared by autogenerate.
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_events_event_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_case_events_event_kind'), _EVENT_KINDS)


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_events_event_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_case_events_event_kind'), "kind IN ('created', 'transition', 'follow_up', 'assignment', 'letter')")

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_attention')
        batch_op.drop_constraint(op.f('ck_cases_attention_since'), type_='check')
        batch_op.drop_constraint(op.f('ck_cases_attention'), type_='check')
        batch_op.drop_column('attention_since')
        batch_op.drop_column('attention')
    op.drop_table('sweep_runs')
