"""Two supervisors acting on the same bias report at once: exactly one wins, the other is refused
with Stale (HTTP 409 "reload"), the report moves exactly one step and writes one event and
one audit entry. Real commits from separate sessions (`committed_db`), on whichever database
runs the suite; the race helpers are the case tests' (tests/test_concurrency.py).
"""
import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.auth.models import User
from caseflow.bias import services
from caseflow.bias.models import BiasEvent, BiasReport, Finding, ReviewStatus
from caseflow.db import read_only_transaction
from caseflow.exceptions import Stale
from caseflow.extensions import db
from tests.conftest import World
from tests.test_bias_helpers import file, supervisor
from tests.test_concurrency import JOIN_TIMEOUT, logged_in

R = ReviewStatus


def build(app) -> dict:
    with app.app_context():
        world = World()
        second = supervisor("second", [world.state])
        report = file(world)
        db.session.commit()
        return {"report": report.id, "first": world.supervisor.id, "second": second.id}


def state(app, report_id: int) -> dict:
    with app.app_context():
        report = db.session.get(BiasReport, report_id)
        return {
            "version": report.version, "status": report.status, "reviewer": report.reviewer_id,
            "events": [e.trigger for e in db.session.scalars(
                sa.select(BiasEvent).where(BiasEvent.report_id == report_id).order_by(BiasEvent.id))],
            "audit": [e.action for e in db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.object_type == "bias_reports").order_by(AuditEntry.seq))],
        }


def held(report_id: int) -> tuple[BiasReport, int]:
    """Load the report in a read transaction and keep the loaded snapshot after it ends."""
    token = read_only_transaction.set(True)
    try:
        report = db.session.get(BiasReport, report_id)
        report.case  # noqa: B018 - loaded now, used after the commit
        seen = report.version
        db.session().expire_on_commit = False
        db.session.commit()
    finally:
        read_only_transaction.reset(token)
    return report, seen


def test_a_held_snapshot_is_refused_at_flush(app, committed_db):
    ids = build(app)
    with app.app_context():
        report, seen = held(ids["report"])
        with app.app_context():  # the other supervisor takes it first, in another session
            other = db.session.get(BiasReport, ids["report"])
            services.review(other, db.session.get(User, ids["second"]), "take", {}, expected_version=seen)
            db.session.commit()
        assert report.version == seen and report.status is R.FILED  # the snapshot is old
        with pytest.raises(Stale):
            services.review(report, db.session.get(User, ids["first"]), "take", {}, expected_version=seen)
        db.session.rollback()
    after = state(app, ids["report"])
    assert (after["status"], after["reviewer"], after["version"]) == (R.IN_REVIEW, ids["second"], seen + 1)
    assert after["events"] == ["file", "take"]
    assert after["audit"] == ["bias.filed", "bias.take"]


@pytest.mark.parametrize("round_", range(3))
def test_two_supervisors_take_at_once_exactly_one_wins(app, committed_db, round_):
    import threading

    ids = build(app)
    barrier = threading.Barrier(2)
    outcomes: dict = {}

    def worker(who):
        try:
            with app.app_context():
                report, seen = held(ids["report"])
                barrier.wait(timeout=JOIN_TIMEOUT)
                try:
                    services.review(report, db.session.get(User, ids[who]), "take", {}, expected_version=seen)
                    db.session.commit()
                    outcomes[who] = "ok"
                except Stale:
                    db.session.rollback()
                    outcomes[who] = "stale"
        except BaseException as exc:  # e.g. "database is locked": a failure of the test
            outcomes[who] = repr(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(who,), daemon=True) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert sorted(outcomes.values()) == ["ok", "stale"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "ok")
    after = state(app, ids["report"])
    assert (after["status"], after["reviewer"]) == (R.IN_REVIEW, ids[winner])
    assert after["events"] == ["file", "take"] and after["audit"] == ["bias.filed", "bias.take"]


def test_http_confirm_and_send_back_from_the_same_page_one_303_one_409(app, committed_db):
    ids = build(app)
    with app.app_context():
        third = supervisor("third", [db.session.get(User, ids["first"]).areas[0]])
        report = db.session.get(BiasReport, ids["report"])
        first = db.session.get(User, ids["first"])
        services.review(report, first, "take", {}, expected_version=report.version)
        services.review(report, first, "record_finding", {"finding": Finding.SUBSTANTIATED, "reasons": "Heard it"},
                        expected_version=report.version)
        db.session.commit()
        version, third_name = report.version, third.username
        second_name = db.session.get(User, ids["second"]).username
    url = f"/bias/reports/{ids['report']}/do"
    confirm = logged_in(app, second_name).post(f"{url}/confirm", data={"confirm-version": version})
    send_back = logged_in(app, third_name).post(f"{url}/send_back", data={
        "send_back-version": version, "send_back-reason": "Hear the sarpanch"})
    assert (confirm.status_code, send_back.status_code) == (303, 409)
    assert "Hear the sarpanch" in send_back.get_data(as_text=True)  # what they typed, to enter again
    after = state(app, ids["report"])
    assert after["status"] is R.CONCLUDED and after["events"][-1] == "confirm"
