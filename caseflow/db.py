"""Database plumbing shared by every domain: SQLite connection settings, column helpers.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout, and writers
take the lock with `BEGIN IMMEDIATE` so two writers queue up at the start of their
transaction instead of one failing half-way with "database is locked". Read-only requests
(GET/HEAD) begin deferred, so reads stay concurrent.
"""
import contextlib
import contextvars
import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Set per request by the app (GET/HEAD are readers); CLI commands and tests are writers.
read_only_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "read_only_transaction", default=False
)


LOCAL_TZ = ZoneInfo("Asia/Kolkata")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Set by `fixed_today` (the sweep's --now, time-frozen tests); None means the real calendar.
_fixed_today: contextvars.ContextVar[date | None] = contextvars.ContextVar("fixed_today", default=None)


def today() -> date:
    """Today in India: due dates and "overdue" are about the local calendar day."""
    fixed = _fixed_today.get()
    return fixed if fixed is not None else datetime.now(LOCAL_TZ).date()


@contextlib.contextmanager
def fixed_today(day: date):
    """Make `today()` answer `day` inside the block, so every service sees the same clock."""
    token = _fixed_today.set(day)
    try:
        yield day
    finally:
        _fixed_today.reset(token)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint on both databases."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 4,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record):
        # Hand transaction control to SQLAlchemy so the BEGIN below is the one that runs.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN" if read_only_transaction.get() else "BEGIN IMMEDIATE")
