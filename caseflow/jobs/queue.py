"""The queue's verbs: enqueue, claim, finish, retry with back-off, and recover lost claims.

Claiming is one short writer transaction: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`
lets workers take different jobs without waiting for each other; on SQLite writers are
serialised by `BEGIN IMMEDIATE` (caseflow.db), so the select and the update that follows it
cannot interleave with another worker's. The update is conditional on the job still being
queued either way, and finishing is conditional on the job still being held by the same
worker: a job taken back from a worker presumed dead cannot be finished twice.

Like services, these flush and never commit; the worker loop (caseflow.jobs.worker) owns
the transactions.
"""
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from caseflow.db import read_only_transaction, utcnow
from caseflow.extensions import db
from caseflow.jobs.models import Job, JobState, JobWorker

log = logging.getLogger("caseflow.jobs")

Handler = Callable[[dict], None]
Finder = Callable[[], int]


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Handler
    max_attempts: int = 5


_kinds: dict[str, Kind] = {}
_finders: list[Finder] = []


def register_kind(name: str, handler: Handler, *, max_attempts: int = 5) -> None:
    """`handler(payload)` does the work of one job, in the worker's session. Whatever it writes
    commits together with the job's completion; it may end a read-only transaction of its own
    first (see `read_only`). It must be idempotent: a job whose worker died is run again."""
    _kinds[name] = Kind(name, handler, max_attempts)


def register_finder(finder: Finder) -> None:
    """`finder()` enqueues jobs for rows that need work (returns how many); idle workers call it."""
    if finder not in _finders:
        _finders.append(finder)


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


def finders() -> list[Finder]:
    return list(_finders)


class LostClaim(RuntimeError):
    """The job was taken back from this worker (presumed dead) before it finished."""


@contextlib.contextmanager
def read_only():
    """A read transaction that ends (rolled back) with the block: on SQLite it begins deferred,
    so long work done between reads (rendering a PDF) never holds the write lock."""
    if db.session().in_transaction():
        db.session.commit()
    token = read_only_transaction.set(True)
    try:
        yield
    finally:
        db.session.rollback()
        read_only_transaction.reset(token)


def _insert():
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]


def enqueue(kind: str, payload: dict, *, key: str | None = None, run_after: datetime | None = None) -> None:
    """Add a job (payload: ids only). With a key, a job of this kind and key that already exists,
    in whatever state, is left as it is: enqueueing is idempotent."""
    enqueue_many(kind, [(key, payload)], run_after=run_after)


def enqueue_many(kind: str, items: list[tuple[str | None, dict]], *, run_after: datetime | None = None) -> int:
    """Several jobs of one kind in one statement; returns how many were new."""
    if not items:
        return 0
    spec = _kinds.get(kind)
    now = utcnow()
    rows = [{"kind": kind, "key": key, "payload": payload, "state": JobState.QUEUED, "attempts": 0,
             "max_attempts": spec.max_attempts if spec else 5, "run_after": run_after or now, "created_at": now}
            for key, payload in items]
    # RETURNING counts the new rows on both databases (a multi-row INSERT's rowcount does not).
    return len(db.session.execute(_insert()(Job).values(rows).on_conflict_do_nothing(index_elements=["kind", "key"])
                                  .returning(Job.id)).all())


def runnable_exists(now: datetime | None = None) -> bool:
    """A cheap read: is there anything to claim? (Spares SQLite a write lock on every idle poll.)"""
    now = now or utcnow()
    # Only kinds this worker knows: a job of a kind added by a newer version waits for a newer worker.
    return db.session.scalar(sa.select(Job.id).where(Job.state == JobState.QUEUED, Job.run_after <= now,
                                                     Job.kind.in_(list(_kinds))).limit(1)) is not None


def claim(worker: str, now: datetime | None = None) -> Job | None:
    """Take the oldest runnable job for `worker`, or None. Commit right after, to release it to no one else."""
    now = now or utcnow()
    job_id = db.session.scalar(
        sa.select(Job.id).where(Job.state == JobState.QUEUED, Job.run_after <= now, Job.kind.in_(list(_kinds)))
        .order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True)
    )
    if job_id is None:
        return None
    taken = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, locked_by=worker, locked_at=now, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        return None
    return db.session.scalars(sa.select(Job).where(Job.id == job_id)
                              .execution_options(populate_existing=True)).one()


def finish(job_id: int, worker: str) -> None:
    """Mark the job done, in the transaction that holds its work; LostClaim if it is no longer ours."""
    done = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING, Job.locked_by == worker)
        .values(state=JobState.DONE, locked_by=None, locked_at=None, error=None, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise LostClaim(f"job {job_id} is no longer held by this worker")


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: doubling from JOBS_RETRY_SECONDS, at most an hour."""
    base = current_app.config.get("JOBS_RETRY_SECONDS", 10)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def fail(job_id: int, worker: str, error: BaseException) -> JobState | None:
    """The attempt failed: queue the job again after a back-off, or give up after its last attempt.
    Only the exception's class name is kept (a message may quote personal data)."""
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None or job.state is not JobState.RUNNING or job.locked_by != worker:
        return None
    job.error = type(error).__name__[:80]
    job.locked_by = job.locked_at = None
    if job.attempts >= job.max_attempts:
        job.state, job.finished_at = JobState.FAILED, utcnow()
    else:
        job.state, job.run_after = JobState.QUEUED, utcnow() + backoff(job.attempts)
    db.session.flush()
    return job.state


def recover(now: datetime | None = None) -> int:
    """Jobs claimed by a worker that has not finished them within JOBS_LOCK_TIMEOUT seconds: its
    process died (or hangs). They run again (another attempt), or fail if that was the last."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config.get("JOBS_LOCK_TIMEOUT", 300))
    stale = sa.and_(Job.state == JobState.RUNNING, Job.locked_at < cutoff)
    failed = db.session.execute(
        sa.update(Job).where(stale, Job.attempts >= Job.max_attempts)
        .values(state=JobState.FAILED, locked_by=None, locked_at=None, error="WorkerLost", finished_at=now)
        .execution_options(synchronize_session=False)).rowcount
    requeued = db.session.execute(
        sa.update(Job).where(stale)
        .values(state=JobState.QUEUED, locked_by=None, locked_at=None, error="WorkerLost", run_after=now)
        .execution_options(synchronize_session=False)).rowcount
    if failed or requeued:
        log.warning("recovered %d job(s) from lost workers, %d given up", requeued, failed)
    return requeued + failed


def prune(now: datetime | None = None, batch: int = 1000) -> int:
    """Forget finished jobs older than JOBS_KEEP_DAYS (failed ones stay for an operator)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config.get("JOBS_KEEP_DAYS", 7))
    old = sa.select(Job.id).where(Job.state == JobState.DONE, Job.finished_at < cutoff).limit(batch).scalar_subquery()
    return db.session.execute(sa.delete(Job).where(Job.id.in_(old))
                              .execution_options(synchronize_session=False)).rowcount or 0


# --- worker heartbeats -------------------------------------------------------------------------

def worker_started(name: str, host: str, pid: int) -> None:
    """The worker's heartbeat row, written when its loop starts."""
    now = utcnow()
    db.session.execute(_insert()(JobWorker).values(name=name, host=host[:64], pid=pid, started_at=now,
                                                   last_seen_at=now, stopped_at=None)
                       .on_conflict_do_update(index_elements=["name"],
                                              set_={"last_seen_at": now, "stopped_at": None}))


def worker_seen(name: str) -> None:
    """The worker is alive (idle or between jobs)."""
    db.session.execute(sa.update(JobWorker).where(JobWorker.name == name).values(last_seen_at=utcnow())
                       .execution_options(synchronize_session=False))


def worker_stopped(name: str) -> None:
    now = utcnow()
    db.session.execute(sa.update(JobWorker).where(JobWorker.name == name).values(last_seen_at=now, stopped_at=now)
                       .execution_options(synchronize_session=False))


def prune_workers(now: datetime | None = None) -> int:
    """Forget workers silent for longer than JOBS_KEEP_DAYS (stopped or died long ago)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config.get("JOBS_KEEP_DAYS", 7))
    return db.session.execute(sa.delete(JobWorker).where(JobWorker.last_seen_at < cutoff)
                              .execution_options(synchronize_session=False)).rowcount or 0


def counts() -> dict[str, int]:
    """Jobs per state (for the worker's summary and an operator)."""
    rows = db.session.execute(sa.select(Job.state, sa.func.count()).group_by(Job.state)).all()
    return {state.value: n for state, n in rows}
