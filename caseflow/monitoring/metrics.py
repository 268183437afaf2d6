"""Prometheus metrics: request latency and errors measured in every web process, and the gauges
read from the database when Prometheus scrapes `/metrics`.

Request metrics are labelled by the Flask endpoint (`cases.show`), the method and the status
class (`2xx`…`5xx`): never by path, which carries ids. Under gunicorn each worker process keeps
its own counts; with PROMETHEUS_MULTIPROC_DIR set (before the server starts), prometheus_client
keeps them in files in that folder and a scrape, whichever worker answers it, adds up every
worker's. The database gauges are computed by one collector per scrape, in the scraping request's
session, so they are never stale and never multiplied by the number of workers.

`/metrics` answers only a request bearing `Authorization: Bearer <CASEFLOW_METRICS_TOKEN>`
(compared in constant time); while the token is unset it is a 404 and nothing is measured.
"""
import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, got_request_exception, request, request_started
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from caseflow.cases.counts import status_counts
from caseflow.db import utcnow
from caseflow.monitoring import status

bp = Blueprint("monitoring", __name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MIN_TOKEN_LENGTH = 16

# The metrics of this process. Exposed directly in a single process; under gunicorn with
# PROMETHEUS_MULTIPROC_DIR their values live in that folder and are read from there.
LOCAL = CollectorRegistry()
REQUEST_SECONDS = Histogram("caseflow_http_request_duration_seconds",
                            "Time to answer a request, by Flask endpoint, method and status class.",
                            ["endpoint", "method", "status"], registry=LOCAL)
EXCEPTIONS = Counter("caseflow_http_unhandled_exceptions",
                     "Requests that ended in an unhandled exception (a 500), by endpoint and exception class.",
                     ["endpoint", "exception"], registry=LOCAL)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _endpoint() -> str:
    # Unmatched paths (404, 405) share one label: a path is whatever a client typed.
    return request.url_rule.endpoint if request.url_rule is not None else "(no route)"


def _started(sender, **_):
    g._metrics_started = time.perf_counter()


def _after(response):
    g._metrics_status = response.status_code
    return response


def _finished(exc):
    started = g.pop("_metrics_started", None)
    if started is None:
        return
    # No status: the exception propagated past Flask's handlers (debug, testing), a 500 for the client.
    code = g.pop("_metrics_status", None) or 500
    method = request.method if request.method in METHODS else "other"
    REQUEST_SECONDS.labels(_endpoint(), method, f"{code // 100}xx").observe(time.perf_counter() - started)


def _exception(sender, exception, **_):
    EXCEPTIONS.labels(_endpoint(), type(exception).__name__[:80]).inc()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    token = app.config.get("METRICS_TOKEN")
    if not token:
        return
    if len(token) < MIN_TOKEN_LENGTH:
        raise RuntimeError(f"CASEFLOW_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters")
    folder = os.environ.get(MULTIPROC_ENV)
    if folder and not os.path.isdir(folder):
        raise RuntimeError(f"{MULTIPROC_ENV} names a folder that does not exist")
    request_started.connect(_started, app)
    got_request_exception.connect(_exception, app)
    app.after_request(_after)
    app.teardown_request(_finished)


class _Local:
    """This process's own metrics (no multiprocess folder)."""

    def collect(self):
        return LOCAL.collect()


class DatabaseCollector:
    """Gauges computed from the database at scrape time (caseflow.monitoring.status)."""

    def collect(self):
        started = time.perf_counter()
        now = utcnow()
        config = current_app.config

        jobs = GaugeMetricFamily("caseflow_jobs", "Jobs in the queue table by kind and state "
                                 "(failed: gave up after their last attempt).", labels=["kind", "state"])
        retrying = GaugeMetricFamily("caseflow_jobs_retrying", "Queued jobs whose last attempt failed, by kind.",
                                     labels=["kind"])
        by_state: dict[tuple[str, str], int] = {}
        by_retry: dict[str, int] = {}
        for kind, state, failed_before, n in status.job_counts():
            by_state[kind, state] = by_state.get((kind, state), 0) + n
            if state == "queued" and failed_before:
                by_retry[kind] = by_retry.get(kind, 0) + n
        for (kind, state), n in sorted(by_state.items()):
            jobs.add_metric([kind, state], n)
        for kind, n in sorted(by_retry.items()):
            retrying.add_metric([kind], n)
        yield jobs
        yield retrying
        oldest = status.oldest_runnable(now)
        yield GaugeMetricFamily("caseflow_jobs_oldest_runnable_age_seconds",
                                "How long the longest-waiting runnable job has waited (0: none waits).",
                                value=(now - oldest).total_seconds() if oldest else 0)

        window = config.get("HEALTH_WORKER_SECONDS") or 120
        workers = status.worker_status(window, now)
        yield GaugeMetricFamily("caseflow_job_workers_alive",
                                f"Job workers running and seen within {window:g} s.", value=workers.alive)
        yield GaugeMetricFamily("caseflow_job_workers_last_seen_timestamp_seconds",
                                "The latest heartbeat of any job worker (0: never).",
                                value=status.epoch(workers.last_seen_at) or 0)

        sweep = status.sweep_status()
        yield GaugeMetricFamily("caseflow_sweep_last_started_timestamp_seconds",
                                "When the latest sweep run started (0: never).",
                                value=status.epoch(sweep.last.started_at) if sweep.last else 0)
        yield GaugeMetricFamily("caseflow_sweep_last_finished_timestamp_seconds",
                                "When the latest finished sweep run finished (0: never).",
                                value=status.epoch(sweep.last_finished.finished_at) if sweep.last_finished else 0)
        yield GaugeMetricFamily("caseflow_sweep_last_interrupted",
                                "1 if the latest sweep run was found interrupted (its process died).",
                                value=1 if sweep.last and sweep.last.interrupted_at else 0)
        outcomes = GaugeMetricFamily("caseflow_sweep_last_cases",
                                     "Cases of the latest finished sweep run, by outcome.", labels=["outcome"])
        run = sweep.last_finished
        for outcome in ("escalated", "stalled_at_top", "needs_configuration"):
            outcomes.add_metric([outcome], getattr(run, outcome) if run else 0)
        yield outcomes

        cases = GaugeMetricFamily("caseflow_cases", "Cases by status (kept counts).", labels=["status"])
        counts, _rows = status_counts(None)
        for name, n in counts.items():
            cases.add_metric([name], n)
        yield cases
        yield GaugeMetricFamily("caseflow_cases_overdue", "Cases waiting on an office past their due date.",
                                value=status.overdue_cases())
        yield GaugeMetricFamily("caseflow_audit_chain_length", "Entries in the audit chain.",
                                value=status.audit_chain_length())
        yield GaugeMetricFamily("caseflow_metrics_collect_seconds",
                                "Time this scrape spent reading the database.", value=time.perf_counter() - started)


def registry() -> CollectorRegistry:
    """A registry for one scrape: the request metrics (every worker's, with a multiprocess
    folder) and the database gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        MultiProcessCollector(scrape, path=folder)
    else:
        scrape.register(_Local())
    scrape.register(DatabaseCollector())
    return scrape


def _authorised(token: str) -> bool:
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    # Bytes: compare_digest refuses non-ASCII text, and a header may hold anything.
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    if not _authorised(token):
        return Response("a valid bearer token is required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    return Response(generate_latest(registry()), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                          "Cache-Control": "no-store"})
