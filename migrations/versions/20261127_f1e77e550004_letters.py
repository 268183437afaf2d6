"""letters and the per-district dispatch register

Revision ID: f1e77e550004
Revises: e5ca1a7e0003
Create Date: 2026-11-27 04:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1e77e550004'
down_revision = 'e5ca1a7e0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('escalation', 'referral', name='letter_kind', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('bias_report_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('addressee_office_id', sa.Integer(), nullable=False),
    sa.Column('addressee_title', sa.String(length=240), nullable=False),
    sa.Column('addressee_holder', sa.String(length=120), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('due_within_days', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('drafted', 'dispatched', 'acknowledged', name='letter_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('pdf_path', sa.String(length=200), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.Column('dispatch_mode', sa.Enum('hand', 'registered_post', 'email', name='dispatch_mode', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.Column('dispatched_on', sa.Date(), nullable=True),
    sa.Column('dispatch_note', sa.String(length=120), nullable=True),
    sa.Column('ack_inward_number', sa.String(length=60), nullable=True),
    sa.Column('ack_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("language IN ('hi', 'en')", name=op.f('ck_letters_language')),
    sa.CheckConstraint("status != 'acknowledged' OR (ack_inward_number IS NOT NULL AND ack_date IS NOT NULL)", name=op.f('ck_letters_acknowledged_has_inward')),
    sa.CheckConstraint("status = 'drafted' OR (dispatch_mode IS NOT NULL AND dispatched_on IS NOT NULL)", name=op.f('ck_letters_dispatched_has_mode')),
    sa.CheckConstraint('(pdf_sha256 IS NULL) = (pdf_path IS NULL)', name=op.f('ck_letters_pdf_has_hash')),
    sa.CheckConstraint("status = 'drafted' OR pdf_path IS NOT NULL", name=op.f('ck_letters_dispatched_was_rendered')),
    sa.CheckConstraint('ack_date IS NULL OR ack_date >= dispatched_on', name=op.f('ck_letters_ack_after_dispatch')),
    sa.ForeignKeyConstraint(['addressee_office_id'], ['offices.id'], name=op.f('fk_letters_addressee_office_id_offices')),
    sa.ForeignKeyConstraint(['bias_report_id'], ['bias_reports.id'], name=op.f('fk_letters_bias_report_id_bias_reports')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_letters_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_letters_created_by_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['areas.id'], name=op.f('fk_letters_district_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('reference', name=op.f('uq_letters_reference'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_area_path'), ['area_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_bias_report_id'), ['bias_report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_letters_register', ['district_id', 'status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_register')
        batch_op.drop_index(batch_op.f('ix_letters_case_id'))
        batch_op.drop_index(batch_op.f('ix_letters_bias_report_id'))
        batch_op.drop_index(batch_op.f('ix_letters_area_path'))
    op.drop_table('letters')
