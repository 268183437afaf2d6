"""evidence_files: photos and PDFs attached to cases; schemes.proof_file_required

Revision ID: e71de4ce0013
Revises: d16e57a10011
Create Date: 2026-11-30 04:50:00

Expand only: a new table, and a new column with a server default (false), so app servers of
the previous version, which neither read nor write them, keep working while it runs. The
table starts empty: its indexes cost nothing to build.
"""
import sqlalchemy as sa
from alembic import op

revision = 'e71de4ce0013'
down_revision = 'd16e57a10011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('case', 'follow_up', 'delivery', name='evidence_kind', native_enum=False,
                              create_constraint=True, length=13), nullable=False),
    sa.Column('media_type', sa.Enum('image/jpeg', 'image/png', 'application/pdf', name='evidence_media_type',
                                    native_enum=False, create_constraint=True, length=19), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('thumb_sha256', sa.String(length=64), nullable=True),
    sa.Column('caption', sa.String(length=300), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'case') = (event_id IS NULL)", name=op.f('ck_evidence_files_event_matches_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_evidence_files_size_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_files_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['areas.id'], name=op.f('fk_evidence_files_district_id_areas')),
    sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_evidence_files_event_id_case_events')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_files_case_id', ['case_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_files_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_evidence_files_sha256', ['sha256'], unique=False)

    # Not in batch mode: a batch would rebuild the schemes table on SQLite (its default is an
    # expression), and dropping a table that cases refer to fails once there are cases. A plain
    # ADD COLUMN with a constant default works in place on both databases.
    op.add_column('schemes', sa.Column('proof_file_required', sa.Boolean(), server_default=sa.false(),
                                       nullable=False))


def downgrade():
    # In place, for the same reason (SQLite ≥ 3.35 drops a plain column without a rebuild).
    op.drop_column('schemes', 'proof_file_required')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_files_sha256')
        batch_op.drop_index(batch_op.f('ix_evidence_files_event_id'))
        batch_op.drop_index('ix_evidence_files_case_id')
    op.drop_table('evidence_files')
