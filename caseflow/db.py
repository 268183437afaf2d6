"""Database plumbing shared by every domain: SQLite connection settings, column helpers, and
the clock: the organisation's time zone (`TIMEZONE`, from `CASEFLOW_TIMEZONE`) decides every
calendar day the application stores, shows or prints.

Timestamps are stored as naive UTC (`utcnow`). A day is never taken from one with `.date()`:
`local_date(moment)` gives the day in the organisation's zone, `today()` the current one.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout, and writers
take the lock with `BEGIN IMMEDIATE` so two writers queue up at the start of their
transaction instead of one failing half-way with "database is locked". Read-only requests
(GET/HEAD) begin deferred, so reads stay concurrent.
"""
import contextlib
import contextvars
import enum
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Set per request by the app (GET/HEAD are readers); CLI commands and tests are writers.
read_only_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "read_only_transaction", default=False
)


DEFAULT_TIMEZONE = "Asia/Kolkata"


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. "Asia/Kolkata"); ValueError, saying what is wrong, if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"CASEFLOW_TIMEZONE must be an IANA time zone such as {DEFAULT_TIMEZONE!r}, "
                         f"not {name!r}") from None


def check_timezone(app) -> None:
    """Refuse to start with a zone that does not exist, rather than fail on the first date shown."""
    app.config["TIMEZONE"] = app.config.get("TIMEZONE") or DEFAULT_TIMEZONE
    zone_named(app.config["TIMEZONE"])


def local_zone() -> ZoneInfo:
    """The organisation's time zone: the app's TIMEZONE, or the default outside an app."""
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    # ZoneInfo keeps its own cache per key: this is a dict look-up, cheap enough per row.
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_now() -> datetime:
    """Now, as an aware time in the organisation's zone."""
    return datetime.now(local_zone())


def local_moment(moment: datetime) -> datetime:
    """A stored timestamp (naive UTC, or aware) as an aware time in the organisation's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def local_date(moment: datetime) -> date:
    """The organisation's calendar day of a stored timestamp: the day every page and letter shows."""
    return local_moment(moment).date()


def local_midnight(day: date) -> datetime:
    """The first moment of `day` in the organisation's zone, as the naive UTC timestamps are stored."""
    return datetime.combine(day, time(), tzinfo=local_zone()).astimezone(UTC).replace(tzinfo=None)


# Set by `fixed_today` (the sweep's --now, time-frozen tests); None means the real calendar.
_fixed_today: contextvars.ContextVar[date | None] = contextvars.ContextVar("fixed_today", default=None)


def today() -> date:
    """Today in the organisation's zone: due dates and "overdue" are about the local calendar day."""
    fixed = _fixed_today.get()
    return fixed if fixed is not None else local_now().date()


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
