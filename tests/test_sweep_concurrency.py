"""Two escalation sweeps at the same moment, in separate processes, on committed data.

What two cron hosts (PostgreSQL) or two overlapping cron runs on one machine (SQLite) do:
both `flask caseflow escalate` processes start together on the same database and walk the
same overdue cases in small batches with pauses, so their batches interleave. Afterwards
every overdue case has moved up exactly one level — one escalation event, one letter — the
case at the top has exactly one ATTENTION event, the two runs' counts add up to the cases
escalated, and a third run finds nothing to do. PostgreSQL relies on FOR UPDATE SKIP LOCKED
plus the re-check of the predicate; SQLite on writers serialising with BEGIN IMMEDIATE and
the predicate evaluated again inside each batch's transaction.
"""
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from caseflow.cases.models import Attention, Case, EventKind
from caseflow.extensions import db
from caseflow.letters.models import Letter
from tests.test_escalation_support import (
    at_level,
    escalations,
    events,
    letters,
    runs,
    scheme_with_missing_office,
    submitted,
)

ROOT = Path(__file__).resolve().parent.parent
CASES = 60
NOW = "2027-01-18"  # every case below is overdue then


def start_sweep(database_url: str, instance: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CASEFLOW_CONFIG": "testing", "CASEFLOW_TEST_DATABASE_URL": database_url,
           "CASEFLOW_INSTANCE_DIR": str(instance)}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "caseflow", "escalate", "--now", NOW, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def test_two_sweeps_at_once_escalate_each_case_exactly_once(app, committed_db, world, database_url, tmp_path):
    with app.app_context():
        overdue = [submitted(world).id for _ in range(CASES)]
        top = at_level(world, 3).id
        scheme, _ = scheme_with_missing_office(world)
        stuck = submitted(world, scheme=scheme).id
        db.session.commit()

    sweeps = [start_sweep(database_url, tmp_path, "--batch-size", "2", "--pause", "0.1") for _ in range(2)]
    results = [finish(p) for p in sweeps]
    # Exit 3 from the run that met the case with no resolvable office (on PostgreSQL the other may
    # have skipped it while it was locked, and then exits 0); no run failed.
    codes = [code for code, _ in results]
    assert 3 in codes and set(codes) <= {0, 3}, "\n\n".join(out for _, out in results)

    with app.app_context():
        for case_id in overdue:
            assert len(escalations(case_id)) == 1, case_id
            assert len(letters(case_id)) == 1, case_id
            assert db.session.get(Case, case_id).level == 2
        assert len(events(top, EventKind.ATTENTION)) == 1
        assert len(events(stuck, EventKind.ATTENTION)) == 1
        assert db.session.get(Case, top).attention is Attention.STALLED_AT_TOP
        both = runs()
        assert len(both) == 2 and all(r.finished_at is not None for r in both)
        assert sum(r.escalated for r in both) == CASES
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Letter.reference)))) == CASES

    code, output = finish(start_sweep(database_url, tmp_path))
    assert code == 3 and "Summary: escalated 0;" in output, output
    with app.app_context():
        assert sum(len(escalations(case_id)) for case_id in overdue) == CASES
        assert len(events(top, EventKind.ATTENTION)) == 1
