"""Gap-tolerant, never-reused counters (case references, the letters' dispatch register), and
the ids of rows a batch inserts in bulk (`insert_rows`, `insert_many`).

One row per (scope, year). The increment is a single UPDATE … RETURNING (Core, so no session
synchronisation scans the session's objects), so on PostgreSQL
the row lock orders concurrent writers and on SQLite the writer already holds the database
lock (BEGIN IMMEDIATE). The first number of a year inserts the row inside a savepoint and
retries the UPDATE if another writer inserted it first.
"""
import json

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import textguard
from caseflow.extensions import db


class Counter(db.Model):
    __tablename__ = "counters"

    scope: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_value(scope: str, year: int) -> int:
    return next_values(scope, year, 1)[0]


def next_values(scope: str, year: int, count: int) -> range:
    """`count` consecutive numbers of one counter."""
    return next_values_many({scope: count}, year)[scope]


def next_values_many(counts: dict[str, int], year: int) -> dict[str, range]:
    """Consecutive numbers of several counters at once (a sweep batch's letters, per district):
    one UPDATE … RETURNING for all of them, `counts[scope]` numbers each."""
    table = Counter.__table__
    found: dict[str, range] = {}
    for _ in range(2):
        wanted = {scope: count for scope, count in counts.items() if scope not in found}
        if not wanted:
            return found
        by = sa.case(wanted, value=table.c.scope, else_=0)
        # With .returning(), SQLite and PostgreSQL both report the new values of the rows changed.
        bumped = db.session.execute(
            sa.update(table).where(table.c.scope.in_(list(wanted)), table.c.year == year)
            .values(value=table.c.value + by).returning(table.c.scope, table.c.value)
        ).all()
        for scope, value in bumped:
            found[scope] = range(value - wanted[scope] + 1, value + 1)
        for scope in wanted.keys() - found.keys():
            # The first number of a year; another writer may insert the row first.
            try:
                with db.session.begin_nested():
                    db.session.add(Counter(scope=scope, year=year, value=0))
            except IntegrityError:
                pass
    if len(found) == len(counts):
        return found
    raise RuntimeError(f"could not allocate numbers for {sorted(counts.keys() - found.keys())}/{year}")


def insert_rows(table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert `rows` (one statement, executed for all of them); the ids they were given, in order.

    The ids are taken first — PostgreSQL: from the table's sequence, one query; SQLite: after
    the largest id, which is exact because the transaction holds SQLite's write lock (BEGIN
    IMMEDIATE) — so no RETURNING is needed: a multi-row INSERT … RETURNING is one huge
    statement the driver parses every time (PostgreSQL), or one statement a row (SQLite).
    """
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = sorted(db.session.scalars(sa.text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}))
    else:
        start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) + 1
        ids = list(range(start, start + len(rows)))
    insert_many(table, [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)])
    return ids


# Sent before every `insert_many`, with the table, the connection and the rows: COPY does not
# pass through SQLAlchemy's cursor events, so whoever watches writes (the tests' audit guard)
# hears of them here.
bulk_inserted = Namespace().signal("bulk-inserted")


def _json_text(value) -> str | None:
    return None if value is None else json.dumps(value)


def insert_many(table: sa.Table, rows: list[dict], *, masked: bool = False) -> None:
    """Insert `rows` (every row with the same keys) in one go: COPY on PostgreSQL, one prepared
    INSERT executed for every row on SQLite. The columns' types convert the values (enums,
    JSON, dates) as an ORM insert would, and the Aadhaar guard checks them as a flush would
    (`textguard.guard_rows`: free text masked, references refused, machine values left).
    `masked`: the caller has applied that rule already (the audit chain, whose hashes cover
    the values as masked), so the rows are not walked a second time."""
    if not rows:
        return
    if not masked:
        textguard.guard_rows(table, rows)
    columns = [table.c[key] for key in rows[0]]
    connection = db.session.connection()
    bulk_inserted.send(table, connection=connection, rows=rows)
    dialect = connection.dialect
    # Converted once here, the way the columns' types would bind them, so neither path pays
    # SQLAlchemy's per-row parameter processing (a tenth of a sweep batch's time on SQLite).
    processors = [(c.key, _json_text if isinstance(c.type, sa.JSON) else c.type.bind_processor(dialect))
                  for c in columns]
    values = ([row[key] if convert is None else convert(row[key]) for key, convert in processors] for row in rows)
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    if dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", [tuple(v) for v in values])
