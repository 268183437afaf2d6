"""The job queue itself (caseflow.jobs), on whichever database runs the suite: a failing job is
retried with a growing back-off and given up after its last attempt, keeping only the error's
class name; enqueueing with a key is idempotent; the worker command runs the queue."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs import queue, worker
from caseflow.jobs.models import Job, JobState

calls: list[dict] = []


class Broken(RuntimeError):
    pass


def _fails(payload):
    calls.append(payload)
    raise Broken("Sunita Devi, mobile 98765 43210")  # personal data in a message never reaches the queue


def _works(payload):
    calls.append(payload)


@pytest.fixture(autouse=True)
def kinds():
    queue.register_kind("test.fails", _fails, max_attempts=3)
    queue.register_kind("test.works", _works)
    calls.clear()
    yield
    queue._kinds.pop("test.fails", None)
    queue._kinds.pop("test.works", None)


def _due_now():
    db.session.execute(sa.update(Job).values(run_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_failing_job_is_retried_with_back_off_then_given_up(app, committed_db, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RETRY_SECONDS", 10)
    with app.app_context():
        queue.enqueue("test.fails", {"case_id": 7}, key="7")
        db.session.commit()
        waits = []
        for _ in range(3):
            started = utcnow()
            stats = worker.run(once=True)
            job = db.session.scalars(sa.select(Job)).one()
            waits.append(round((job.run_after - started).total_seconds()))
            _due_now()
        assert (stats.failed, stats.retried) == (1, 0)
        job = db.session.scalars(sa.select(Job)).one()
        assert (job.state, job.attempts, job.error, job.locked_by) == (JobState.FAILED, 3, "Broken", None)
        assert waits[:2] == [10, 20]
        assert calls == [{"case_id": 7}] * 3
        assert worker.run(once=True).done == 0  # a failed job stays failed


def test_enqueueing_with_a_key_is_idempotent(app, committed_db):
    with app.app_context():
        assert queue.enqueue_many("test.works", [("1", {"id": 1}), ("2", {"id": 2})]) == 2
        assert queue.enqueue_many("test.works", [("2", {"id": 2}), ("3", {"id": 3})]) == 1
        queue.enqueue("test.works", {"id": 9})  # no key: never merged
        queue.enqueue("test.works", {"id": 9})
        db.session.commit()
        assert worker.run(once=True).done == 5
        assert sorted(c["id"] for c in calls) == [1, 2, 3, 9, 9]


def test_the_worker_command_runs_the_queue(app, committed_db):
    with app.app_context():
        queue.enqueue("test.works", {"id": 1}, key="1")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["caseflow", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 job(s) done" in result.output
    listing = app.test_cli_runner().invoke(args=["caseflow", "jobs"])
    assert "test.works" in listing.output and "done" in listing.output


def test_a_job_of_a_kind_this_worker_does_not_know_waits(app, committed_db):
    with app.app_context():
        queue.enqueue("test.unknown", {"id": 1}, key="1")  # e.g. added by a newer version
        queue.enqueue("test.works", {"id": 2}, key="2")
        db.session.commit()
        assert worker.run(once=True).done == 1  # and --once returns rather than waiting for it
        states = dict(db.session.execute(sa.select(Job.kind, Job.state)).all())
    assert states == {"test.unknown": JobState.QUEUED, "test.works": JobState.DONE}
