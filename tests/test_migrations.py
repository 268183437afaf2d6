"""Guards the Alembic migrations as code: one head, a clean `upgrade` on an empty SQLite and an
empty PostgreSQL database, no autogenerate difference between the models and what the
migrations build, a full downgrade/upgrade round trip, and the data a migration rewrites.

SQLite is always exercised. PostgreSQL is exercised, whichever database the rest of the suite
runs on, when CASEFLOW_TEST_DATABASE_URL points at a PostgreSQL server (as `.ci/run` does for
its second run): in a scratch database beside the test database, created and dropped here.
"""
import logging
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from caseflow.extensions import db
from tests.scratch import BACKENDS, scratch_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Every engineer's suite may share one server: the scratch database is named after the test one.
SCRATCH = "migrations"


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path):
    """An app on a brand-new, empty database of each kind; the database is removed afterwards."""
    with scratch_app(request.param, tmp_path, SCRATCH) as application:
        yield application


def migrate_up(application) -> None:
    with application.app_context():
        upgrade(directory=str(MIGRATIONS))


def schema_differences(application) -> list:
    with application.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def tables_and_revision(application) -> tuple[set[str], str | None]:
    with application.app_context(), db.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        revision = MigrationContext.configure(conn).get_current_revision()
    return tables, revision


def test_exactly_one_head():
    heads = script_directory().get_heads()
    assert len(heads) == 1, f"several Alembic heads, merge them: {heads}"


def test_every_revision_file_is_date_prefixed_and_loads():
    scripts = script_directory()
    revisions = list(scripts.walk_revisions())
    assert revisions, "no migrations found"
    for revision in revisions:
        name = Path(revision.path).name
        assert name[:8].isdigit() and name[8] == "_", f"{name}: migration files start with YYYYMMDD_"
        assert revision.revision in name


def test_upgrade_on_an_empty_database_builds_exactly_the_models(empty_app):
    assert tables_and_revision(empty_app) == (set(), None)

    migrate_up(empty_app)

    tables, revision = tables_and_revision(empty_app)
    assert revision == script_directory().get_current_head()
    assert tables == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    assert schema_differences(empty_app) == []


def test_upgrade_twice_changes_nothing(empty_app):
    migrate_up(empty_app)
    migrate_up(empty_app)
    assert schema_differences(empty_app) == []


def test_downgrade_to_base_then_upgrade_again(empty_app):
    migrate_up(empty_app)
    with empty_app.app_context():
        downgrade(directory=str(MIGRATIONS), revision="base")

    tables, revision = tables_and_revision(empty_app)
    assert revision is None
    assert tables <= {"alembic_version"}, f"left behind by the downgrade: {sorted(tables)}"

    migrate_up(empty_app)
    tables, revision = tables_and_revision(empty_app)
    assert revision == script_directory().get_current_head()
    assert schema_differences(empty_app) == []


def test_upgrade_recomputes_name_keys_stored_by_older_rules(empty_app):
    """Keys written before caseflow had its own Devanagari table (see names.py) are brought up to
    the current rules, or search and the duplicate check would miss those people."""
    with empty_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="9a0e0e0e0005")
        # The rows as the schema of that revision holds them; the keys are what
        # indic_transliteration's ITRANS gave (the third one is unchanged).
        now = datetime(2026, 11, 1)
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO areas (id, kind, name_en, name_hi, path, active) "
                                 "VALUES (1, 'state', 'Test State', 'परीक्षण राज्य', '0000001', :yes)"), {"yes": True})
            conn.execute(sa.text("INSERT INTO users (id, username, display_name, password_hash, role, active, locale, "
                                 "session_version, created_at, password_changed_at) "
                                 "VALUES (1, 'incharge', 'In-charge', 'x', 'incharge', :yes, 'hi', 1, :now, :now)"),
                         {"yes": True, "now": now})
            people = sa.table("beneficiaries", *(sa.column(c) for c in (
                "id", "name", "name_key", "gender", "settlement_id", "area_path", "preferred_language",
                "lawful_basis", "consent_recorded_by_id")), sa.column("consent_recorded_at", sa.DateTime),
                sa.column("created_at", sa.DateTime))
            conn.execute(people.insert(), [
                {"id": i, "name": name, "name_key": key, "gender": "female", "settlement_id": 1,
                 "area_path": "0000001", "preferred_language": "hi", "lawful_basis": "written_consent",
                 "consent_recorded_by_id": 1, "consent_recorded_at": now, "created_at": now}
                for i, (name, key) in enumerate([("Laxmi", "lxmi"), ("सिंह", "snh"), ("सुनीता", "sunit")], 1)
            ])
        db.engine.dispose()

    migrate_up(empty_app)
    with empty_app.app_context(), db.engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT name, name_key FROM beneficiaries")).all())
    assert keys == {"Laxmi": "lksmi", "सिंह": "singh", "सुनीता": "sunit"}


@pytest.mark.parametrize("empty_app", ["sqlite"], indirect=True)
def test_running_migrations_in_process_keeps_the_app_loggers_enabled(empty_app):
    """migrations/env.py configures logging from alembic.ini; it must not switch off loggers that
    already exist (Python's fileConfig does so unless told not to), or every caseflow log line
    emitted after an in-process upgrade (tests, setup commands) silently disappears."""
    app_logger = logging.getLogger("caseflow.migration_probe")
    app_logger.disabled = False
    try:
        migrate_up(empty_app)
        assert not app_logger.disabled
        assert not logging.getLogger("caseflow").disabled
    finally:
        app_logger.disabled = False
