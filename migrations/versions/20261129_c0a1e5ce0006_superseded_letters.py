"""letters: superseded status, the step that made a letter, the office copied in

Revision ID: c0a1e5ce0006
Revises: 7e5a11a0e006
Create Date: 2026-11-29 20:40:00

Expand only: three nullable columns and wider CHECKs, so an app server of the previous
version keeps working while this runs (it never writes 'superseded'). On PostgreSQL the
constraints are validated without blocking writes (caseflow.schema_changes); SQLite as before.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = 'c0a1e5ce0006'
down_revision = '7e5a11a0e006'
branch_labels = None
depends_on = None

OLD_STATUSES = "'drafted', 'dispatched', 'acknowledged'"
NEW_STATUSES = "'drafted', 'dispatched', 'acknowledged', 'superseded'"


_CHECKS = [
    ('ck_letters_letter_status', f"status IN ({NEW_STATUSES})"),
    ('ck_letters_dispatched_has_mode', "status IN ('drafted', 'superseded') OR (dispatch_mode IS NOT NULL AND dispatched_on IS NOT NULL)"),
    ('ck_letters_dispatched_was_rendered', "status IN ('drafted', 'superseded') OR pdf_path IS NOT NULL"),
]
_SUPERSEDED_HAS_REASON = "(status = 'superseded') = (superseded_at IS NOT NULL AND superseded_because IS NOT NULL)"


def upgrade():
    if big.is_postgres():
        with big.autocommit():
            op.execute("ALTER TABLE letters ADD COLUMN IF NOT EXISTS event_id INTEGER, "
                       "ADD COLUMN IF NOT EXISTS copy_office_id INTEGER, "
                       "ADD COLUMN IF NOT EXISTS superseded_at TIMESTAMP WITHOUT TIME ZONE, "
                       "ADD COLUMN IF NOT EXISTS superseded_because VARCHAR(13)")
            big.add_check('letters', 'ck_letters_superseded_because',
                          "superseded_because IN ('moved_up', 'sent_back', 'decided')")
            big.add_foreign_key('letters', 'fk_letters_event_id_case_events', 'event_id', 'case_events')
            big.add_foreign_key('letters', 'fk_letters_copy_office_id_offices', 'copy_office_id', 'offices')
            # Each wider CHECK replaces the narrower one; both let the existing rows through.
            for name, condition in _CHECKS:
                big.drop_constraint('letters', name)
                big.add_check('letters', name, condition)
            big.add_check('letters', 'ck_letters_superseded_has_reason', _SUPERSEDED_HAS_REASON)
        return
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
        batch_op.create_check_constraint(batch_op.f('ck_letters_superseded_has_reason'), _SUPERSEDED_HAS_REASON)


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
