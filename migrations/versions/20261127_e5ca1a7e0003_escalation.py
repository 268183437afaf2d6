"""escalation sweep runs and case attention (flag, date, partial index)

Revision ID: e5ca1a7e0003
Revises: b1a5e0000002
Create Date: 2026-11-27 04:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5ca1a7e0003'
down_revision = 'b1a5e0000002'
branch_labels = None
depends_on = None


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
        batch_op.create_check_constraint(op.f('ck_case_events_event_kind'), "kind IN ('created', 'transition', 'follow_up', 'assignment', 'letter', 'sent_back', 'attention')")


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
