"""An upgrade from the first release to the current head, on a database that holds data.

The first release (commit 133d789, migration 6b58db5a230c: areas, users, schemes, beneficiaries,
cases and their events, with the queue and the case page working) is built by its own
migration and filled with plain SQL as that release stored its rows: cases at every status,
their events, counters, a holiday, a throttled sign-in. It is then upgraded to 9a0e0e0e0005,
the release that brought the audit trail, letters, bias reports and the sweep (commit
e1a15d9), which gets rows of those too (an audit chain hashed as that release hashed it,
letters drafted, dispatched and acknowledged, a bias report, a sweep run, a case flagged).
Then to the current head. Every row must come through with the values it had, the backfills
must be right (cases.district_id, name keys, status counts), the app must sign in and show
the queue and every case, and `audit verify` must pass on the old chain with the new
entries after it.

SQLite always; PostgreSQL too when CASEFLOW_TEST_DATABASE_URL is set, in a scratch database
named after the test database (like tests/test_migrations.py).
"""
import hashlib
import threading
import time
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from flask_migrate import upgrade

from caseflow.audit.services import GENESIS_HASH, entry_hash
from caseflow.extensions import db
from tests.scratch import BACKENDS, HAS_PG, pg_url, scratch_app, scratch_name
from tests.test_migrations import MIGRATIONS, schema_differences, script_directory

FIRST_RELEASE = "6b58db5a230c"
AUDIT_RELEASE = "9a0e0e0e0005"
PASSWORD = "an-old-release-password"
SCRATCH = scratch_name("upgrade") if HAS_PG else None

NOW = datetime(2026, 10, 1, 9, 30)
DAY = date(2026, 10, 1)
STATE, DISTRICT, BLOCK, GP, VILLAGE = 1, 2, 3, 4, 5
P_STATE = "0000001"
P_DISTRICT = P_STATE + "0000002"
P_BLOCK = P_DISTRICT + "0000003"
P_GP = P_BLOCK + "0000004"
P_VILLAGE = P_GP + "0000005"
ADMIN, INCHARGE, SUPERVISOR = 1, 2, 3
SECRETARY, JANPAD, COLLECTOR = 1, 2, 3  # office ids, and office kind ids


@pytest.fixture(params=BACKENDS)
def old_app(request, tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    with scratch_app(request.param, tmp_path, "upgrade", LETTERS_DIR=str(letters)) as application:
        yield application


def migrate(application, revision="head"):
    with application.app_context():
        upgrade(directory=str(MIGRATIONS), revision=revision)
        db.engine.dispose()


def insert(conn, rows: dict[str, list[dict]]) -> None:
    """Plain INSERTs into the tables as the database holds them now (reflected, so typed)."""
    metadata = sa.MetaData()
    for name, values in rows.items():
        conn.execute(sa.Table(name, metadata, autoload_with=conn).insert(), values)


def snapshot(application, tables) -> dict[str, list[dict]]:
    """Every row of `tables`, every column, in primary-key order."""
    with application.app_context(), db.engine.connect() as conn:
        metadata = sa.MetaData()
        result = {}
        for name in tables:
            table = sa.Table(name, metadata, autoload_with=conn)
            order = list(table.primary_key.columns) or list(table.columns)
            result[name] = [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(*order))]
        return result


def _case(id_, status, beneficiary, *, level=0, due=None, **fields):
    applied = status not in ("identified", "documented", "closed") or fields.get("application_ref")
    row = {
        "id": id_, "reference": f"SHR/2026/{id_:06d}", "beneficiary_id": beneficiary, "scheme_id": 1,
        "area_id": VILLAGE, "area_path": P_VILLAGE, "status": status, "level": level,
        "office_id": {0: None, 1: SECRETARY, 2: JANPAD, 3: COLLECTOR}[level], "assigned_to_id": None,
        "due_date": due, "verified_at": None if status == "identified" else NOW,
        "application_ref": f"APP-{id_}" if applied else None, "application_date": DAY if applied else None,
        "grievance_ref": None, "sanction_ref": None, "sanction_date": None, "rejection_reason": None,
        "proof_of_delivery": None, "delivered_on": None, "beneficiary_confirmed": False,
        "confirmation_override_reason": None, "close_reason": None, "ended_at": None,
        "created_by_id": INCHARGE, "created_at": NOW, "updated_at": NOW + timedelta(days=id_), "version": 3,
    }
    row.update(fields)
    return row


def first_release_rows(password_hash: str) -> dict[str, list[dict]]:
    area = {"code": None, "active": True}
    # Keys as the current rules make them, but for Laxmi's: indic_transliteration's (see stale_key).
    people = [("सुनीता देवी", "sunit devi"), ("Laxmi Bai", "lxmi bi"), ("रामप्रसाद", "rmprsd"),
              ("Geeta", "git"), ("मोहन", "mohn"), ("Kamla", "kml")]
    open_due = DAY + timedelta(days=10)
    cases = [
        _case(1, "identified", 1),
        _case(2, "documented", 2),
        _case(3, "submitted", 3, level=1, due=open_due, grievance_ref="CMH-77"),
        _case(4, "escalated", 4, level=2, due=DAY - timedelta(days=3), assigned_to_id=INCHARGE),
        _case(5, "sanctioned", 5, level=1, sanction_ref="SO-5", sanction_date=DAY),
        _case(6, "rejected", 6, level=3, rejection_reason="Land record mismatch"),
        _case(7, "resolved", 1, level=1, sanction_ref="SO-7", sanction_date=DAY, proof_of_delivery="First instalment",
              delivered_on=DAY, beneficiary_confirmed=True, ended_at=NOW),
        _case(8, "closed", 2, close_reason="duplicate", ended_at=NOW),
    ]
    events = []
    for case in cases:
        events.append({"case_id": case["id"], "kind": "created", "at": NOW, "actor_id": INCHARGE, "trigger": None,
                       "from_status": None, "to_status": "identified", "level": None, "office_id": None,
                       "channel": None, "note": None, "promised_date": None, "details": {}})
        if case["status"] != "identified":
            events.append({"case_id": case["id"], "kind": "transition", "at": NOW + timedelta(hours=1),
                           "actor_id": INCHARGE, "trigger": "verify", "from_status": "identified",
                           "to_status": case["status"], "level": case["level"] or None, "office_id": case["office_id"],
                           "channel": None, "note": None, "promised_date": None,
                           "details": {"application_ref": case["application_ref"]}})
    events.append({"case_id": 3, "kind": "follow_up", "at": NOW + timedelta(days=2), "actor_id": INCHARGE,
                   "trigger": None, "from_status": None, "to_status": None, "level": 1, "office_id": SECRETARY,
                   "channel": "phone", "note": "Secretary promised a visit", "promised_date": open_due,
                   "details": {}})
    for number, event in enumerate(events, 1):
        event["id"] = number
    return {
        "areas": [
            {"id": STATE, "parent_id": None, "kind": "state", "name_en": "Madhya Pradesh", "name_hi": "मध्य प्रदेश",
             "path": P_STATE, **area},
            {"id": DISTRICT, "parent_id": STATE, "kind": "district", "name_en": "Sehore", "name_hi": "सीहोर",
             "path": P_DISTRICT, **area, "code": "SHR"},
            {"id": BLOCK, "parent_id": DISTRICT, "kind": "block", "name_en": "Ashta", "name_hi": "आष्टा",
             "path": P_BLOCK, **area},
            {"id": GP, "parent_id": BLOCK, "kind": "gram_panchayat", "name_en": "Rampur", "name_hi": "रामपुर",
             "path": P_GP, **area},
            {"id": VILLAGE, "parent_id": GP, "kind": "settlement", "name_en": "Rampur Khurd", "name_hi": "रामपुर खुर्द",
             "path": P_VILLAGE, **area},
        ],
        "office_kinds": [
            {"id": SECRETARY, "code": "panchayat_secretary", "name_en": "Panchayat Secretary", "name_hi": "पंचायत सचिव",
             "elected": False},
            {"id": JANPAD, "code": "janpad_ceo", "name_en": "CEO, Janpad Panchayat", "name_hi": "सीईओ, जनपद पंचायत",
             "elected": False},
            {"id": COLLECTOR, "code": "collector", "name_en": "Collector", "name_hi": "कलेक्टर", "elected": False},
        ],
        "offices": [
            {"id": SECRETARY, "area_id": GP, "kind_id": SECRETARY, "holder_name": "Suresh Verma", "holder_phone": None,
             "holder_email": None, "address": None, "language": "hi", "holder_since": NOW},
            {"id": JANPAD, "area_id": BLOCK, "kind_id": JANPAD, "holder_name": "A. Khan", "holder_phone": None,
             "holder_email": None, "address": None, "language": "hi", "holder_since": NOW},
            {"id": COLLECTOR, "area_id": DISTRICT, "kind_id": COLLECTOR, "holder_name": "R. Sharma",
             "holder_phone": None, "holder_email": "collector@example.org", "address": None, "language": "en",
             "holder_since": NOW},
        ],
        "schemes": [{"id": 1, "code": "PMAY-G", "name_en": "Pradhan Mantri Awas Yojana (Gramin)",
                     "name_hi": "प्रधानमंत्री आवास योजना (ग्रामीण)", "department": "Rural Development",
                     "proof_of_delivery": "Sanction order", "documents_required": "Aadhaar (last 4)", "active": True}],
        "ladder_levels": [{"id": level, "scheme_id": 1, "level": level, "office_kind_id": level, "time_limit_days": days}
                          for level, days in ((1, 15), (2, 15), (3, 30))],
        "users": [
            {"id": id_, "username": name, "display_name": name.title(), "password_hash": password_hash, "role": role,
             "active": True, "locale": "en", "session_version": 1, "phone": None, "created_at": NOW,
             "password_changed_at": NOW}
            for id_, name, role in ((ADMIN, "admin", "admin"), (INCHARGE, "incharge", "incharge"),
                                    (SUPERVISOR, "supervisor", "supervisor"))
        ],
        "user_areas": [{"user_id": INCHARGE, "area_id": DISTRICT}, {"user_id": SUPERVISOR, "area_id": STATE}],
        "beneficiaries": [
            {"id": id_, "name": name, "name_key": key, "relative_name": None, "relation": None, "gender": "female",
             "birth_year": 1980 + id_, "mobile": None, "settlement_id": VILLAGE, "area_path": P_VILLAGE,
             "address": None, "preferred_language": "hi", "aadhaar_last4": "1234", "ration_card_no": None,
             "lawful_basis": "written_consent", "consent_note": None, "consent_recorded_by_id": INCHARGE,
             "consent_recorded_at": NOW, "created_at": NOW}
            for id_, (name, key) in enumerate(people, 1)
        ],
        "cases": cases,
        "case_events": events,
        "counters": [{"scope": "case:SHR", "year": 2026, "value": len(cases)}],
        "holidays": [{"id": 1, "day": date(2026, 11, 12), "name_en": "Diwali", "name_hi": "दीपावली"}],
        "login_throttles": [{"key": "old-shape-key", "failures": 2, "last_failure_at": NOW}],
    }


def audit_chain() -> list[dict]:
    """Entries as the audit release hashed them (the canonical form has not changed since)."""
    entries, prev = [], GENESIS_HASH
    recorded = [
        ("case.opened", INCHARGE, "cases", "3", P_VILLAGE, {"scheme_id": 1}),
        ("case.transition", INCHARGE, "cases", "3", P_VILLAGE, {"trigger": "submit", "to": "submitted"}),
        ("case.follow_up", INCHARGE, "cases", "3", P_VILLAGE, {"channel": "phone"}),
        ("letter.dispatched", INCHARGE, "letters", "2", P_VILLAGE, {"dispatch_mode": "registered_post"}),
        ("bias.filed", INCHARGE, "bias_reports", "1", P_VILLAGE, {"kind": "caste"}),
        ("case.escalated", None, "cases", "4", P_VILLAGE, {"level": 2}),
    ]
    for seq, (action, actor, kind, object_id, path, data) in enumerate(recorded, 1):
        entry = {"seq": seq, "at": NOW + timedelta(minutes=seq), "actor_id": actor, "action": action,
                 "object_type": kind, "object_id": object_id, "area_path": path, "data": data, "prev_hash": prev}
        entry["hash"] = prev = entry_hash(SimpleNamespace(**entry))
        entries.append(entry)
    return entries


def audit_release_rows(letters_dir) -> dict[str, list[dict]]:
    pdf = b"%PDF-1.4 stored by the audit release\n"
    (letters_dir / "SHR-2026-L000002.pdf").write_bytes(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    letter = {"kind": "escalation", "case_id": 4, "bias_report_id": None, "district_id": DISTRICT,
              "area_path": P_VILLAGE, "level": 2, "addressee_office_id": JANPAD, "addressee_title": "CEO, Janpad Ashta",
              "addressee_holder": "A. Khan", "language": "hi", "due_within_days": 15, "created_by_id": None,
              "created_at": NOW, "pdf_path": None, "pdf_sha256": None, "rendered_at": None, "dispatch_mode": None,
              "dispatched_on": None, "dispatch_note": None, "ack_inward_number": None, "ack_date": None, "version": 1}
    rendered = {"pdf_path": "SHR-2026-L000002.pdf", "pdf_sha256": digest, "rendered_at": NOW}
    entries = audit_chain()
    return {
        "letters": [
            {**letter, "id": 1, "reference": "SHR/2026/L000001", "status": "drafted"},
            {**letter, **rendered, "id": 2, "reference": "SHR/2026/L000002", "status": "dispatched",
             "dispatch_mode": "registered_post", "dispatched_on": DAY},
            {**letter, **rendered, "id": 3, "reference": "SHR/2026/L000003", "status": "acknowledged", "level": 3,
             "addressee_office_id": COLLECTOR, "addressee_title": "Collector, Sehore", "dispatch_mode": "hand",
             "dispatched_on": DAY, "ack_inward_number": "IN-42", "ack_date": DAY + timedelta(days=1)},
        ],
        "counters": [{"scope": "letter:SHR", "year": 2026, "value": 3}],
        "bias_reports": [{
            "id": 1, "case_id": 3, "area_path": P_VILLAGE, "accused_role": "sarpanch", "accused_office_id": None,
            "accused_holder_name": "Mohan Lal", "kind": "caste", "incident_date": DAY, "account": "Turned away twice",
            "evidence_notes": None, "witnesses": None, "filed_by_id": INCHARGE, "filed_at": NOW, "status": "filed",
            "reviewer_id": None, "finding": None, "finding_reasons": None, "finding_by_id": None, "finding_at": None,
            "confirmed_by_id": None, "confirmed_at": None, "concluded_at": None, "version": 1}],
        "bias_complainants": [{"id": 1, "report_id": 1, "is_beneficiary": True, "name": None, "contact": None,
                               "relation_to_beneficiary": None, "consent_to_be_named": False,
                               "protection_concern": None}],
        "sweep_runs": [{"id": 1, "started_at": NOW, "finished_at": NOW + timedelta(seconds=3), "as_of": DAY,
                        "escalated": 1, "stalled_at_top": 0, "needs_configuration": 0, "host": "old-host"}],
        "audit_entries": entries,
    }


OLD_TABLES = ["areas", "office_kinds", "offices", "schemes", "ladder_levels", "users", "user_areas", "beneficiaries",
              "cases", "case_events", "counters", "holidays", "letters", "bias_reports", "bias_complainants",
              "sweep_runs", "audit_entries", "audit_head"]


def test_a_filled_first_release_database_upgrades_to_head_and_works(old_app, tmp_path, committed_db):
    # committed_db: the suite's rolled-back session must not stand in for this app's own.
    migrate(old_app, FIRST_RELEASE)
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with old_app.app_context(), db.engine.begin() as conn:
        insert(conn, first_release_rows(password_hash))
        db.engine.dispose()

    migrate(old_app, AUDIT_RELEASE)
    rows = audit_release_rows(tmp_path / "letters")
    with old_app.app_context(), db.engine.begin() as conn:
        counters = rows.pop("counters")
        insert(conn, rows)
        insert(conn, {"counters": counters})
        last = rows["audit_entries"][-1]
        conn.execute(sa.text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"), last)
        # The sweep of that release flagged a case that had nowhere left to go.
        conn.execute(sa.text("UPDATE cases SET attention = 'stalled_at_top', attention_since = :day WHERE id = 6"),
                     {"day": DAY})
        db.engine.dispose()
    before = snapshot(old_app, OLD_TABLES)

    migrate(old_app)

    with old_app.app_context(), db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == script_directory().get_current_head()
    assert schema_differences(old_app) == []
    after = snapshot(old_app, OLD_TABLES + ["login_throttles", "case_count_deltas", "change_marks"])

    # Every row, every old column, the same value; new columns as their migration filled them.
    stale_key = {2: "lksmi bi"}  # keys of the old rules are recomputed (7e5a11a0e006)
    for table in OLD_TABLES:
        assert len(after[table]) == len(before[table]), table
        for old, new in zip(before[table], after[table], strict=True):
            expected = dict(old)
            if table == "beneficiaries" and old["id"] in stale_key:
                expected["name_key"] = stale_key[old["id"]]
            assert {column: new[column] for column in old} == expected, f"{table} row changed by the upgrade"
    assert all(case["district_id"] == DISTRICT for case in after["cases"])
    assert {(letter["event_id"], letter["copy_office_id"], letter["superseded_at"]) for letter in after["letters"]} \
        == {(None, None, None)}
    # Throttle counts are dropped on purpose (5e551005e007: their key changed shape).
    assert after["login_throttles"] == []
    counts = {}
    for delta in after["case_count_deltas"]:
        counts[delta["status"]] = counts.get(delta["status"], 0) + delta["n"]
    assert {status: n for status, n in counts.items() if n} == {case["status"]: 1 for case in before["cases"]}
    assert {mark["name"] for mark in after["change_marks"]} == {"areas", "scopes"}

    # The upgraded database serves: sign in, the queue, every case page, in both languages' data.
    client = old_app.test_client()
    assert client.post("/login", data={"username": "incharge", "password": PASSWORD}).status_code == 302
    queue = client.get("/queue").get_data(as_text=True)
    for reference in ("SHR/2026/000003", "SHR/2026/000004"):
        assert reference in queue
    for case in before["cases"]:
        page = client.get(f"/cases/{case['id']}")
        assert page.status_code == 200, case["reference"]
        assert case["reference"] in page.get_data(as_text=True)
    assert "SHR/2026/L000003" in client.get("/cases/4").get_data(as_text=True)
    supervisor = old_app.test_client()
    assert supervisor.post("/login", data={"username": "supervisor", "password": PASSWORD}).status_code == 302
    assert "SHR/2026/000004" in supervisor.get("/queue").get_data(as_text=True)

    # The old chain verifies, with the sign-ins appended to it after the upgrade.
    result = old_app.test_cli_runner().invoke(args=["caseflow", "audit", "verify",
                                                    "--expect-head", before["audit_head"][0]["hash"]])
    assert result.exit_code == 0, result.output
    assert "The recorded head is in the chain." in result.output
    with old_app.app_context(), db.engine.connect() as conn:
        actions = conn.execute(sa.text("SELECT action FROM audit_entries WHERE seq > 6 ORDER BY seq")).scalars().all()
    assert actions == ["auth.login", "auth.login"]


if HAS_PG:
    @pytest.mark.parametrize("old_app", ["postgresql"], indirect=True)
    def test_on_postgresql_a_migration_that_cannot_get_its_lock_fails_soon_and_runs_again_later(
            old_app, monkeypatch, committed_db):
        """migrations/env.py's lock_timeout: a migration stuck behind a long transaction gives up
        (instead of queueing every later query on the table behind it); the migrations before it
        stay applied, and running the upgrade again once the table is free finishes the job."""
        migrate(old_app, "f1e77e550004")
        with old_app.app_context(), db.engine.begin() as conn:
            insert(conn, first_release_rows("x"))
        monkeypatch.setenv("CASEFLOW_MIGRATION_LOCK_TIMEOUT", "300ms")
        blocker = sa.create_engine(pg_url(SCRATCH))
        try:
            with blocker.connect() as holding:
                holding.execute(sa.text("SELECT count(*) FROM cases"))  # a reader inside an open transaction
                with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                    migrate(old_app)
                holding.rollback()
        finally:
            blocker.dispose()
        with old_app.app_context(), db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "f1e77e550004"
            # The failed migration's connection went back to the pool without its timeouts.
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "0"
        db_engine_dispose(old_app)

        migrate(old_app)
        with old_app.app_context(), db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == script_directory().get_current_head()
            assert conn.execute(sa.text("SELECT count(*) FROM cases WHERE district_id = :d"), {"d": DISTRICT}).scalar() == 8
        assert schema_differences(old_app) == []

    @pytest.mark.parametrize("old_app", ["postgresql"], indirect=True)
    def test_on_postgresql_a_migration_stopped_half_way_finishes_when_run_again(old_app, committed_db):
        """The state an interrupted 9a0e0e0e0005 leaves on PostgreSQL, where each step commits:
        the column added, part of the backfill done, and the INVALID index a failed concurrent
        build leaves behind (here made by a unique build on duplicate values). Run again, the
        migration builds exactly the schema of the models, every case filled."""
        migrate(old_app, "f1e77e550004")
        with old_app.app_context(), db.engine.begin() as conn:
            insert(conn, first_release_rows("x"))
            conn.execute(sa.text("ALTER TABLE cases ADD COLUMN district_id INTEGER"))
            conn.execute(sa.text("UPDATE cases SET district_id = 2 WHERE id <= 4"))
        with old_app.app_context(), db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(sa.text("CREATE UNIQUE INDEX CONCURRENTLY ix_cases_due_date_id ON cases (scheme_id)"))
            assert conn.execute(sa.text("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                                        "'ix_cases_due_date_id'::regclass")).scalar() is False
        db_engine_dispose(old_app)

        migrate(old_app)
        assert schema_differences(old_app) == []
        with old_app.app_context(), db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM cases WHERE district_id = :d"), {"d": DISTRICT}).scalar() == 8

    @pytest.mark.parametrize("old_app", ["postgresql"], indirect=True)
    def test_on_postgresql_a_concurrent_index_build_outwaits_lock_timeout(old_app, monkeypatch, committed_db):
        """CREATE INDEX CONCURRENTLY blocks no reader or writer, but waits for every older
        transaction; it must not give up after lock_timeout as the statements that do block
        traffic do (caseflow.schema_changes._patient)."""
        migrate(old_app, "b1a5e0000002")
        with old_app.app_context(), db.engine.begin() as conn:
            insert(conn, first_release_rows("x"))
        db_engine_dispose(old_app)
        monkeypatch.setenv("CASEFLOW_MIGRATION_LOCK_TIMEOUT", "300ms")
        outcome = {}

        def run():
            try:
                migrate(old_app, "e5ca1a7e0003")
            except Exception as error:  # reported to the test below
                outcome["error"] = error

        watcher = sa.create_engine(pg_url(SCRATCH), isolation_level="AUTOCOMMIT")
        holder = sa.create_engine(pg_url(SCRATCH))
        try:
            with holder.connect() as holding, watcher.connect() as watching:
                # An old snapshot on another table: the index build must wait for it to end.
                holding.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                holding.execute(sa.text("SELECT count(*) FROM areas"))
                migration = threading.Thread(target=run)
                migration.start()
                waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query ILIKE 'CREATE INDEX CONCURRENTLY%'")
                for _ in range(600):
                    if watching.execute(waiting).scalar() or not migration.is_alive():
                        break
                    time.sleep(0.1)
                assert migration.is_alive(), outcome
                time.sleep(1.0)  # more than the lock timeout
                assert migration.is_alive() and watching.execute(waiting).scalar() == 1, outcome
                holding.rollback()
                migration.join(60)
        finally:
            watcher.dispose()
            holder.dispose()
        assert outcome == {}
        with old_app.app_context(), db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "e5ca1a7e0003"
            assert conn.execute(sa.text("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                                        "'ix_cases_attention'::regclass")).scalar() is True

    @pytest.mark.parametrize("old_app", ["postgresql"], indirect=True)
    def test_on_postgresql_status_counts_taken_after_the_triggers_count_each_change_once(old_app, committed_db):
        """c0c0a7e50009 counts the cases after its triggers are committed: changes made in
        between are in the cases it counts and in the triggers' deltas, and must count once."""
        migrate(old_app, FIRST_RELEASE)
        with old_app.app_context(), db.engine.begin() as conn:
            insert(conn, first_release_rows("x"))
        migrate(old_app)
        backfill = script_directory().get_revision("c0c0a7e50009").module._POSTGRES_BACKFILL
        with old_app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM case_count_deltas"))  # as if the triggers had just been made
            # Written after the triggers, before the count: each writes its deltas.
            conn.execute(sa.text("UPDATE cases SET status = 'documented' WHERE id = 1"))
            conn.execute(sa.text("DELETE FROM case_events WHERE case_id = 2"))
            conn.execute(sa.text("DELETE FROM cases WHERE id = 2"))
            conn.execute(sa.text(backfill))
            kept = dict(conn.execute(sa.text("SELECT status, sum(n) FROM case_count_deltas GROUP BY status "
                                             "HAVING sum(n) <> 0")).all())
            actual = dict(conn.execute(sa.text("SELECT status, count(*) FROM cases GROUP BY status")).all())
        assert kept == actual
        assert actual["documented"] == 1 and "identified" not in actual


def db_engine_dispose(application):
    with application.app_context():
        db.engine.dispose()
