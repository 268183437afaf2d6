"""Gap-tolerant, never-reused counters (case references, the letters' dispatch register).

One row per (scope, year). The increment is a single UPDATE … RETURNING (Core, so no session
synchronisation scans the session's objects), so on PostgreSQL
the row lock orders concurrent writers and on SQLite the writer already holds the database
lock (BEGIN IMMEDIATE). The first number of a year inserts the row inside a savepoint and
retries the UPDATE if another writer inserted it first.
"""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

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
