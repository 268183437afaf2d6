"""Two escalation sweeps at the same moment, in separate processes, on committed data.

What two cron hosts (PostgreSQL) or two overlapping cron runs on one machine (SQLite) do:
both `flask caseflow escalate` processes start together on the same database and walk the
same overdue cases in small batches with pauses, so their batches interleave. Afterwards
every overdue case has moved up exactly one level — one escalation event, one letter — the
case at the top has exactly one ATTENTION event, the two runs' counts add up to the cases
escalated, and a third run finds nothing to do. PostgreSQL relies on FOR UPDATE SKIP LOCKED
plus the re-check of the predicate; SQLite on writers serialising with BEGIN IMMEDIATE and
the predicate evaluated again inside each batch's transaction.

"At the same moment" is checked, not hoped for: each process loads the app, then waits at a
barrier (a file the test creates once both are ready) before sweeping, and records when its
sweep began and ended; the test requires the two intervals, and the two runs' own records, to
overlap, and each run to have escalated some of the cases.
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Attention, Case, EventKind
from caseflow.extensions import db
from caseflow.letters.models import Letter
from tests.conftest import is_postgres
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


# Runs `flask --app wsgi caseflow escalate ...` in-process once the barrier opens, and writes the
# wall-clock interval of the sweep to a file. Loading the app (the slow part) happens first.
BARRIER_RUNNER = """
import json, sys, time
from pathlib import Path
ready, go, interval = (Path(p) for p in sys.argv[1:4])
import wsgi  # noqa: F401  (the app, built before the barrier)
from flask.cli import main
ready.touch()
deadline = time.monotonic() + 300
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("the barrier never opened")
    time.sleep(0.005)
sys.argv = ["flask", "--app", "wsgi", "caseflow", "escalate", *sys.argv[4:]]
began = time.time()
try:
    main()
finally:
    interval.write_text(json.dumps([began, time.time()]))
"""


def _env(database_url: str, instance: Path) -> dict:
    return {**os.environ, "CASEFLOW_CONFIG": "testing", "CASEFLOW_TEST_DATABASE_URL": database_url,
            "CASEFLOW_INSTANCE_DIR": str(instance)}


def start_sweep(database_url: str, instance: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "caseflow", "escalate", "--now", NOW, *args],
        cwd=ROOT, env=_env(database_url, instance), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def start_sweeps_together(database_url: str, tmp_path: Path, count: int, *args: str):
    """`count` sweep processes released at one moment; returns them and their interval files."""
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(count)]
    intervals = [tmp_path / f"interval-{i}.json" for i in range(count)]
    processes = [
        subprocess.Popen([sys.executable, "-c", BARRIER_RUNNER, str(ready[i]), str(go), str(intervals[i]),
                          "--now", NOW, *args],
                         cwd=ROOT, env=_env(database_url, tmp_path), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for i in range(count)
    ]
    deadline = time.monotonic() + 300
    while not all(path.exists() for path in ready):
        failed = [p for p in processes if p.poll() is not None]
        assert not failed and time.monotonic() < deadline, [finish(p) for p in failed]
        time.sleep(0.01)
    go.touch()
    return processes, intervals


def summary(output: str) -> dict[str, int]:
    match = re.search(r"^Summary: escalated (\d+); stalled at the top (\d+); could not resolve an addressee (\d+);",
                      output, re.MULTILINE)
    assert match, output
    return dict(zip(("escalated", "stalled", "unresolved"), map(int, match.groups()), strict=True))


def overlap(intervals: list[tuple]) -> bool:
    """Whether every interval has a moment in common with every other."""
    return max(start for start, _ in intervals) < min(end for _, end in intervals)


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

    sweeps, interval_files = start_sweeps_together(database_url, tmp_path, 2, "--batch-size", "2", "--pause", "0.1")
    results = [finish(p) for p in sweeps]
    outputs = "\n\n".join(out for _, out in results)
    assert overlap([json.loads(path.read_text()) for path in interval_files]), outputs
    # Exit 3 says "this run met a case with no resolvable office" (here, `stuck`), 0 that it did
    # not. On SQLite the runs' batches take turns, so both meet it (the second finds it already
    # flagged and writes nothing); on PostgreSQL one may pass it while the other holds its lock.
    summaries = [summary(output) for _, output in results]
    assert [code for code, _ in results] == [3 if s["unresolved"] else 0 for s in summaries], outputs
    if is_postgres():
        assert sorted(s["unresolved"] for s in summaries) in ([0, 1], [1, 1]), outputs
    else:
        assert [s["unresolved"] for s in summaries] == [1, 1], outputs

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
        # Each found the other at work, not dead: neither marked the other interrupted.
        assert all(r.interrupted_at is None for r in both)
        assert not db.session.scalars(sa.select(AuditEntry.seq).where(AuditEntry.action == "sweep.interrupted")).all()
        # As each run recorded itself: at work at the same time, each escalating part of the cases.
        assert overlap([(r.started_at, r.finished_at) for r in both]), [(r.started_at, r.finished_at) for r in both]
        assert all(r.escalated > 0 for r in both), [r.escalated for r in both]
        assert sum(r.escalated for r in both) == CASES
        # What each process said is what its run recorded.
        recorded = sorted((r.escalated, r.stalled_at_top, r.needs_configuration) for r in both)
        assert recorded == sorted((s["escalated"], s["stalled"], s["unresolved"]) for s in summaries)
        # One letter per escalated case (the case at the top has only its own two, drafted by hand).
        swept_letters = sa.select(Letter.case_id, sa.func.count()).where(Letter.case_id.in_(overdue)).group_by(
            Letter.case_id)
        assert dict(db.session.execute(swept_letters).all()) == dict.fromkeys(overdue, 1)

    code, output = finish(start_sweep(database_url, tmp_path))
    assert code == 3 and "Summary: escalated 0;" in output, output
    with app.app_context():
        assert sum(len(escalations(case_id)) for case_id in overdue) == CASES
        assert len(events(top, EventKind.ATTENTION)) == 1
