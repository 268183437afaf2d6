"""letters: superseded status, the step that made a letter, the office copied in

Revision ID: c0a1e5ce0006
Revises: 7e5a11a0e006
Create Date: 2026-11-29 20:40:00

Expand only: three nullable columns and wider CHECKs, so an app server of the previous
version keeps working while this runs (it never writes 'superseded').
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0a1e5ce0006'
down_revision = '7e5a11a0e006'
branch_labels = None
depends_on = None

OLD_STATUSES = "'drafted', 'dispatched', 'acknowledged'"
NEW_STATUSES = "'drafted', 'dispatched', 'acknowledged', 'superseded'"


def upgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('copy_office_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('superseded_because', sa.Enum('moved_up', 'sent_back', 'decided', name='superseded_because', native_enum=False, create_constraint=True, length=13), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letters_event_id_case_events'), 'case_events', ['event_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_letters_copy_office_id_offices'), 'offices', ['copy_office_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_letters_letter_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_letter_status'), f"status IN ({NEW_STATUSES})")
        batch_op.drop_constraint(batch_op.f('ck_letters_dispatched_has_mode'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_dispatched_has_mode'), "status IN ('drafted', 'superseded') OR (dispatch_mode IS NOT NULL AND dispatched_on IS NOT NULL)")
        batch_op.drop_constraint(batch_op.f('ck_letters_dispatched_was_rendered'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_dispatched_was_rendered'), "status IN ('drafted', 'superseded') OR pdf_path IS NOT NULL")
        batch_op.create_check_constraint(batch_op.f('ck_letters_superseded_has_reason'), "(status = 'superseded') = (superseded_at IS NOT NULL AND superseded_because IS NOT NULL)")


def downgrade():
    # A superseded letter was drafted and never sent: it goes back to drafted.
    op.execute("UPDATE letters SET status = 'drafted' WHERE status = 'superseded'")
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_letters_superseded_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_letters_dispatched_was_rendered'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_dispatched_was_rendered'), "status = 'drafted' OR pdf_path IS NOT NULL")
        batch_op.drop_constraint(batch_op.f('ck_letters_dispatched_has_mode'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_dispatched_has_mode'), "status = 'drafted' OR (dispatch_mode IS NOT NULL AND dispatched_on IS NOT NULL)")
        batch_op.drop_constraint(batch_op.f('ck_letters_letter_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_letters_letter_status'), f"status IN ({OLD_STATUSES})")
        batch_op.drop_constraint(batch_op.f('fk_letters_copy_office_id_offices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_letters_event_id_case_events'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_letters_superseded_because'), type_='check')
        batch_op.drop_column('superseded_because')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('copy_office_id')
        batch_op.drop_column('event_id')
