"""quarterly_reviews, review_spot_checks, and an (actor_id, at) index on case_events

Revision ID: 4e71e3ed0016
Revises: 5ea4c4b10012
Create Date: 2026-11-30 04:50:42

Expand only: two new tables, which servers of the previous version never read, and an index.
The review reads an in-charge's events of a quarter by (actor_id, at); on PostgreSQL that
index is built CONCURRENTLY (caseflow.schema_changes), so a case_events table of tens of
millions of rows keeps taking writes meanwhile.

Triggers refuse an UPDATE of a review signed by both, and of a spot check of one: the services
refuse first; these catch any other path (a script, a later bug). DELETE is left alone, so an
operator can still remove a person's data.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = '4e71e3ed0016'
down_revision = '5ea4c4b10012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quarterly_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incharge_id', sa.Integer(), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.Column('quarter_start', sa.Date(), nullable=False),
    sa.Column('stage', sa.Enum('open', 'awaiting_response', 'signed', name='review_stage', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('sample_seed', sa.BigInteger(), nullable=False),
    sa.Column('figures', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('assessment', sa.Enum('outstanding', 'good', 'needs_improvement', 'unsatisfactory', name='assessment', native_enum=False, create_constraint=True, length=21), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('supervisor_signed_by_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_signed_at', sa.DateTime(), nullable=True),
    sa.Column('incharge_signed_at', sa.DateTime(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("stage != 'signed' OR (incharge_signed_at IS NOT NULL AND response IS NOT NULL)", name=op.f('ck_quarterly_reviews_incharge_signed')),
    sa.CheckConstraint("stage = 'open' OR (supervisor_signed_by_id IS NOT NULL AND supervisor_signed_at IS NOT NULL AND assessment IS NOT NULL AND figures IS NOT NULL)", name=op.f('ck_quarterly_reviews_supervisor_signed')),
    sa.CheckConstraint("stage = 'signed' OR incharge_signed_at IS NULL", name=op.f('ck_quarterly_reviews_signed_last_by_incharge')),
    sa.ForeignKeyConstraint(['incharge_id'], ['users.id'], name=op.f('fk_quarterly_reviews_incharge_id_users')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_quarterly_reviews_opened_by_id_users')),
    sa.ForeignKeyConstraint(['supervisor_signed_by_id'], ['users.id'], name=op.f('fk_quarterly_reviews_supervisor_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarterly_reviews')),
    sa.UniqueConstraint('incharge_id', 'quarter_start', name='one_per_quarter')
    )
    with op.batch_alter_table('quarterly_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarterly_reviews_incharge_id'), ['incharge_id'], unique=False)
        batch_op.create_index('ix_quarterly_reviews_scope', ['area_path', 'quarter_start'], unique=False)

    op.create_table('review_spot_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('weighted', sa.Boolean(), nullable=False),
    sa.Column('reachable', sa.Enum('not_checked', 'yes', 'no', name='check_reachable', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('received', sa.Enum('not_checked', 'yes', 'no', name='check_received', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('file_complete', sa.Enum('not_checked', 'yes', 'no', name='check_file_complete', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_review_spot_checks_case_id_cases')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_review_spot_checks_checked_by_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['quarterly_reviews.id'], name=op.f('fk_review_spot_checks_review_id_quarterly_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_spot_checks')),
    sa.UniqueConstraint('review_id', 'case_id', name='case_once'),
    sa.UniqueConstraint('review_id', 'position', name='position_once')
    )
    with op.batch_alter_table('review_spot_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_spot_checks_case_id'), ['case_id'], unique=False)

    if big.is_postgres():
        op.execute(_PG_FROZEN)
        for table in ('quarterly_reviews', 'review_spot_checks'):
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION quarterly_review_frozen()")
        with big.autocommit():
            big.create_index('ix_case_events_actor_at', 'case_events', ['actor_id', 'at', 'kind', 'trigger'])
        return
    for statement in _SQLITE_FROZEN:
        op.execute(statement)
    op.create_index('ix_case_events_actor_at', 'case_events', ['actor_id', 'at', 'kind', 'trigger'], unique=False)


_PG_FROZEN = """
CREATE OR REPLACE FUNCTION quarterly_review_frozen() RETURNS trigger AS $$
DECLARE
  signed boolean;
BEGIN
  -- One branch per table: PL/pgSQL resolves OLD's fields only in the branch it runs.
  IF TG_TABLE_NAME = 'quarterly_reviews' THEN
    signed := OLD.stage = 'signed';
  ELSE
    signed := (SELECT stage FROM quarterly_reviews WHERE id = OLD.review_id) = 'signed';
  END IF;
  IF signed THEN
    RAISE EXCEPTION 'a review signed by both is read-only' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_SQLITE_FROZEN = (
    "CREATE TRIGGER quarterly_reviews_frozen BEFORE UPDATE ON quarterly_reviews WHEN OLD.stage = 'signed' "
    "BEGIN SELECT RAISE(ABORT, 'a review signed by both is read-only'); END",
    "CREATE TRIGGER review_spot_checks_frozen BEFORE UPDATE ON review_spot_checks "
    "WHEN (SELECT stage FROM quarterly_reviews WHERE id = OLD.review_id) = 'signed' "
    "BEGIN SELECT RAISE(ABORT, 'a review signed by both is read-only'); END",
)


def downgrade():
    op.drop_index('ix_case_events_actor_at', table_name='case_events')
    for table in ('quarterly_reviews', 'review_spot_checks'):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen" + (f" ON {table}" if big.is_postgres() else ""))
    if big.is_postgres():
        op.execute("DROP FUNCTION IF EXISTS quarterly_review_frozen()")

    with op.batch_alter_table('review_spot_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_spot_checks_case_id'))

    op.drop_table('review_spot_checks')
    with op.batch_alter_table('quarterly_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_quarterly_reviews_scope')
        batch_op.drop_index(batch_op.f('ix_quarterly_reviews_incharge_id'))

    op.drop_table('quarterly_reviews')
