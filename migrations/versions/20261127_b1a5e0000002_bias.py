"""bias reports, complainants kept apart, reveals, review events

Revision ID: b1a5e0000002
Revises: a1d17c0de001
Create Date: 2026-11-27 04:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a5e0000002'
down_revision = 'a1d17c0de001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bias_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('accused_role', sa.Enum('sarpanch', 'parshad', 'panchayat_secretary', 'other', name='accused_role', native_enum=False, create_constraint=True, length=23), nullable=False),
    sa.Column('accused_office_id', sa.Integer(), nullable=True),
    sa.Column('accused_holder_name', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('political', 'caste', 'religion', 'bribe', 'other', name='bias_kind', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('incident_date', sa.Date(), nullable=False),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('evidence_notes', sa.Text(), nullable=True),
    sa.Column('witnesses', sa.Text(), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('filed', 'in_review', 'awaiting_confirmation', 'concluded', name='review_status', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('finding', sa.Enum('substantiated', 'unsubstantiated', 'referred', name='finding', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.Column('finding_reasons', sa.Text(), nullable=True),
    sa.Column('finding_by_id', sa.Integer(), nullable=True),
    sa.Column('finding_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status != 'awaiting_confirmation' OR (finding IS NOT NULL AND finding = 'substantiated')", name=op.f('ck_bias_reports_awaiting_is_substantiated')),
    sa.CheckConstraint("status != 'concluded' OR finding IS NOT NULL", name=op.f('ck_bias_reports_concluded_has_finding')),
    sa.CheckConstraint("status != 'concluded' OR finding != 'substantiated' OR accused_role NOT IN ('sarpanch', 'parshad') OR confirmed_by_id IS NOT NULL", name=op.f('ck_bias_reports_elected_finding_confirmed')),
    sa.CheckConstraint("status != 'filed' OR reviewer_id IS NULL", name=op.f('ck_bias_reports_filed_has_no_reviewer')),
    sa.CheckConstraint("status = 'filed' OR reviewer_id IS NOT NULL", name=op.f('ck_bias_reports_reviewed_has_reviewer')),
    sa.CheckConstraint("status NOT IN ('filed', 'in_review') OR finding IS NULL", name=op.f('ck_bias_reports_open_has_no_finding')),
    sa.CheckConstraint("(status = 'concluded') = (concluded_at IS NOT NULL)", name=op.f('ck_bias_reports_concluded_at')),
    sa.CheckConstraint('confirmed_by_id IS NULL OR (finding_by_id IS NOT NULL AND confirmed_by_id != finding_by_id)', name=op.f('ck_bias_reports_confirmer_is_second_supervisor')),
    sa.CheckConstraint('(confirmed_by_id IS NULL) = (confirmed_at IS NULL)', name=op.f('ck_bias_reports_confirmed_at')),
    sa.CheckConstraint('finding IS NULL OR (finding_reasons IS NOT NULL AND finding_by_id IS NOT NULL AND finding_at IS NOT NULL)', name=op.f('ck_bias_reports_finding_has_reasons')),
    sa.ForeignKeyConstraint(['accused_office_id'], ['offices.id'], name=op.f('fk_bias_reports_accused_office_id_offices')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_bias_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_bias_reports_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_bias_reports_filed_by_id_users')),
    sa.ForeignKeyConstraint(['finding_by_id'], ['users.id'], name=op.f('fk_bias_reports_finding_by_id_users')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_bias_reports_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bias_reports'))
    )
    with op.batch_alter_table('bias_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bias_reports_accused_office_id'), ['accused_office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bias_reports_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bias_reports_filed_by_id'), ['filed_by_id'], unique=False)
        batch_op.create_index('ix_bias_reports_scope', ['area_path', 'status'], unique=False)
    op.create_table('bias_complainants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('is_beneficiary', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('contact', sa.String(length=120), nullable=True),
    sa.Column('relation_to_beneficiary', sa.String(length=120), nullable=True),
    sa.Column('consent_to_be_named', sa.Boolean(), nullable=False),
    sa.Column('protection_concern', sa.Text(), nullable=True),
    sa.CheckConstraint('is_beneficiary OR name IS NOT NULL', name=op.f('ck_bias_complainants_someone_else_is_named')),
    sa.ForeignKeyConstraint(['report_id'], ['bias_reports.id'], name=op.f('fk_bias_complainants_report_id_bias_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bias_complainants')),
    sa.UniqueConstraint('report_id', name=op.f('uq_bias_complainants_report_id'))
    )
    op.create_table('bias_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.Enum('filed', 'in_review', 'awaiting_confirmation', 'concluded', name='bias_event_from', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('to_status', sa.Enum('filed', 'in_review', 'awaiting_confirmation', 'concluded', name='bias_event_to', native_enum=False, create_constraint=True, length=25), nullable=True),
    sa.Column('finding', sa.Enum('substantiated', 'unsubstantiated', 'referred', name='bias_event_finding', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_bias_events_actor_id_users')),
    sa.ForeignKeyConstraint(['report_id'], ['bias_reports.id'], name=op.f('fk_bias_events_report_id_bias_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bias_events'))
    )
    with op.batch_alter_table('bias_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bias_events_report_id'), ['report_id'], unique=False)
    op.create_table('bias_identity_reveals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("reason != ''", name=op.f('ck_bias_identity_reveals_reason_given')),
    sa.ForeignKeyConstraint(['report_id'], ['bias_reports.id'], name=op.f('fk_bias_identity_reveals_report_id_bias_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['viewer_id'], ['users.id'], name=op.f('fk_bias_identity_reveals_viewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bias_identity_reveals'))
    )
    with op.batch_alter_table('bias_identity_reveals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bias_identity_reveals_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bias_identity_reveals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bias_identity_reveals_report_id'))
    op.drop_table('bias_identity_reveals')
    with op.batch_alter_table('bias_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bias_events_report_id'))
    op.drop_table('bias_events')
    op.drop_table('bias_complainants')
    with op.batch_alter_table('bias_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_bias_reports_scope')
        batch_op.drop_index(batch_op.f('ix_bias_reports_filed_by_id'))
        batch_op.drop_index(batch_op.f('ix_bias_reports_case_id'))
        batch_op.drop_index(batch_op.f('ix_bias_reports_accused_office_id'))
    op.drop_table('bias_reports')
