"""`flask --app wsgi caseflow worker` and `caseflow jobs`: running and inspecting the job queue."""
import signal
import threading

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from caseflow.extensions import db
from caseflow.jobs import queue, worker
from caseflow.jobs.models import Job, JobState, JobWorker


@click.command("worker")
@click.option("--once", is_flag=True, help="Stop when nothing is left to do, instead of waiting for more.")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes to run (one per core renders letters fastest).")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between looks for new work when idle.")
@with_appcontext
def worker_command(once: bool, concurrency: int, poll: float):
    """Run background jobs (rendering drafted letters, …) until stopped (SIGTERM finishes the job at hand)."""
    if concurrency == 1:
        stop = threading.Event()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (kill, `make run` stopping) and Ctrl-C finish the job at hand, then stop.
            previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            stats = worker.run(once=once, poll=poll, stop=stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        click.echo(f"{stats.done} job(s) done, {stats.retried} to retry, {stats.failed} failed")
        return
    code = worker.run_processes(worker.portable_config(current_app), concurrency, once=once, poll=poll)
    counts = queue.counts()
    click.echo("jobs: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) if counts else "jobs: none")
    if code:
        raise SystemExit(code)


@click.command("jobs")
@with_appcontext
def jobs_command():
    """Jobs per kind and state, the failed ones (id, kind, error class), and the workers' heartbeats."""
    rows = db.session.execute(sa.select(Job.kind, Job.state, sa.func.count())
                              .group_by(Job.kind, Job.state).order_by(Job.kind, Job.state)).all()
    if not rows:
        click.echo("No jobs.")
    for kind, state, n in rows:
        click.echo(f"{kind:<24} {state.value:<8} {n}")
    for job in db.session.scalars(sa.select(Job).where(Job.state == JobState.FAILED).order_by(Job.id).limit(50)):
        click.echo(f"failed: job {job.id} {job.kind} after {job.attempts} attempt(s): {job.error}")
    for w in db.session.scalars(sa.select(JobWorker).order_by(JobWorker.last_seen_at.desc()).limit(20)):
        state = f"stopped {w.stopped_at:%Y-%m-%d %H:%M:%S}" if w.stopped_at else "running"
        click.echo(f"worker {w.name}: started {w.started_at:%Y-%m-%d %H:%M:%S}, "
                   f"last seen {w.last_seen_at:%Y-%m-%d %H:%M:%S} UTC, {state}")


commands: list[click.Command] = [worker_command, jobs_command]
