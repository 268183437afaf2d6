"""A sweep killed mid-run is recorded as interrupted by the next run, and shows on the stalled page.

The kill is real: `flask caseflow escalate` runs in its own process, in batches of one case
with a pause, and gets SIGKILL once its run record shows committed progress. The next run
(same host, the dead process id) marks it interrupted with what it had committed, then
escalates the rest: every case exactly once. Runs that are alive — another process here, a
sweep on another host that beat recently — are left alone.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.db import utcnow
from caseflow.escalation import services
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db
from tests.conftest import Auth, text_of
from tests.test_escalation_support import escalations, runs, submitted
from tests.test_sweep_concurrency import finish, start_sweep

CASES = 12


def _run_row(database_url: str):
    """The first run's record, read on a connection of its own (the sweep commits on another)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(SweepRun.__table__).order_by(SweepRun.id).limit(1)).first()
    finally:
        engine.dispose()


def test_a_killed_sweep_is_marked_interrupted_by_the_next_run(app, committed_db, world, database_url, tmp_path):
    with app.app_context():
        overdue = [submitted(world).id for _ in range(CASES)]
        db.session.commit()

    victim = start_sweep(database_url, tmp_path, "--batch-size", "1", "--pause", "0.3")
    deadline = time.monotonic() + 300
    while True:
        row = _run_row(database_url)
        if row is not None and row.escalated >= 2:
            break
        assert victim.poll() is None, finish(victim)
        assert time.monotonic() < deadline, "the sweep never committed two batches"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL

    with app.app_context():
        [killed] = runs()
        assert killed.finished_at is None and killed.interrupted_at is None  # as the kill left it
        assert killed.host == socket.gethostname() and killed.pid == victim.pid
        done_before = sum(len(escalations(case_id)) for case_id in overdue)
        # What the run recorded is what it committed: its counts beat with each batch.
        assert killed.escalated == done_before and 2 <= done_before < CASES

    code, output = finish(start_sweep(database_url, tmp_path))
    assert code == 0, output

    with app.app_context():
        killed, second = runs()
        assert killed.interrupted_at is not None and killed.finished_at is None
        assert killed.escalated == done_before
        assert second.finished_at is not None and second.interrupted_at is None
        assert second.escalated == CASES - done_before
        for case_id in overdue:
            assert len(escalations(case_id)) == 1, case_id
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sweep.interrupted")).all()
        assert [(e.object_id, e.data["escalated"]) for e in entries] == [(str(killed.id), done_before)]

    # A third run finds nothing new to mark.
    code, output = finish(start_sweep(database_url, tmp_path))
    assert code == 0, output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "sweep.interrupted")) == 1

    client = app.test_client()
    Auth(client).login(world.supervisor)
    page = client.get("/escalation/stalled")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-run="{killed.id}"' in html
    assert f"escalated {done_before}, stalled at the top 0" in text_of(page)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_runs_whose_process_is_gone_are_marked(app, world):
    here = socket.gethostname()
    now = utcnow()
    long_ago = now - timedelta(seconds=app.config["SWEEP_HEARTBEAT_TIMEOUT_SECONDS"] + 60)
    with app.app_context():
        def run(**fields):
            row = SweepRun(as_of=now.date(), started_at=fields.get("heartbeat_at", now), **fields)
            db.session.add(row)
            db.session.flush()
            return row.id

        alive_here = run(host=here, pid=os.getpid(), heartbeat_at=now)
        alive_elsewhere = run(host="other-host", pid=os.getpid() + 1, heartbeat_at=now)
        dead_here = run(host=here, pid=_dead_pid(), heartbeat_at=now)
        silent_elsewhere = run(host="other-host", pid=1234, heartbeat_at=long_ago)
        silent_here_reused_pid = run(host=here, pid=os.getpid(), heartbeat_at=long_ago)
        finished = run(host=here, pid=_dead_pid(), heartbeat_at=long_ago, finished_at=long_ago)

        marked = {r.id for r in services.mark_interrupted(here)}
        assert marked == {dead_here, silent_elsewhere, silent_here_reused_pid}
        assert services.mark_interrupted(here) == []  # marked once
        # A run taken for dead that beats again is alive after all.
        services.heartbeat(silent_elsewhere, {services.Outcome.ESCALATED: 3})
        db.session.expire_all()
        revived = db.session.get(SweepRun, silent_elsewhere)
        assert revived.interrupted_at is None and revived.escalated == 3
        for run_id in (alive_here, alive_elsewhere, finished):
            assert db.session.get(SweepRun, run_id).interrupted_at is None
