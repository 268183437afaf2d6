"""impact: a scheme's benefit value, consent to publicity, stories, the delivered-cases index

Revision ID: 1a9ac7ed0017
Revises: da5b0a4d0015
Create Date: 2026-11-30 05:00:00

Expand only: two nullable columns on schemes (with CHECKs every existing row passes: both
empty), two new tables, and one index on cases. On PostgreSQL the index is built CONCURRENTLY
and the CHECKs are added NOT VALID then validated (caseflow.schema_changes), so a database of
millions of cases keeps serving; servers of the release before never read the new columns.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = '1a9ac7ed0017'
down_revision = 'da5b0a4d0015'
branch_labels = None
depends_on = None

_DELIVERED = ['status', 'area_path', 'delivered_on', 'scheme_id', 'beneficiary_id', 'area_id', 'created_at']
_UNIT_CHECK = "benefit_unit IN ('one_time', 'monthly', 'yearly')"
_CHECKS = [('ck_schemes_benefit_unit', _UNIT_CHECK),
           ('ck_schemes_benefit_value_unit', "(benefit_value IS NULL) = (benefit_unit IS NULL)"),
           ('ck_schemes_benefit_value_positive', "benefit_value IS NULL OR benefit_value > 0")]


def _tables():
    op.create_table('publicity_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('given_as', sa.Enum('written', 'oral', 'thumb_impression', name='consent_form', native_enum=False,
                                  create_constraint=True, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)', name=op.f('ck_publicity_consents_withdrawn_by')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'],
                            name=op.f('fk_publicity_consents_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_publicity_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_publicity_consents_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_consents'))
    )
    op.create_index(op.f('ix_publicity_consents_area_path'), 'publicity_consents', ['area_path'], unique=False)
    op.create_index(op.f('ix_publicity_consents_beneficiary_id'), 'publicity_consents', ['beneficiary_id'], unique=False)
    op.create_index('ix_publicity_consents_standing', 'publicity_consents', ['beneficiary_id'], unique=True,
                    sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))
    op.create_table('impact_stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'],
                            name=op.f('fk_impact_stories_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_impact_stories_case_id_cases')),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_impact_stories_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_stories'))
    )
    op.create_index('ix_impact_stories_area', 'impact_stories', ['area_path', 'case_id'], unique=False)
    op.create_index(op.f('ix_impact_stories_beneficiary_id'), 'impact_stories', ['beneficiary_id'], unique=False)
    op.create_index(op.f('ix_impact_stories_case_id'), 'impact_stories', ['case_id'], unique=False)


def upgrade():
    _tables()
    if big.is_postgres():
        with big.autocommit():
            op.execute("ALTER TABLE schemes ADD COLUMN IF NOT EXISTS benefit_value INTEGER")
            op.execute("ALTER TABLE schemes ADD COLUMN IF NOT EXISTS benefit_unit VARCHAR(12)")
            for name, condition in _CHECKS:
                big.add_check('schemes', name, condition)
            big.create_index('ix_cases_delivered', 'cases', _DELIVERED)
        return
    # SQLite: plain ADD COLUMN with the CHECKs as column constraints, not a batch copy of the
    # table: a copy drops `schemes`, which the rows of cases and ladders refer to.
    op.execute(f"ALTER TABLE schemes ADD COLUMN benefit_value INTEGER "
               f"CONSTRAINT {_CHECKS[2][0]} CHECK ({_CHECKS[2][1]})")
    op.execute(f"ALTER TABLE schemes ADD COLUMN benefit_unit VARCHAR(12) "
               f"CONSTRAINT {_CHECKS[0][0]} CHECK ({_CHECKS[0][1]}) "
               f"CONSTRAINT {_CHECKS[1][0]} CHECK ({_CHECKS[1][1]})")
    op.create_index('ix_cases_delivered', 'cases', _DELIVERED, unique=False)


def downgrade():
    op.drop_index('ix_cases_delivered', table_name='cases')
    # The CHECKs go with their columns (PostgreSQL drops a constraint with a column it names;
    # SQLite a column with its own column constraints): benefit_unit first, its CHECK names both.
    op.execute("ALTER TABLE schemes DROP COLUMN benefit_unit")
    op.execute("ALTER TABLE schemes DROP COLUMN benefit_value")
    op.drop_index(op.f('ix_impact_stories_case_id'), table_name='impact_stories')
    op.drop_index(op.f('ix_impact_stories_beneficiary_id'), table_name='impact_stories')
    op.drop_index('ix_impact_stories_area', table_name='impact_stories')
    op.drop_table('impact_stories')
    op.drop_index('ix_publicity_consents_standing', table_name='publicity_consents')
    op.drop_index(op.f('ix_publicity_consents_beneficiary_id'), table_name='publicity_consents')
    op.drop_index(op.f('ix_publicity_consents_area_path'), table_name='publicity_consents')
    op.drop_table('publicity_consents')
