"""The worker loop: claim a job, run it, record the outcome; when idle, let the finders look for
work and take back jobs whose worker died. Several workers (threads of one process in the tests,
processes in production, on one machine or many) share one queue through the database.

Each worker process keeps its own process-wide state warm between jobs — for letters, one
WeasyPrint FontConfiguration (caseflow.letters.render) — which is why `--concurrency N` starts
N processes rather than threads: rendering is CPU-bound and holds the GIL.
"""
import itertools
import logging
import os
import pickle
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app

from caseflow.extensions import db
from caseflow.jobs import queue

log = logging.getLogger("caseflow.jobs")
_names = itertools.count(1)


@dataclass
class Stats:
    done: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0
    by_kind: dict = field(default_factory=dict)


def worker_name() -> str:
    """Host, process and a counter (threads of one process are distinct workers): no personal data."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{next(_names)}"


def run(*, once: bool = False, poll: float = 1.0, stop: threading.Event | None = None, name: str | None = None,
        recover_every: float = 30.0, heartbeat_every: float | None = None) -> Stats:
    """Work until `stop` is set, or (once) until there is nothing left to claim or find.

    The worker's row in job_workers is written at the start, every `heartbeat_every` seconds
    (JOBS_HEARTBEAT_SECONDS) between jobs, and when it stops: /healthz tells an idle worker
    from a dead one by it."""
    name = name or worker_name()
    stop = stop or threading.Event()
    if heartbeat_every is None:
        heartbeat_every = current_app.config.get("JOBS_HEARTBEAT_SECONDS", 30)
    stats = Stats()
    last_recover = float("-inf")
    queue.worker_started(name, socket.gethostname(), os.getpid())
    db.session.commit()
    last_beat = time.monotonic()
    try:
        _loop(name, once, poll, stop, stats, recover_every, heartbeat_every, last_beat, last_recover)
    finally:
        # A failed write here must not hide the error that stopped the loop.
        try:
            db.session.rollback()
            queue.worker_stopped(name)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.warning("worker %s could not record that it stopped", name)
        db.session.remove()
    return stats


def _loop(name: str, once: bool, poll: float, stop: threading.Event, stats: Stats, recover_every: float,
          heartbeat_every: float, last_beat: float, last_recover: float) -> None:
    while not stop.is_set():
        if time.monotonic() - last_beat >= heartbeat_every:
            queue.worker_seen(name)
            db.session.commit()
            last_beat = time.monotonic()
        if time.monotonic() - last_recover >= recover_every:
            queue.recover()
            queue.prune()
            queue.prune_workers()
            db.session.commit()
            last_recover = time.monotonic()
        job = _claim(name)
        if job is not None:
            _run(job, name, stats)
            continue
        if _find():
            continue
        if once:
            # A finder that found nothing new may have lost the race to another worker's
            # finder: its jobs are runnable now, and this worker should share them.
            with queue.read_only():
                if queue.runnable_exists():
                    continue
            break
        stop.wait(poll)


def _claim(name: str) -> tuple[int, str, dict] | None:
    with queue.read_only():
        if not queue.runnable_exists():
            return None
    job = queue.claim(name)
    found = (job.id, job.kind, dict(job.payload or {})) if job is not None else None
    db.session.commit()
    return found


def _find() -> int:
    found = 0
    for finder in queue.finders():
        found += finder()
        db.session.commit()
    return found


def _run(job: tuple[int, str, dict], name: str, stats: Stats) -> None:
    job_id, kind_name, payload = job
    kind = queue.kinds()[kind_name]
    try:
        kind.handler(payload)
        queue.finish(job_id, name)
        db.session.commit()
    except queue.LostClaim:
        db.session.rollback()
        stats.lost += 1
        log.warning("job %s (%s) was taken back before it finished; its work was rolled back", job_id, kind_name)
        return
    except Exception as exc:
        db.session.rollback()
        state = queue.fail(job_id, name, exc)
        db.session.commit()
        # The class name only: a message may quote personal data.
        log.warning("job %s (%s) failed with %s; now %s", job_id, kind_name, type(exc).__name__,
                    state.value if state else "not ours")
        if state is not None and state.value == "failed":
            stats.failed += 1
        else:
            stats.retried += 1
        return
    stats.done += 1
    stats.by_kind[kind_name] = stats.by_kind.get(kind_name, 0) + 1


# --- several processes ----------------------------------------------------------------------

def portable_config(app: Flask) -> dict:
    """The app's settings that survive pickling: a spawned worker process builds the same app."""
    config = {}
    for key, value in app.config.items():
        if not key.isupper():
            continue
        try:
            pickle.dumps(value)
        except Exception:
            continue
        config[key] = value
    return config


def _process_main(config: dict | None, once: bool, poll: float) -> None:
    from caseflow import create_app  # noqa: PLC0415 (a spawned process imports the app itself)

    stop = threading.Event()
    # SIGTERM (and Ctrl-C) finish the job at hand, then stop: nothing is left half-done.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    app = create_app(config)
    with app.app_context():
        stats = run(once=once, poll=poll, stop=stop)
    log.info("worker %d stopped: %d done, %d retried, %d failed", os.getpid(), stats.done, stats.retried, stats.failed)


def run_processes(config: dict | None, concurrency: int, *, once: bool = False, poll: float = 1.0) -> int:
    """Start `concurrency` worker processes and wait for them; returns the worst exit code."""
    import multiprocessing  # noqa: PLC0415 (only the parent of several workers needs it)

    context = multiprocessing.get_context("spawn")  # never fork a process holding connections
    processes = [context.Process(target=_process_main, args=(config, once, poll), name=f"caseflow-worker-{i}")
                 for i in range(concurrency)]
    for process in processes:
        process.start()

    def forward(signum, _frame):
        for process in processes:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for process in processes:
            process.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return max((p.exitcode or 0) for p in processes)
