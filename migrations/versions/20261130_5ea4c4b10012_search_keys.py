"""search keys: the case reference's number, the government's numbers as letters and digits,
a table of the words of beneficiaries' names, and the indexes search reads

Revision ID: 5ea4c4b10012
Revises: e71de4ce0013
Create Date: 2026-11-30 05:00:00

Expand only: three nullable columns on cases, a new table, new indexes. A server of the release
before neither reads nor writes them and keeps working while this runs. Rows it writes after
the backfill (a case opened, a beneficiary registered or renamed before every server runs the
new release) get their keys on their next change through the new release; run this migration
again (it only fills what is missing) once the old servers are stopped to pick them up.

On PostgreSQL each batch of the backfills commits on its own and the indexes are built
CONCURRENTLY (caseflow.schema_changes); SQLite adds the columns in place (no table copy).
The name words are computed in Python (caseflow.beneficiaries.names, the rules of the day, as
migration 7e5a11a0e006 does), one batch of beneficiaries at a time.
"""
import sqlalchemy as sa
from alembic import op

from caseflow import schema_changes as big

revision = '5ea4c4b10012'
down_revision = 'e71de4ce0013'
branch_labels = None
depends_on = None

_BATCH = 5000

_CASE_INDEXES = [('ix_cases_ref_seq', 'cases', ['ref_seq']),
                 ('ix_cases_application_key', 'cases', ['application_key']),
                 ('ix_cases_grievance_key', 'cases', ['grievance_key'])]
_OTHER_INDEXES = [('ix_beneficiaries_mobile', 'beneficiaries', ['mobile']),
                  ('ix_beneficiaries_aadhaar_last4', 'beneficiaries', ['aadhaar_last4']),
                  ('ix_beneficiary_name_tokens_key', 'beneficiary_name_tokens', ['key', 'beneficiary_id', 'area_path']),
                  ('ix_beneficiary_name_tokens_skeleton', 'beneficiary_name_tokens',
                   ['skeleton', 'beneficiary_id', 'area_path']),
                  ('ix_beneficiary_name_tokens_key_place', 'beneficiary_name_tokens', ['key', 'area_path', 'beneficiary_id']),
                  ('ix_beneficiary_name_tokens_skeleton_place', 'beneficiary_name_tokens',
                   ['skeleton', 'area_path', 'beneficiary_id'])]

_cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("reference", sa.String),
                  sa.column("application_ref", sa.String), sa.column("grievance_ref", sa.String),
                  sa.column("ref_seq", sa.Integer), sa.column("application_key", sa.String),
                  sa.column("grievance_key", sa.String))
_people = sa.table("beneficiaries", sa.column("id", sa.Integer), sa.column("name", sa.String),
                   sa.column("area_path", sa.String))
_tokens = sa.table("beneficiary_name_tokens", sa.column("beneficiary_id", sa.Integer),
                   sa.column("position", sa.Integer), sa.column("key", sa.String),
                   sa.column("skeleton", sa.String), sa.column("area_path", sa.String))


def _create_tokens_table():
    op.create_table('beneficiary_name_tokens',
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('skeleton', sa.String(length=60), nullable=False),
    sa.Column('area_path', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'],
                            name=op.f('fk_beneficiary_name_tokens_beneficiary_id_beneficiaries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('beneficiary_id', 'position', name=op.f('pk_beneficiary_name_tokens')),
    if_not_exists=True,
    )


def upgrade():
    if big.is_postgres():
        with big.autocommit():
            for column, kind in (('ref_seq', 'INTEGER'), ('application_key', 'VARCHAR(60)'),
                                 ('grievance_key', 'VARCHAR(60)')):
                op.execute(f"ALTER TABLE cases ADD COLUMN IF NOT EXISTS {column} {kind}")
            _create_tokens_table()
            big.backfill('cases',
                         "ref_seq = CAST(substring(reference from '/([0-9]{1,9})$') AS INTEGER), "
                         "application_key = NULLIF(left(upper(regexp_replace(application_ref, '[^A-Za-z0-9]', '', "
                         "'g')), 60), ''), "
                         "grievance_key = NULLIF(left(upper(regexp_replace(grievance_ref, '[^A-Za-z0-9]', '', "
                         "'g')), 60), '')",
                         "ref_seq IS NULL AND reference ~ '/[0-9]{1,9}$'", batch=10_000)
            _fill_name_tokens()
            for name, table, columns in _CASE_INDEXES + _OTHER_INDEXES:
                big.create_index(name, table, columns)
        return
    inspector = sa.inspect(op.get_bind())
    present = {c['name'] for c in inspector.get_columns('cases')}
    # ADD COLUMN in place: batch mode would copy the whole table for three nullable columns.
    for column in (sa.Column('ref_seq', sa.Integer(), nullable=True),
                   sa.Column('application_key', sa.String(length=60), nullable=True),
                   sa.Column('grievance_key', sa.String(length=60), nullable=True)):
        if column.name not in present:
            op.add_column('cases', column)
    _create_tokens_table()
    # References are CODE/YYYY/NNNNNN: the number starts five characters after the first '/'.
    op.execute("UPDATE cases SET ref_seq = CAST(substr(reference, instr(reference, '/') + 6) AS INTEGER) "
               "WHERE ref_seq IS NULL AND reference GLOB '*/[0-9][0-9][0-9][0-9]/[0-9]*'")
    _fill_case_keys_sqlite()
    _fill_name_tokens()
    existing = {i['name'] for t in ('cases', 'beneficiaries', 'beneficiary_name_tokens')
                for i in inspector.get_indexes(t)}
    for name, table, columns in _CASE_INDEXES + _OTHER_INDEXES:
        if name not in existing:
            op.create_index(name, table, columns, unique=False)


def _fill_case_keys_sqlite():
    # The rules of the day, on purpose (as 7e5a11a0e006): SQLite has no regexp_replace.
    from caseflow.cases.models import search_key

    conn = op.get_bind()
    last = 0
    pending = sa.or_(sa.and_(_cases.c.application_ref.is_not(None), _cases.c.application_key.is_(None)),
                     sa.and_(_cases.c.grievance_ref.is_not(None), _cases.c.grievance_key.is_(None)))
    while True:
        rows = conn.execute(sa.select(_cases.c.id, _cases.c.application_ref, _cases.c.grievance_ref)
                            .where(_cases.c.id > last, pending).order_by(_cases.c.id).limit(_BATCH)).all()
        if not rows:
            return
        conn.execute(_cases.update().where(_cases.c.id == sa.bindparam("row_id"))
                     .values(application_key=sa.bindparam("app"), grievance_key=sa.bindparam("grv")),
                     [{"row_id": i, "app": search_key(a), "grv": search_key(g)} for i, a, g in rows])
        last = rows[-1].id


def _fill_name_tokens():
    """The words of every name not yet in the table, one batch of beneficiaries at a time
    (on PostgreSQL each batch commits); run again, it fills only what is missing."""
    from caseflow.beneficiaries.names import name_tokens

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(_people.c.id, _people.c.name, _people.c.area_path)
                            .where(_people.c.id > last).order_by(_people.c.id).limit(_BATCH)).all()
        if not rows:
            return
        done = set(conn.execute(sa.select(_tokens.c.beneficiary_id).distinct().where(
            _tokens.c.beneficiary_id > last, _tokens.c.beneficiary_id <= rows[-1].id)).scalars())
        tokens = [{"beneficiary_id": id_, "position": i, "key": key[:60], "skeleton": skel[:60], "area_path": path}
                  for id_, name, path in rows if id_ not in done
                  for i, (key, skel) in enumerate(name_tokens(name or ""))]
        if tokens:
            conn.execute(_tokens.insert(), tokens)
        last = rows[-1].id


def downgrade():
    for name, table, _columns in reversed(_CASE_INDEXES + _OTHER_INDEXES):
        op.drop_index(name, table_name=table, if_exists=True)
    op.drop_table('beneficiary_name_tokens')
    # In place on SQLite too (3.35+): batch mode would copy the table and lose its triggers.
    for column in ('grievance_key', 'application_key', 'ref_seq'):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
