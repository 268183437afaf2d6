"""What the database says about caseflow's moving parts: the sweep's latest runs, the job
workers' heartbeats, the queue, the overdue cases and the audit chain. Read by `/healthz` and by
the metrics collector, each with a handful of indexed or tiny reads (README "Monitoring").
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from caseflow.audit.models import AuditHead
from caseflow.cases.models import Case, overdue
from caseflow.db import today, utcnow
from caseflow.escalation.models import SweepRun
from caseflow.escalation.services import latest_run
from caseflow.extensions import db
from caseflow.jobs.models import Job, JobState, JobWorker


def epoch(moment: datetime | None) -> float | None:
    """A stored (naive UTC) time as seconds since the epoch."""
    return moment.replace(tzinfo=UTC).timestamp() if moment is not None else None


@dataclass(frozen=True)
class SweepStatus:
    last: SweepRun | None  # the latest run, finished or not
    last_finished: SweepRun | None


def sweep_status() -> SweepStatus:
    last = latest_run()
    if last is not None and last.finished_at is not None:
        return SweepStatus(last, last)
    return SweepStatus(last, latest_run(finished=True))


@dataclass(frozen=True)
class WorkerStatus:
    alive: int  # running (not stopped) and seen within the window
    last_seen_at: datetime | None  # the latest beat of any worker, stopped or not


def worker_status(window_seconds: float, now: datetime | None = None) -> WorkerStatus:
    now = now or utcnow()
    cutoff = now - timedelta(seconds=window_seconds)
    alive = db.session.scalar(sa.select(sa.func.count()).select_from(JobWorker).where(
        JobWorker.stopped_at.is_(None), JobWorker.last_seen_at >= cutoff)) or 0
    last_seen = db.session.scalar(sa.select(sa.func.max(JobWorker.last_seen_at)))
    return WorkerStatus(alive, last_seen)


def job_counts() -> list[tuple[str, str, bool, int]]:
    """(kind, state, whether an attempt failed, jobs). A queued job with an error is waiting to
    be retried. Finished jobs are pruned after JOBS_KEEP_DAYS, so the table stays small."""
    retried = Job.error.is_not(None)
    rows = db.session.execute(sa.select(Job.kind, Job.state, retried, sa.func.count())
                              .group_by(Job.kind, Job.state, retried)).all()
    return [(kind, state.value, bool(error), n) for kind, state, error, n in rows]


def oldest_runnable(now: datetime | None = None) -> datetime | None:
    """When the longest-waiting runnable job became runnable (ix_jobs_runnable gives it first)."""
    now = now or utcnow()
    return db.session.scalar(sa.select(Job.run_after).where(Job.state == JobState.QUEUED, Job.run_after <= now)
                             .order_by(Job.run_after).limit(1))


def overdue_cases() -> int:
    """Cases waiting on an office past their due date: a range of ix_cases_due (status, due_date)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(overdue(today()))) or 0


def audit_chain_length() -> int:
    return db.session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1)) or 0
