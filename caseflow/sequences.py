"""Gap-tolerant, never-reused counters (case references, later the dispatch register).

One row per (scope, year). The increment is a single UPDATE … RETURNING, so on PostgreSQL
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
    bump = (
        sa.update(Counter)
        .where(Counter.scope == scope, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    for _ in range(2):
        value = db.session.execute(bump).scalar()
        if value is not None:
            return value
        try:
            with db.session.begin_nested():
                db.session.add(Counter(scope=scope, year=year, value=0))
        except IntegrityError:
            pass
    raise RuntimeError(f"could not allocate a number for {scope}/{year}")
