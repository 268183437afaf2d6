"""`/healthz`: database reachability and the schema revision, for load balancers; and whether the
escalation sweep and the job workers have run recently, for operators.

HTTP 200 while the database answers, whatever the sweep and the workers do: a late cron job or
a stopped worker is no reason for a load balancer to take this app server out of rotation, so
those only turn `status` to "degraded" (alert on the body, or on the metrics). 503 when the
database does not answer. Counts and times only: no host names, process ids or personal data.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.monitoring import status as facts

bp = Blueprint("health", __name__)


def _iso(moment):
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _sweep(now, max_hours: float) -> dict:
    sweep = facts.sweep_status()
    finished = sweep.last_finished.finished_at if sweep.last_finished else None
    report = {"last_finished_at": _iso(finished), "max_age_hours": max_hours,
              "last_interrupted": bool(sweep.last and sweep.last.interrupted_at)}
    if not max_hours:
        report["status"] = "unchecked"
    elif finished is None:
        report["status"] = "never"
    else:
        report["status"] = "ok" if now - finished <= timedelta(hours=max_hours) else "late"
    return report


def _workers(now, max_seconds: float) -> dict:
    workers = facts.worker_status(max_seconds or 120, now)
    report = {"alive": workers.alive, "last_seen_at": _iso(workers.last_seen_at), "max_silence_seconds": max_seconds}
    if not max_seconds:
        report["status"] = "unchecked"
    else:
        report["status"] = "ok" if workers.alive else ("never" if workers.last_seen_at is None else "silent")
    return report


@bp.get("/healthz")
def healthz():
    try:
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unavailable", schema_revision=None), 503
    config = current_app.config
    now = utcnow()
    try:
        sweep = _sweep(now, config.get("HEALTH_SWEEP_HOURS", 26))
        workers = _workers(now, config.get("HEALTH_WORKER_SECONDS", 120))
    except sa.exc.SQLAlchemyError:
        # The database answers but the tables are not what this version expects (a migration
        # not yet applied): the app cannot vouch for the sweep or the workers.
        db.session.rollback()
        sweep = workers = {"status": "unknown"}
    healthy = all(part["status"] in ("ok", "unchecked") for part in (sweep, workers))
    return jsonify(status="ok" if healthy else "degraded", database="ok", schema_revision=revision,
                   sweep=sweep, job_workers=workers), 200
