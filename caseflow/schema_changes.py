"""Schema changes that a big PostgreSQL database survives while the application keeps serving:
the building blocks the migrations use on PostgreSQL (README "Upgrading").

PostgreSQL holds every lock a statement takes until its transaction ends. So each step here
runs in an autocommit block (one transaction per statement) and is written to be run again:
a migration stopped half-way by `lock_timeout` (migrations/env.py) is simply run again.

- indexes: `CREATE INDEX CONCURRENTLY` (readers and writers go on; an interrupted build's
  INVALID leftover is dropped and built again);
- CHECKs, foreign keys and NOT NULL: added `NOT VALID` (a brief catalog lock), then validated
  under SHARE UPDATE EXCLUSIVE, which lets reads and writes through while it scans; NOT NULL
  is set on top of a validated CHECK, so PostgreSQL does not scan again under its exclusive lock;
- backfills: one UPDATE per range of ids, each committed, instead of one UPDATE of every row
  holding row locks (and, on a busy table, everyone behind them) until the end.

Waiting: migrations/env.py makes every statement give up after `lock_timeout` (5 s), because a
statement queued for a strong lock holds up every query behind it. Building an index
CONCURRENTLY and validating a constraint take only SHARE UPDATE EXCLUSIVE, which no read or
write waits for, but they wait for every older transaction to end; so they run without that
limit (`_patient`), or a single long report would make them fail.

SQLite is not served by these: its migrations run their original batch operations (SQLite has
one writer at a time anyway, and a copy-and-move of the table is how it alters one).
"""
import contextlib

import sqlalchemy as sa
from alembic import op

# Small enough that a writer meeting a row of the batch being filled waits a fraction of a second.
BACKFILL_BATCH = 2_000


def is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def autocommit():
    """Each statement in the block commits on its own (and no lock outlives it)."""
    return op.get_context().autocommit_block()


def _scalar(sql: str, **params):
    return op.get_bind().execute(sa.text(sql), params).scalar()


def _constraint_exists(table: str, name: str) -> bool:
    return bool(_scalar("SELECT 1 FROM pg_constraint WHERE conname = :name AND conrelid = CAST(:table AS regclass)",
                        name=name, table=table))


@contextlib.contextmanager
def _patient():
    """No lock_timeout for a statement that blocks no reader or writer while it waits."""
    before = _scalar("SELECT current_setting('lock_timeout')")
    op.execute("SET lock_timeout = 0")
    try:
        yield
    finally:
        op.get_bind().execute(sa.text("SELECT set_config('lock_timeout', :value, false)"), {"value": before})


def create_index(name: str, table: str, columns: list[str], *, where: str | None = None,
                 unique: bool = False) -> None:
    """CREATE INDEX CONCURRENTLY, inside an autocommit block (it cannot run in a transaction)."""
    valid = _scalar("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE c.relname = :name", name=name)
    if valid:
        return
    if valid is not None:  # an interrupted concurrent build leaves an INVALID index behind
        op.drop_index(name, table_name=table, postgresql_concurrently=True)
    with _patient():
        op.create_index(name, table, columns, unique=unique, postgresql_concurrently=True,
                        postgresql_where=sa.text(where) if where else None)


def add_check(table: str, name: str, condition: str) -> None:
    """A CHECK added NOT VALID, then validated without blocking reads or writes."""
    if not _constraint_exists(table, name):
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    with _patient():
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def add_foreign_key(table: str, name: str, column: str, referred: str, referred_column: str = "id") -> None:
    """A foreign key added NOT VALID, then validated without blocking reads or writes."""
    if not _constraint_exists(table, name):
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                   f"REFERENCES {referred} ({referred_column}) NOT VALID")
    with _patient():
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def drop_constraint(table: str, name: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def set_not_null(table: str, column: str) -> None:
    """NOT NULL without a scan under ACCESS EXCLUSIVE: PostgreSQL (12+) trusts a validated CHECK."""
    helper = f"ck_{table}_{column}_filled"
    add_check(table, helper, f"{column} IS NOT NULL")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")
    drop_constraint(table, helper)


def backfill(table: str, assignment: str, pending: str, *, batch: int = BACKFILL_BATCH) -> int:
    """`UPDATE table SET assignment WHERE pending`, one committed range of ids at a time.

    `pending` must become false once a row is filled, so a run stopped half-way is resumed by
    running it again. A last pass over the whole table fills rows inserted meanwhile (by the
    application still serving) in ranges already done. Returns the number of rows updated.
    """
    bind = op.get_bind()
    bounds = bind.execute(sa.text(f"SELECT min(id), max(id) FROM {table}")).one()
    done = 0
    if bounds[0] is not None:
        low = bounds[0] - 1
        while low < bounds[1]:
            result = bind.execute(sa.text(f"UPDATE {table} SET {assignment} WHERE id > :low AND id <= :high "
                                          f"AND ({pending})"), {"low": low, "high": low + batch})
            done += result.rowcount
            low += batch
    done += bind.execute(sa.text(f"UPDATE {table} SET {assignment} WHERE {pending}")).rowcount
    return done
