"""Scratch databases for the tests that build a schema themselves (migrations, upgrades,
backups): a brand-new, empty database of each kind, removed afterwards.

SQLite: a file in the test's folder. PostgreSQL, exercised when CASEFLOW_TEST_DATABASE_URL
points at a server (as `.ci/run` does for its second run): a database beside the test
database, named after it, so every engineer's suite may share one server.
"""
import contextlib
import os
from pathlib import Path

import sqlalchemy as sa

from caseflow import create_app
from caseflow.extensions import db
from tests.conftest import test_config

PG_URL = os.environ.get("CASEFLOW_TEST_DATABASE_URL", "")
HAS_PG = PG_URL.startswith("postgresql")
BACKENDS = ["sqlite", "postgresql"] if HAS_PG else ["sqlite"]


def pg_url(database: str) -> sa.URL:
    return sa.make_url(PG_URL).set(database=database)


def pg_admin(statement: str) -> None:
    admin = sa.create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        admin.dispose()


def scratch_name(name: str) -> str:
    """The PostgreSQL scratch database `name` of this suite."""
    return f"{sa.make_url(PG_URL).database}_{name}"


def create(kind: str, folder: Path, name: str) -> str:
    """The URL of a new, empty database `name` (an earlier one of that name is dropped first)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / name}.db"
    database = scratch_name(name)
    pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{database}"')
    return pg_url(database).render_as_string(hide_password=False)


def drop(kind: str, name: str) -> None:
    if kind == "postgresql":
        pg_admin(f'DROP DATABASE IF EXISTS "{scratch_name(name)}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_app(kind: str, folder: Path, name: str, **config):
    """An app on a new, empty database `name` of `kind`; its connections closed and the
    database removed when the block ends."""
    application = create_app(test_config(create(kind, folder, name), **config))
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        drop(kind, name)
