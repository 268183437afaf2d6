"""The `jobs` table: one row per unit of background work.

A job holds ids only (its payload names rows, never what is in them) and, when it failed,
only the class name of the exception: the queue is operational data that anyone running a
worker can read, so nothing personal may enter it. `key` makes a job unique per kind (one
render job per letter), so two finders running at once cannot enqueue the same work twice.
"""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class JobState(enum.Enum):
    QUEUED = "queued"  # waiting, runnable from run_after on
    RUNNING = "running"  # claimed by locked_by at locked_at
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts; left for an operator to look at


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("kind", "key"),
        sa.CheckConstraint("(state = 'running') = (locked_by IS NOT NULL AND locked_at IS NOT NULL)",
                           name="running_is_locked"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        # What a claim reads: the runnable jobs, oldest first.
        sa.Index("ix_jobs_runnable", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), info=MACHINE)
    key: Mapped[str | None] = mapped_column(sa.String(80), info=MACHINE)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[JobState] = mapped_column(enum_type(JobState, "job_state"), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(sa.String(80), info=MACHINE)
    locked_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.String(80), info=MACHINE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class JobWorker(db.Model):
    """One row per worker loop while it lives: a liveness signal that does not depend on there
    being work. A worker writes `last_seen_at` every JOBS_HEARTBEAT_SECONDS, idle or not, and
    sets `stopped_at` when it stops cleanly; a worker killed outright simply falls silent.
    Host and process id only: nothing personal."""

    __tablename__ = "job_workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True, info=MACHINE)
    host: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # /healthz and the metrics read the latest beat; pruning reads the oldest.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    stopped_at: Mapped[datetime | None]
