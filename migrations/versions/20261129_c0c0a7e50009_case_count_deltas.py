"""queue status counts kept up to date by triggers (case_count_deltas); change marks for caches

Revision ID: c0c0a7e50009
Revises: b0b5000a0008
Create Date: 2026-11-29 23:45:00

The queue shows how many cases of the user's scope are in each status. Counted per request,
that grew with the scope (a state-wide supervisor: 1,000,000 cases, 40-90 ms a page). Here
every insert, delete and change of status, district or scheme of a case adds a row of +1/-1
to case_count_deltas, written by a trigger in the database, so every writer (the web, the
sweep's set-based UPDATEs, imports, a psql session) is counted. The rows are insert-only: no
writer waits for another on a shared counter row, and none can deadlock on one. A reader sums
them per status; caseflow.cases.counts folds them back into one row per key when they pile up.

The backfill is one INSERT ... SELECT grouped by key: a single scan of the cases. On PostgreSQL
it runs after the triggers are committed, so writers of cases do not wait for the scan.

change_marks: a number per kind of rarely changed data that a web worker caches, raised by
triggers on every change whoever makes it: 'areas' (the tree, names included) and 'scopes'
(who works where: user_areas, a user's role or active flag). A worker reads the marks once a
request and keeps what it cached only while they stay the same; a mark whose row is missing
(a table emptied by hand) caches nothing until the next change writes the row again. A mark moves to the current
time in microseconds (or up by one, whichever is more), so a change that is rolled back and
another one made later never share a mark: a cache built inside the first cannot pass for the second.
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0c0a7e50009'
down_revision = 'b0b5000a0008'
branch_labels = None
depends_on = None

_SQLITE = [
    """CREATE TRIGGER case_count_insert AFTER INSERT ON cases BEGIN
         INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
         VALUES (NEW.district_id, NEW.scheme_id, NEW.status, 1);
       END""",
    """CREATE TRIGGER case_count_delete AFTER DELETE ON cases BEGIN
         INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
         VALUES (OLD.district_id, OLD.scheme_id, OLD.status, -1);
       END""",
    """CREATE TRIGGER case_count_update AFTER UPDATE OF status, district_id, scheme_id ON cases
       WHEN OLD.status IS NOT NEW.status OR OLD.district_id IS NOT NEW.district_id
            OR OLD.scheme_id IS NOT NEW.scheme_id BEGIN
         INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
         VALUES (OLD.district_id, OLD.scheme_id, OLD.status, -1),
                (NEW.district_id, NEW.scheme_id, NEW.status, 1);
       END""",
]

_MARKED = (('areas', 'areas', 'INSERT OR UPDATE OR DELETE'), ('scopes', 'user_areas', 'INSERT OR UPDATE OR DELETE'),
           ('scopes', 'users', 'UPDATE OF role, active'))


def _sqlite_marks():
    for mark, table, events in _MARKED:
        for event in events.split(' OR '):
            name = f"mark_{mark}_{table}_{event.split()[0].lower()}"
            yield (f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                   f"INSERT INTO change_marks (name, n) "
                   f"VALUES ('{mark}', CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) "
                   f"ON CONFLICT (name) DO UPDATE SET n = max(change_marks.n + 1, excluded.n); END")


def _postgres_marks():
    yield """CREATE FUNCTION change_mark() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               INSERT INTO change_marks (name, n)
               VALUES (TG_ARGV[0], (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
               ON CONFLICT (name) DO UPDATE SET n = GREATEST(change_marks.n + 1, EXCLUDED.n);
               RETURN NULL;
             END $$"""
    for mark, table, events in _MARKED:
        yield (f"CREATE TRIGGER mark_{mark}_{table} AFTER {events} ON {table} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION change_mark('{mark}')")


_POSTGRES = [
    """CREATE FUNCTION case_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status
              AND OLD.district_id IS NOT DISTINCT FROM NEW.district_id
              AND OLD.scheme_id IS NOT DISTINCT FROM NEW.scheme_id THEN
             RETURN NULL;
           END IF;
           INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
           VALUES (OLD.district_id, OLD.scheme_id, OLD.status, -1);
         END IF;
         IF TG_OP IN ('UPDATE', 'INSERT') THEN
           INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
           VALUES (NEW.district_id, NEW.scheme_id, NEW.status, 1);
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER case_count_delta AFTER INSERT OR DELETE OR UPDATE OF status, district_id, scheme_id
       ON cases FOR EACH ROW EXECUTE FUNCTION case_count_delta()""",
]

_POSTGRES_BACKFILL = """
    INSERT INTO case_count_deltas (district_id, scheme_id, status, n)
    SELECT district_id, scheme_id, status, sum(n) FROM (
        SELECT district_id, scheme_id, status, count(*) AS n FROM cases GROUP BY district_id, scheme_id, status
        UNION ALL
        SELECT district_id, scheme_id, status, -sum(n) FROM case_count_deltas GROUP BY district_id, scheme_id, status
    ) AS counted GROUP BY district_id, scheme_id, status HAVING sum(n) <> 0"""


def upgrade():
    op.create_table(
        'case_count_deltas',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('scheme_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=14), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_count_deltas')),
    )
    op.create_index('ix_case_count_deltas_district', 'case_count_deltas', ['district_id', 'status', 'n'])
    op.create_table(
        'change_marks',
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_change_marks')),
    )
    op.execute("INSERT INTO change_marks (name, n) VALUES ('areas', 1), ('scopes', 1)")
    postgres = op.get_bind().dialect.name == 'postgresql'
    for statement in [*_POSTGRES, *_postgres_marks()] if postgres else [*_SQLITE, *_sqlite_marks()]:
        op.execute(statement)
    if postgres:
        # Counted after the triggers are committed, not under their lock (which would hold every
        # writer of cases for the whole scan). One statement sees one snapshot: the cases as it
        # sees them, minus the deltas the triggers wrote for changes inside that snapshot, plus
        # the deltas of later changes (written by the triggers) make the counts exact.
        with op.get_context().autocommit_block():
            op.execute(_POSTGRES_BACKFILL)
    else:
        op.execute("INSERT INTO case_count_deltas (district_id, scheme_id, status, n) "
                   "SELECT district_id, scheme_id, status, COUNT(*) FROM cases GROUP BY district_id, scheme_id, status")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER case_count_delta ON cases")
        op.execute("DROP FUNCTION case_count_delta()")
        for mark, table, _events in _MARKED:
            op.execute(f"DROP TRIGGER mark_{mark}_{table} ON {table}")
        op.execute("DROP FUNCTION change_mark()")
    else:
        for name in ('case_count_insert', 'case_count_delete', 'case_count_update'):
            op.execute(f"DROP TRIGGER {name}")
        for statement in _sqlite_marks():
            op.execute(f"DROP TRIGGER {statement.split()[2]}")
    op.drop_table('change_marks')
    op.drop_index('ix_case_count_deltas_district', table_name='case_count_deltas')
    op.drop_table('case_count_deltas')
