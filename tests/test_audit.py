"""The hash-chained audit trail: the chain and its verification, tampering, concurrency,
refusals, failure injection, personal data, the trail pages and the `audit verify` command.

That every state-changing request of the whole suite writes an entry is checked generically
by the plugin tests/audit_guard.py; the tests at the end prove the plugin can fail.
"""
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import abort

from caseflow import create_app
from caseflow.audit import services as audit
from caseflow.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from caseflow.audit.services import record, verify
from caseflow.auth.models import LoginThrottle, Role, User
from caseflow.auth.services import create_user
from caseflow.cases import services as case_services
from caseflow.cases.models import Case, CaseEvent, CaseStatus, Channel
from caseflow.db import today, utcnow
from caseflow.extensions import db
from caseflow.holidays.models import Holiday
from caseflow.holidays.services import create_holiday
from tests import audit_guard
from tests.conftest import PASSWORD, Auth, World, step_data, test_config, text_of

MISSING_ID = 2**31 - 1
JOIN_TIMEOUT = 60


# --- helpers --------------------------------------------------------------------------------


def rows(app) -> list:
    """Every audit entry as stored, read through a fresh session."""
    with app.app_context():
        table = AuditEntry.__table__
        return db.session.execute(sa.select(table).order_by(table.c.seq)).all()


def last_seq(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0)))


def new_entries(app, after: int) -> list:
    return [r for r in rows(app) if r.seq > after]


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def run_verify(app, *args):
    return app.test_cli_runner().invoke(args=["caseflow", "audit", "verify", *args])


def version_of(app, case_id: int) -> int:
    with app.app_context():
        return db.session.get(Case, case_id).version


def content_columns():
    return [c.name for c in AuditEntry.__table__.columns if c.name != "seq"]


# --- the chain -------------------------------------------------------------------------------


def test_entries_link_into_one_chain_from_genesis(app, world):
    with app.app_context():
        case = world.case(status="submitted")
        db.session.commit()
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
        head = db.session.get(AuditHead, 1)

        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert entries[0].prev_hash == GENESIS_HASH
        for before, entry in zip(entries, entries[1:], strict=False):
            assert entry.prev_hash == before.hash
        for entry in entries:
            assert audit.entry_hash(entry) == entry.hash
        assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)
        steps = [e.data for e in entries if e.action == "case.transition" and e.object_id == str(case.id)]
        assert [(d["trigger"], d["from"], d["to"]) for d in steps] == [
            ("verify", "identified", "documented"), ("submit", "documented", "submitted")]
        assert steps[1]["fields"] == ["application_date", "application_ref"]
        result = verify()
        assert result.ok and result.checked == head.seq and result.head_hash == head.hash


def test_an_empty_chain_verifies(app):
    with app.app_context():
        result = verify()
    assert result.ok and result.checked == 0 and result.head_hash == GENESIS_HASH


def _edit(seq):
    table = AuditEntry.__table__
    db.session.execute(table.update().where(table.c.seq == seq).values(data={"trigger": "forged"}))


def _delete(seq):
    table = AuditEntry.__table__
    db.session.execute(table.delete().where(table.c.seq == seq))


def _swap(seq):
    """Entries `seq` and `seq + 1` exchange everything but their position."""
    table = AuditEntry.__table__
    first, second = (db.session.execute(sa.select(table).where(table.c.seq == s)).one() for s in (seq, seq + 1))
    db.session.execute(table.update().where(table.c.seq == seq).values(hash="x" * 64))
    for target, source in ((seq + 1, first), (seq, second)):
        db.session.execute(table.update().where(table.c.seq == target)
                           .values({name: getattr(source, name) for name in content_columns()}))


TAMPERING = {
    "edited": (_edit, "was altered"),
    "deleted": (_delete, "is missing"),
    "swapped": (_swap, "does not follow"),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_detected_and_the_first_broken_entry_named(app, world, kind):
    tamper, words = TAMPERING[kind]
    with app.app_context():
        world.case(status="escalated")
        db.session.commit()
        total = db.session.get(AuditHead, 1).seq
        target = total // 2
        assert run_verify(app).exit_code == 0
        tamper(target)
        db.session.commit()

        result = verify()
        assert not result.ok
        assert result.broken_seq == target
        assert words in result.problem
        assert result.checked == target - 1

    outcome = run_verify(app)
    assert outcome.exit_code == 1
    assert f"BROKEN at entry {target}:" in outcome.output
    assert words in outcome.output


def test_a_rewritten_entry_breaks_the_link_of_the_next_one(app, world):
    """Recomputing the forged entry's own hash does not help: the next entry names the old one."""
    with app.app_context():
        world.case(status="submitted")
        db.session.commit()
        table = AuditEntry.__table__
        target = db.session.get(AuditHead, 1).seq - 3
        row = db.session.execute(sa.select(table).where(table.c.seq == target)).one()
        forged = dict(row._mapping, data={"forged": True})
        forged_hash = audit.entry_hash(type("Row", (), forged))
        db.session.execute(table.update().where(table.c.seq == target).values(data=forged["data"], hash=forged_hash))
        db.session.commit()

        result = verify()
    assert not result.ok and result.broken_seq == target + 1 and "does not follow" in result.problem


def test_a_cut_off_tail_is_detected_by_the_head_or_by_the_recorded_head(app, world):
    with app.app_context():
        world.case(status="submitted")
        db.session.commit()
    recorded = run_verify(app)
    assert recorded.exit_code == 0
    _, seq, head_hash = recorded.output.strip().splitlines()[-1].split()
    seq = int(seq)

    with app.app_context():
        world_case = world.case(status="identified")  # the chain grows after the head was recorded
        db.session.commit()
        assert world_case.id
    grown = run_verify(app, "--expect-head", head_hash)
    assert grown.exit_code == 0, grown.output
    assert "The recorded head is in the chain." in grown.output

    table = AuditEntry.__table__
    with app.app_context():
        _delete_from = seq - 2
        db.session.execute(table.delete().where(table.c.seq >= _delete_from))
        db.session.commit()
        # Only the entries gone: the head row still says how long the chain was.
        result = verify()
        assert not result.ok and result.broken_seq == _delete_from and "missing" in result.problem

        # A careful forger also moves the head back: the chain then verifies on its own…
        last = db.session.execute(sa.select(table).where(table.c.seq == _delete_from - 1)).one()
        db.session.execute(sa.update(AuditHead).values(seq=last.seq, hash=last.hash))
        db.session.commit()
        assert verify().ok
    # …but not against the head recorded outside the system.
    outcome = run_verify(app, "--expect-head", head_hash)
    assert outcome.exit_code == 1
    assert f"the recorded head {head_hash} is not in the chain" in outcome.output


def test_verify_prints_count_head_and_progress(app, world, monkeypatch):
    from caseflow.audit import cli

    monkeypatch.setattr(cli, "PROGRESS_EVERY", 10)
    with app.app_context():
        head = db.session.get(AuditHead, 1)
        expected = f"head {head.seq} {head.hash}"
    outcome = run_verify(app, "--batch", "7")
    assert outcome.exit_code == 0, outcome.output
    assert f"The audit chain is intact: {head.seq} entries." in outcome.stdout
    assert outcome.stdout.strip().splitlines()[-1] == expected
    assert f"checked 14 of {head.seq} entries" in outcome.stderr


def test_verify_stops_at_the_head_read_first(app, world, monkeypatch):
    """Entries appended while the walk runs are left for the next run, not reported as broken."""
    with app.app_context():
        total = db.session.get(AuditHead, 1).seq
        real_execute = db.session.execute
        appended = []

        def execute_then_append(*args, **kwargs):
            result = real_execute(*args, **kwargs)
            if not appended:
                appended.append(record("test.appended", actor=None, data={"n": 1}))
            return result

        monkeypatch.setattr(db.session, "execute", execute_then_append)
        result = verify(batch=5)
        monkeypatch.undo()
        assert appended and result.ok and result.checked == total
        assert verify().checked == total + 1


def test_a_transaction_recording_many_entries_locks_the_head_once(app, world):
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        case = world.case()
        db.session.commit()
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            for n in range(20):
                record("test.swept", actor=None, obj=case, data={"n": n})
            db.session.flush()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        db.session.commit()
        assert sum("FROM audit_head" in s for s in statements) == 1
        assert sum(s.lstrip().startswith("UPDATE audit_head") for s in statements) == 1
        assert verify().ok


def test_an_entry_in_a_rolled_back_savepoint_leaves_no_gap(app, world):
    with app.app_context():
        record("test.outer", actor=None)
        with pytest.raises(RuntimeError), db.session.begin_nested():
            record("test.inner", actor=None)
            db.session.flush()
            raise RuntimeError("undo the savepoint")
        record("test.after", actor=None)
        db.session.commit()
        result = verify()
        assert result.ok
    assert [r.action for r in rows(app)][-2:] == ["test.outer", "test.after"]


# --- concurrency -----------------------------------------------------------------------------


def _race(app, workers):
    barrier = threading.Barrier(len(workers))
    outcomes = [None] * len(workers)

    def run(index, worker):
        try:
            with app.app_context():
                try:
                    outcomes[index] = ("ok", worker(barrier))
                except BaseException:
                    db.session.rollback()
                    raise
        except BaseException as exc:
            outcomes[index] = ("error", exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    return [value for _, value in outcomes]


def test_concurrent_writers_keep_one_contiguous_chain(app, committed_db):
    """Many transactions recording at once: every entry lands, in one line, with no fork."""
    writers = 8
    with app.app_context():
        world = World()
        case_ids = [world.case(status="submitted").id for _ in range(writers)]
        incharge_id = world.incharge.id
        db.session.commit()
    before = last_seq(app)

    def worker(case_id, n):
        def work(barrier):
            barrier.wait(timeout=JOIN_TIMEOUT)
            case = db.session.get(Case, case_id)
            actor = db.session.get(User, incharge_id)
            if n % 2:
                case_services.transition(case, actor, "sanction", step_data("sanction"), expected_version=case.version)
            else:
                case_services.log_follow_up(case, actor, expected_version=case.version, channel=Channel.VISIT,
                                            response="Office closed")
            db.session.commit()
            return case_id

        return work

    _race(app, [worker(case_id, n) for n, case_id in enumerate(case_ids)])

    entries = rows(app)
    assert [r.seq for r in entries] == list(range(1, len(entries) + 1))
    assert len(entries) == before + writers
    assert len({r.prev_hash for r in entries}) == len(entries), "two entries claim the same predecessor"
    assert sorted(int(r.object_id) for r in entries[before:]) == sorted(case_ids)
    with app.app_context():
        result = verify()
        assert result.ok and result.checked == len(entries)


# --- what is recorded ------------------------------------------------------------------------


def test_logins_failed_logins_and_logouts_are_recorded_without_the_typed_name(app, world):
    client = app.test_client()
    start = last_seq(app)
    assert client.post("/login", data={"username": "nobody-by-this-name", "password": "x" * 12}).status_code == 401
    assert client.post("/login", data={"username": "incharge", "password": "wrong-password-1"}).status_code == 401
    assert Auth(client).login(world.incharge).status_code == 302
    assert client.post("/logout").status_code == 302

    got = [(r.action, r.actor_id, r.object_id, r.data) for r in new_entries(app, start)]
    assert got == [
        ("auth.login_failed", None, None, {"reason": "no_such_account"}),
        ("auth.login_failed", None, str(world.incharge.id), {"reason": "wrong_password"}),
        ("auth.login", world.incharge.id, str(world.incharge.id), {}),
        ("auth.logout", world.incharge.id, str(world.incharge.id), {}),
    ]
    assert "nobody-by-this-name" not in repr(rows(app))


def test_a_disabled_account_signing_in_is_recorded(app, world):
    start = last_seq(app)
    assert app.test_client().post("/login", data={"username": "disabled", "password": PASSWORD}).status_code == 401
    (entry,) = new_entries(app, start)
    assert (entry.action, entry.actor_id, entry.object_id, entry.data) == (
        "auth.login_failed", None, str(world.disabled.id), {"reason": "account_disabled"})


def test_throttled_login_attempts_are_recorded_as_one_summary(app, world):
    """Each checked attempt has its entry; those held back by the back-off are counted and
    written as one entry by the next checked attempt, so a flood never takes the audit head."""
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "incharge", "password": "wrong-password-1"}).status_code
                for _ in range(app.config["LOGIN_FREE_FAILURES"] + 2)]
    assert statuses[-1] == 429
    actions = [r.action for r in rows(app)]
    assert actions.count("auth.login_failed") == statuses.count(401) and "auth.throttled" not in actions
    with app.app_context():
        db.session.execute(sa.update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert client.post("/login", data={"username": "incharge", "password": PASSWORD}).status_code == 302
    summaries = [r.data for r in rows(app) if r.action == "auth.throttled"]
    assert summaries == [{"count": statuses.count(429)}]


def test_administration_changes_record_field_names_and_the_admin(app, world):
    admin = signed_in(app, world.admin)
    start = last_seq(app)
    response = admin.post(f"/admin/users/{world.other_incharge.id}", data={
        "display_name": "Renamed Person", "role": "incharge", "areas": world.other_district.id, "locale": "hi",
        "active": ""})
    assert response.status_code == 302
    response = admin.post(f"/admin/offices/{world.sarpanch.id}", data={
        "kind_id": world.kinds["sarpanch"].id, "holder_name": "New Holder Name", "language": "hi"})
    assert response.status_code == 302

    user_entry, office_entry = new_entries(app, start)
    assert (user_entry.action, user_entry.actor_id) == ("user.disabled", world.admin.id)
    assert user_entry.data["fields"] == ["active", "display_name", "locale"]
    assert (office_entry.action, office_entry.actor_id) == ("office.updated", world.admin.id)
    assert office_entry.data["holder_changed"] is True and "holder_name" in office_entry.data["fields"]
    assert "Renamed Person" not in repr(user_entry) and "New Holder Name" not in repr(office_entry)


def test_no_personal_data_reaches_the_audit_trail(app, world):
    """A whole journey with distinctive personal details: none of them is in any entry."""
    secrets = ["Kalindi", "Xyloquist", "9812345670", "Quokka", "quokka", "Bhairavi", "9123456780", "Zorawar",
               "zqauditor", "APP-QK-77", "Plot 77"]
    admin, incharge = signed_in(app, world.admin), signed_in(app, world.incharge)
    start = last_seq(app)
    assert admin.post("/admin/users/new", data={
        "username": "zqauditor", "display_name": "Zorawar Xyloquist", "password": PASSWORD, "confirm": PASSWORD,
        "role": "incharge", "areas": world.district.id, "locale": "hi"}).status_code == 302
    assert admin.post(f"/admin/offices/{world.secretary.id}", data={
        "kind_id": world.kinds["panchayat_secretary"].id, "holder_name": "Bhairavi Xyloquist",
        "holder_phone": "9123456780", "language": "hi"}).status_code == 302
    response = incharge.post("/beneficiaries/new", data={
        "name": "Kalindi Xyloquist", "relative_name": "Vrindavan Xyloquist", "relation": "husband",
        "gender": "female", "mobile": "9812345670", "settlement": world.village.id, "address": "Plot 77 Quokka Lane",
        "preferred_language": "hi", "lawful_basis": "written_consent", "consent_given": "y",
        "consent_note": "Quokka consent"})
    assert response.status_code == 302, text_of(response)[:1000]
    person_id = int(response.headers["Location"].split("/")[-3])
    response = incharge.post(f"/beneficiaries/{person_id}/cases/new",
                             data={"scheme": world.scheme.id, "note": "Quokka note"})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    url = f"/cases/{case_id}"
    steps = [
        ("verify", {"reason": "Quokka verified"}),
        ("submit", {"application_ref": "APP-QK-77", "application_date": (today() - timedelta(days=3)).isoformat(),
                    "grievance_ref": "Quokka-grievance"}),
        ("escalate", {"reason": "Quokka reason to escalate"}),
    ]
    for trigger, fields in steps:
        data = {f"{trigger}-{k}": v for k, v in fields.items()} | {f"{trigger}-version": version_of(app, case_id)}
        assert incharge.post(f"{url}/do/{trigger}", data=data).status_code == 303, trigger
    assert incharge.post(f"{url}/follow-up", data={
        "fu-version": version_of(app, case_id), "fu-office": 0, "fu-channel": "phone",
        "fu-response": "Quokka said to wait; call 9812345670",
        "fu-promised_date": (today() + timedelta(days=5)).isoformat()}).status_code == 303
    assert app.test_client().post("/login", data={"username": "quokka-typed", "password": "Quokka password"}
                                  ).status_code == 401

    written = new_entries(app, start)
    # (Escalating also drafts a letter: the letters domain records that.)
    assert [r.action for r in written if not r.action.startswith("letter.")] == [
        "user.created", "office.updated", "beneficiary.registered", "case.opened", "case.transition",
        "case.transition", "case.transition", "case.follow_up", "auth.login_failed"]
    text = repr(written)
    assert [s for s in secrets if s in text] == []


# --- refusals --------------------------------------------------------------------------------


def test_a_role_refusal_is_recorded(app, world):
    admin = signed_in(app, world.admin)
    start = last_seq(app)
    assert admin.get("/queue").status_code == 403
    (entry,) = new_entries(app, start)
    assert entry.action == "access.refused" and entry.actor_id == world.admin.id
    assert entry.data == {"status": 403, "endpoint": "cases.queue", "method": "GET"}


def test_out_of_scope_and_missing_objects_are_recorded_behind_the_same_404(app, world):
    with app.app_context():
        case = world.case()
        db.session.commit()
    other = signed_in(app, world.other_incharge)
    start = last_seq(app)
    hidden = other.get(f"/cases/{case.id}")
    missing = other.get(f"/cases/{MISSING_ID}")
    typo = other.get("/no-such-page")

    assert hidden.status_code == missing.status_code == typo.status_code == 404
    assert hidden.get_data() == missing.get_data()
    refused, probed = new_entries(app, start)  # a mistyped URL is not a refusal
    assert (refused.action, refused.actor_id, refused.object_type, refused.object_id, refused.area_path) == (
        "access.refused", world.other_incharge.id, "cases", str(case.id), case.area_path)
    assert refused.data == {"status": 404, "endpoint": "cases.show", "method": "GET"}
    assert (probed.object_type, probed.object_id, probed.area_path) == ("cases", str(MISSING_ID), None)


def _tables_but_audit(app) -> dict:
    with app.app_context():
        return {t.name: sorted(map(tuple, db.session.execute(sa.select(t))), key=repr)
                for t in db.metadata.sorted_tables if not t.name.startswith("audit_")}


def test_a_refused_post_changes_nothing_but_its_audit_entry(app, world):
    with app.app_context():
        case = world.case()
        db.session.commit()
    admin, other = signed_in(app, world.admin), signed_in(app, world.other_incharge)
    before, start = _tables_but_audit(app), last_seq(app)
    assert admin.post(f"/cases/{case.id}/do/verify", data={"verify-version": case.version}).status_code == 403
    assert other.post(f"/cases/{case.id}/do/verify", data={"verify-version": case.version}).status_code == 404
    assert _tables_but_audit(app) == before
    assert [(r.action, r.data["status"], r.actor_id) for r in new_entries(app, start)] == [
        ("access.refused", 403, world.admin.id), ("access.refused", 404, world.other_incharge.id)]


@pytest.fixture(scope="module")
def extra_app(app, database_url):
    """An app with a few routes of its own: what no real route does (yet), for the plugin's tests."""
    extra = create_app(test_config(database_url))

    @extra.post("/_test/unaudited")
    def unaudited():
        db.session.add(Holiday(day=date(2030, 1, 1), name_en="Unaudited", name_hi="Unaudited"))
        db.session.commit()
        return "ok"

    @extra.post("/_test/audited")
    def audited():
        create_holiday(date(2030, 1, 2), "Audited", "Audited", actor=None)
        db.session.commit()
        return "ok"

    @extra.post("/_test/personal")
    def personal():
        record("test.personal", actor=None, data={"name": "Sunita Devi"})
        db.session.commit()
        return "ok"

    @extra.post("/_test/change-then-refuse")
    def change_then_refuse():
        holiday = db.session.scalar(sa.select(Holiday))
        holiday.name_en = "Changed before the refusal"
        record("test.changed", actor=None, obj=holiday)
        abort(403)

    return extra


def test_a_refusal_rolls_back_whatever_the_request_did_before_it(app, world, extra_app):
    with app.app_context():
        holiday = create_holiday(date(2026, 8, 15), "Independence Day", "स्वतंत्रता दिवस", actor=None)
        db.session.commit()
    start = last_seq(app)
    assert extra_app.test_client().post("/_test/change-then-refuse").status_code == 403
    with app.app_context():
        assert db.session.get(Holiday, holiday.id).name_en == "Independence Day"
    assert [r.action for r in new_entries(app, start)] == ["access.refused"]


def test_a_committed_refusal_is_visible_to_other_connections(app, committed_db):
    with app.app_context():
        world = World()
        case = world.case()
        ids = (case.id, case.version, world.other_incharge.id)
        db.session.commit()
    other = app.test_client()
    assert Auth(other).login("other").status_code == 302
    assert other.post(f"/cases/{ids[0]}/do/verify", data={"verify-version": ids[1]}).status_code == 404
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert (entry.action, entry.actor_id, entry.object_id) == ("access.refused", ids[2], str(ids[0]))
        assert db.session.get(Case, ids[0]).status is CaseStatus.IDENTIFIED
        assert verify().ok


# --- failure injection -----------------------------------------------------------------------


@pytest.mark.parametrize(("action", "failure"), [("step", "record raises"), ("follow-up", "record raises"),
                                                 ("step", "database refuses the entry")])
def test_a_failure_between_the_change_and_its_entry_leaves_neither(app, committed_db, monkeypatch, action, failure):
    """The change is flushed first, then its entry fails: in `record` itself, or when the
    database refuses the entry at commit (here: a hash that is already in the chain)."""
    with app.app_context():
        world = World()
        case = world.case(status="submitted")
        case_id, version = case.id, case.version
        db.session.commit()
    client = app.test_client()
    assert Auth(client).login("incharge").status_code == 302
    with app.app_context():
        events_before = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent))
    start = last_seq(app)
    taken = rows(app)[0].hash

    def broken_hash(entry):
        if failure == "record raises":
            raise RuntimeError("injected: the audit write failed")
        return taken

    monkeypatch.setattr(audit, "entry_hash", broken_hash)
    # A step's entries are appended together (audit.appended_together), hashed by _link.
    monkeypatch.setattr(audit, "_link", lambda start, prev, seq: broken_hash(None))
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    if action == "step":
        response = client.post(f"/cases/{case_id}/do/escalate",
                               data={"escalate-version": version, "escalate-reason": "No reply"})
    else:
        response = client.post(f"/cases/{case_id}/follow-up", data={
            "fu-version": version, "fu-office": 0, "fu-channel": "phone", "fu-response": "No reply"})
    monkeypatch.undo()

    assert response.status_code == 500
    with app.app_context():
        stored = db.session.get(Case, case_id)
        assert (stored.status, stored.version) == (CaseStatus.SUBMITTED, version)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == events_before
        assert verify().ok
    assert last_seq(app) == start


# --- the trail pages -------------------------------------------------------------------------


@pytest.fixture
def trail_world(app, world):
    with app.app_context():
        case = world.case(status="submitted")
        other_case = world.case(person=world.person(name="Kamla", settlement=world.other_village,
                                                   actor=world.other_incharge), actor=world.other_incharge)
        district_supervisor = create_user(username="sehore-sup", display_name="Sehore Supervisor", password=PASSWORD,
                                          role=Role.SUPERVISOR, areas=[world.district], locale="en", actor=None)
        # An entry about this case filed under another district's area (the case moved, say).
        record("case.follow_up", actor=world.incharge, obj=case, area_path=world.other_village.path,
               data={"channel": "visit"})
        db.session.commit()
        return case, other_case, district_supervisor


def test_a_supervisor_reads_the_trail_of_a_case_in_scope(app, world, trail_world):
    case, _other, _sup = trail_world
    response = signed_in(app, world.supervisor).get(f"/audit/cases/{case.id}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Audit trail of case " + case.reference in text
    assert "Case opened" in text and "Documents verified: Identified → Documented" in text
    assert "In-charge Sehore" in text  # the actor's display name
    assert "Follow-up logged" in text  # filed under Raisen: the state supervisor sees it


def test_entries_filed_outside_the_readers_areas_are_hidden(app, world, trail_world):
    case, _other, district_supervisor = trail_world
    state_page = text_of(signed_in(app, world.supervisor).get(f"/audit/cases/{case.id}"))
    district_page = text_of(signed_in(app, district_supervisor).get(f"/audit/cases/{case.id}"))
    assert "Follow-up logged" in state_page
    assert "Follow-up logged" not in district_page
    assert "Case opened" in district_page


def test_the_trail_is_for_supervisors_only(app, world, trail_world):
    case, other_case, district_supervisor = trail_world
    incharge, admin = signed_in(app, world.incharge), signed_in(app, world.admin)
    sup = signed_in(app, district_supervisor)
    assert incharge.get(f"/audit/cases/{case.id}").status_code == 403
    assert incharge.get(f"/audit/cases/{other_case.id}").status_code == 404
    assert admin.get(f"/audit/cases/{case.id}").status_code == 403
    assert sup.get(f"/audit/cases/{other_case.id}").status_code == 404
    assert sup.get(f"/audit/cases/{other_case.id}").get_data() == sup.get(f"/audit/cases/{MISSING_ID}").get_data()
    assert app.test_client().get(f"/audit/cases/{case.id}").status_code == 302
    assert sup.get(f"/audit/users/{world.incharge.id}").status_code == 404  # no area path, no trail


def test_a_beneficiary_trail_and_paging(app, world, trail_world, monkeypatch):
    from caseflow.trails import views

    case, _other, _sup = trail_world
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    with app.app_context():
        for _ in range(4):
            record("beneficiary.updated", actor=world.incharge, obj=case.beneficiary, data={"fields": ["address"]})
        db.session.commit()
    sup = signed_in(app, world.supervisor)
    first = sup.get(f"/audit/beneficiaries/{case.beneficiary_id}")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert html.count('data-action="beneficiary.updated"') == 3
    older = html.split('class="pager"><a href="')[1].split('"')[0].replace("&amp;", "&")
    second = sup.get(older).get_data(as_text=True)
    assert second.count('data-action="beneficiary.updated"') == 1
    assert 'data-action="beneficiary.registered"' in second
    assert "fields: address" in text_of(sup.get(older))


def test_the_case_panel_links_supervisors_to_the_trail(app, world, trail_world):
    from flask import render_template

    from caseflow.trails.views import case_panel

    case, _other, _sup = trail_world
    with app.test_request_context():
        with app.app_context():
            sup, incharge = db.session.get(User, world.supervisor.id), db.session.get(User, world.incharge.id)
            panel = case_panel(case, sup)
            assert panel == {"trail_url": f"/audit/cases/{case.id}"}
            assert case_panel(case, incharge) == {}
            html = render_template("audit/_case_panel.html", panel=panel, case=case)
            assert f'href="/audit/cases/{case.id}"' in html
            assert "href" not in render_template("audit/_case_panel.html", panel={}, case=case)


# --- the plugin that checks every request of the suite ---------------------------------------


def test_the_guard_names_a_request_that_changed_data_without_an_entry(app, extra_app):
    audit_guard.take_violations()
    assert extra_app.test_client().post("/_test/unaudited").status_code == 200
    found = audit_guard.take_violations()
    assert len(found) == 1
    assert "/_test/unaudited" in found[0] and "['holidays']" in found[0]


def test_the_guard_accepts_an_audited_request(app, extra_app):
    audit_guard.take_violations()
    assert extra_app.test_client().post("/_test/audited").status_code == 200
    assert audit_guard.take_violations() == []


def test_the_guard_flags_personal_data_in_a_payload(app, extra_app):
    audit_guard.take_violations()
    assert extra_app.test_client().post("/_test/personal").status_code == 200
    found = audit_guard.take_violations()
    assert len(found) == 1 and "'Sunita Devi'" in found[0]


def test_a_get_that_records_begins_its_transaction_as_a_writer(app, committed_db):
    """`writer_transaction`: on SQLite a read transaction cannot safely turn into a writer."""
    from caseflow.audit.web import writer_transaction
    from caseflow.db import read_only_transaction

    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.test_request_context("/letters/1/pdf", method="GET"):
        token = read_only_transaction.set(True)  # what the app sets for every GET
        try:
            db.session.scalar(sa.select(sa.literal(1)))
            sa.event.listen(db.engine, "before_cursor_execute", note)
            writer_transaction()
            assert read_only_transaction.get() is False
            record("test.printed", actor=None)
            db.session.commit()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
            read_only_transaction.reset(token)
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        assert statements[0] == "BEGIN IMMEDIATE"
    assert [r.action for r in rows(app)] == ["test.printed"]
