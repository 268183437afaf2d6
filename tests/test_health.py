"""`/healthz` (caseflow/health.py): the database and schema, and whether the sweep and the job
workers ran recently — "degraded" (still HTTP 200) when they did not, 503 only without a
database; and the job workers' heartbeat rows that tell an idle worker from a dead one."""
import os
import socket
import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.db import utcnow
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db
from caseflow.jobs import worker
from caseflow.jobs.models import JobWorker
from tests.conftest import test_config


def _sweep(app, *, finished_hours_ago: float | None, interrupted: bool = False):
    with app.app_context():
        now = utcnow()
        finished = now - timedelta(hours=finished_hours_ago) if finished_hours_ago is not None else None
        started = (finished or now) - timedelta(minutes=5)
        db.session.add(SweepRun(as_of=date(2026, 11, 30), started_at=started, finished_at=finished,
                                heartbeat_at=finished or started, interrupted_at=now if interrupted else None))
        db.session.commit()


def _worker(app, name: str, *, seen_seconds_ago: float, stopped: bool = False):
    with app.app_context():
        seen = utcnow() - timedelta(seconds=seen_seconds_ago)
        db.session.add(JobWorker(name=name, host="app-1", pid=4242, started_at=seen - timedelta(hours=1),
                                 last_seen_at=seen, stopped_at=seen if stopped else None))
        db.session.commit()


def test_nothing_has_run_yet_is_degraded_but_answers_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["sweep"]["status"] == "never" and body["sweep"]["last_finished_at"] is None
    assert body["job_workers"] == {"status": "never", "alive": 0, "last_seen_at": None, "max_silence_seconds": 120}


def test_a_recent_sweep_and_a_live_worker_are_ok(app, client):
    _sweep(app, finished_hours_ago=3)
    _worker(app, "app-1:4242:1", seen_seconds_ago=20)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["sweep"]["status"] == "ok" and body["sweep"]["last_finished_at"].endswith("Z")
    assert body["sweep"]["last_interrupted"] is False
    assert (body["job_workers"]["status"], body["job_workers"]["alive"]) == ("ok", 1)
    assert "app-1" not in client.get("/healthz").get_data(as_text=True)  # no host names, no pids


def test_a_late_sweep_is_degraded(app, client):
    _sweep(app, finished_hours_ago=30)
    _worker(app, "app-1:4242:1", seen_seconds_ago=20)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["sweep"]["status"], body["job_workers"]["status"]) == ("degraded", "late", "ok")


def test_a_running_sweep_after_a_recent_one_is_ok_and_an_interrupted_one_is_reported(app, client):
    _sweep(app, finished_hours_ago=20)
    _sweep(app, finished_hours_ago=None, interrupted=True)
    _worker(app, "app-1:4242:1", seen_seconds_ago=20)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["sweep"]["status"] == "ok" and body["sweep"]["last_interrupted"] is True


@pytest.mark.parametrize("seen, stopped", [(600, False), (20, True)])
def test_a_silent_or_stopped_worker_is_degraded(app, client, seen, stopped):
    _sweep(app, finished_hours_ago=1)
    _worker(app, "app-1:4242:1", seen_seconds_ago=seen, stopped=stopped)
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["job_workers"]["status"] == "silent" and body["job_workers"]["alive"] == 0
    assert body["job_workers"]["last_seen_at"] is not None


def test_the_thresholds_are_configurable_and_zero_turns_a_check_off(app, client, monkeypatch):
    _sweep(app, finished_hours_ago=30)
    _worker(app, "app-1:4242:1", seen_seconds_ago=600)
    monkeypatch.setitem(app.config, "HEALTH_SWEEP_HOURS", 48)
    monkeypatch.setitem(app.config, "HEALTH_WORKER_SECONDS", 900)
    body = client.get("/healthz").get_json()
    assert (body["status"], body["sweep"]["status"], body["job_workers"]["status"]) == ("ok", "ok", "ok")
    monkeypatch.setitem(app.config, "HEALTH_SWEEP_HOURS", 0)
    monkeypatch.setitem(app.config, "HEALTH_WORKER_SECONDS", 0)
    client.get("/healthz")
    _worker(app, "app-1:4243:1", seen_seconds_ago=100_000, stopped=True)
    body = client.get("/healthz").get_json()
    assert (body["status"], body["sweep"]["status"], body["job_workers"]["status"]) == (
        "ok", "unchecked", "unchecked")


def test_without_a_database_it_answers_503(committed_db, tmp_path):
    broken = create_app(test_config(f"sqlite:///{tmp_path / 'no-such-folder' / 'caseflow.db'}"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unavailable", "schema_revision": None}


# --- the heartbeat a worker writes ----------------------------------------------------------------


def test_a_worker_beats_while_idle_and_says_when_it_stopped(app, committed_db):
    stop = threading.Event()
    with app.app_context():
        thread = threading.Thread(target=_run_worker, args=(app, stop), daemon=True)
        thread.start()
        try:
            row = _wait_for(lambda r: r is not None and r.last_seen_at > r.started_at)
            assert (row.name, row.host, row.pid, row.stopped_at) == ("test-host:1:1", socket.gethostname()[:64],
                                                                     os.getpid(), None)
            body = app.test_client().get("/healthz").get_json()
            assert (body["job_workers"]["status"], body["job_workers"]["alive"]) == ("ok", 1)
        finally:
            stop.set()
            thread.join(timeout=60)
        assert not thread.is_alive()
        row = _wait_for(lambda r: r is not None and r.stopped_at is not None)
        assert row.last_seen_at == row.stopped_at
        assert app.test_client().get("/healthz").get_json()["job_workers"]["status"] == "silent"


def _run_worker(app, stop):
    with app.app_context():
        worker.run(poll=0.02, stop=stop, heartbeat_every=0.05, name="test-host:1:1")


def _wait_for(condition, limit: float = 30.0):
    """The worker's row once `condition` holds (a wait for an event, bounded, not a timing check)."""
    deadline = time.monotonic() + limit
    while True:
        row = db.session.scalars(sa.select(JobWorker)).first()
        if row is not None:
            db.session.expunge(row)
        # On SQLite this thread's transaction would hold the write lock the worker needs.
        db.session.rollback()
        if condition(row) or time.monotonic() > deadline:
            assert condition(row), row
            return row
        time.sleep(0.02)


def test_a_worker_that_ran_once_leaves_a_stopped_row_and_old_rows_are_pruned(app, committed_db):
    with app.app_context():
        old = utcnow() - timedelta(days=30)
        db.session.add(JobWorker(name="gone:1:1", host="gone", pid=1, started_at=old, last_seen_at=old))
        db.session.commit()
        worker.run(once=True, name="test-host:2:1")
        names = {w.name: w for w in db.session.scalars(sa.select(JobWorker))}
        assert set(names) == {"test-host:2:1"}  # the month-old row was pruned by the recovery pass
        assert names["test-host:2:1"].stopped_at is not None


def test_the_jobs_command_lists_the_workers(app, committed_db):
    with app.app_context():
        worker.run(once=True, name="test-host:3:1")
    result = app.test_cli_runner().invoke(args=["caseflow", "jobs"])
    assert result.exit_code == 0, result.output
    assert "worker test-host:3:1: started " in result.output and ", stopped " in result.output
