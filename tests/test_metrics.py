"""The Prometheus endpoint and JSON logs (caseflow/monitoring): refused without the token, request
latency by endpoint (never by path), unhandled exceptions counted, the database gauges equal
to what the database holds, several processes' counts added up through PROMETHEUS_MULTIPROC_DIR,
and JSON log lines that are valid JSON and hold no personal data."""
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import request
from prometheus_client.parser import text_string_to_metric_families

from caseflow import create_app
from caseflow.audit.models import AuditHead
from caseflow.cases.models import WAITING_STATUSES, Case
from caseflow.db import today, utcnow
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db
from caseflow.jobs import queue
from caseflow.jobs.models import Job, JobState, JobWorker
from caseflow.monitoring import logs
from tests.conftest import PASSWORD, test_config

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-tests-only-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PERSONAL = ["Sunita Devi", "9876543210", "Rampur Khurd ward 4"]


@pytest.fixture
def metrics_app(app, database_url):
    extra = create_app(test_config(database_url, METRICS_TOKEN=TOKEN, PROPAGATE_EXCEPTIONS=False))

    @extra.post("/_test/boom")
    def boom():
        raise RuntimeError(f"could not save {request.form['name']} for {request.args['mobile']}")

    return extra


def scrape(application) -> dict:
    """{(name, labels as a sorted tuple): value} of one scrape."""
    response = application.test_client().get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def samples(text: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in found, f"{key} exposed twice"
            found[key] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# --- protection ---------------------------------------------------------------------------------


def test_without_a_configured_token_the_endpoint_does_not_exist(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token-of-some-length", f"Basic {TOKEN}",
                                    f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer तोकन-हिन्दी"])
def test_a_scrape_without_the_right_bearer_token_is_refused(metrics_app, header):
    headers = {"Authorization": header} if header else {}
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"caseflow_" not in response.data


def test_a_short_token_stops_the_app_at_start(database_url):
    with pytest.raises(RuntimeError, match="at least 16"):
        create_app(test_config(database_url, METRICS_TOKEN="short"))


# --- request metrics ----------------------------------------------------------------------------


def test_requests_are_measured_by_endpoint_method_and_status_class(metrics_app, world):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        case_id = world.case().id
        db.session.commit()
    before = scrape(metrics_app)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.post("/login", data={"username": "incharge", "password": PASSWORD})
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get("/cases/2147483000").status_code == 404
    assert client.get(f"/no-such-page/{case_id}?name=Sunita+Devi").status_code == 404
    response = client.get("/metrics", headers=BEARER)
    after = samples(response.get_data(as_text=True))

    def added(**labels):
        name = "caseflow_http_request_duration_seconds_count"
        return value(after, name, **labels) - value(before, name, **labels)

    assert added(endpoint="health.healthz", method="GET", status="2xx") == 3
    assert added(endpoint="auth.login", method="POST", status="3xx") == 1
    assert added(endpoint="cases.show", method="GET", status="2xx") == 1
    assert added(endpoint="cases.show", method="GET", status="4xx") == 1
    assert added(endpoint="(no route)", method="GET", status="4xx") == 1
    # Buckets are cumulative: the +Inf bucket holds every request.
    assert value(after, "caseflow_http_request_duration_seconds_bucket", endpoint="health.healthz", method="GET",
                 status="2xx", le="+Inf") == value(after, "caseflow_http_request_duration_seconds_count",
                                                   endpoint="health.healthz", method="GET", status="2xx")
    # Labels name endpoints, never paths or what was in them.
    text = response.get_data(as_text=True)
    assert "/cases" not in text and "no-such-page" not in text and "Sunita" not in text
    labels = {v for (_name, pairs) in after for _k, v in pairs}
    assert str(case_id) not in labels and "2147483000" not in labels


def test_an_unhandled_exception_is_counted_and_measured_as_a_5xx(metrics_app, world):
    before = scrape(metrics_app)
    response = metrics_app.test_client().post("/_test/boom?mobile=9876543210", data={"name": "Sunita Devi"})
    assert response.status_code == 500
    after = scrape(metrics_app)
    name = "caseflow_http_unhandled_exceptions_total"
    labels = {"endpoint": "boom", "exception": "RuntimeError"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    count = "caseflow_http_request_duration_seconds_count"
    labels = {"endpoint": "boom", "method": "POST", "status": "5xx"}
    assert value(after, count, **labels) - value(before, count, **labels) == 1


def test_without_a_token_nothing_is_measured(app, world, client):
    from caseflow.monitoring.metrics import LOCAL

    def healthz_count():
        return LOCAL.get_sample_value("caseflow_http_request_duration_seconds_count",
                                      {"endpoint": "health.healthz", "method": "GET", "status": "2xx"}) or 0

    before = healthz_count()
    client.get("/healthz")
    assert healthz_count() == before


# --- database gauges ------------------------------------------------------------------------------


def test_the_database_gauges_equal_what_the_database_holds(metrics_app, world):
    with metrics_app.app_context():
        cases = [world.case(status=s) for s in ("identified", "submitted", "submitted", "escalated", "resolved")]
        # Two waiting cases past their due date, one due today (not overdue yet).
        for case, due in zip(cases[1:4], (today() - timedelta(days=3), today() - timedelta(days=1), today()),
                             strict=True):
            case.due_date = due
        queue.enqueue("letters.render", {"letter_id": 1}, key="m1")
        queue.enqueue("letters.render", {"letter_id": 2}, key="m2")
        queue.enqueue("imports.stage", {"import_id": 3}, key="m3")
        queue.enqueue("imports.stage", {"import_id": 4}, key="m4")
        db.session.flush()
        db.session.execute(sa.update(Job).where(Job.key == "m4").values(error="Broken", attempts=1))
        db.session.execute(sa.update(Job).where(Job.key == "m3").values(state=JobState.FAILED, error="Broken",
                                                                        finished_at=utcnow()))
        started = utcnow() - timedelta(hours=2)
        db.session.add_all([
            SweepRun(as_of=date(2026, 11, 1), started_at=started - timedelta(days=1),
                     finished_at=started - timedelta(days=1), escalated=1, stalled_at_top=0, needs_configuration=0),
            SweepRun(as_of=date(2026, 11, 2), started_at=started, finished_at=started + timedelta(minutes=5),
                     heartbeat_at=started + timedelta(minutes=5), escalated=40, stalled_at_top=3,
                     needs_configuration=2),
        ])
        seen = utcnow() - timedelta(seconds=10)
        db.session.add(JobWorker(name="host:1:1", host="host", pid=1, started_at=seen, last_seen_at=seen))
        db.session.add(JobWorker(name="host:2:1", host="host", pid=2, started_at=seen, last_seen_at=seen,
                                 stopped_at=seen))
        db.session.commit()

        by_status = dict(db.session.execute(sa.select(Case.status, sa.func.count()).group_by(Case.status)).all())
        overdue = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(WAITING_STATUSES), Case.due_date < today()))
        jobs = db.session.execute(sa.select(Job.kind, Job.state, sa.func.count()).group_by(Job.kind, Job.state)).all()
        chain = db.session.scalar(sa.select(AuditHead.seq))

    found = scrape(metrics_app)
    assert overdue == 2 and value(found, "caseflow_cases_overdue") == 2
    for status, n in by_status.items():
        assert value(found, "caseflow_cases", status=status.value) == n
    assert sum(v for (name, _), v in found.items() if name == "caseflow_cases") == sum(by_status.values())
    assert sorted((kind, state.value, n) for kind, state, n in jobs) == [
        ("imports.stage", "failed", 1), ("imports.stage", "queued", 1), ("letters.render", "queued", 2)]
    assert value(found, "caseflow_jobs", kind="imports.stage", state="queued") == 1
    assert value(found, "caseflow_jobs_retrying", kind="imports.stage") == 1
    assert value(found, "caseflow_jobs_retrying", kind="letters.render") == 0
    assert value(found, "caseflow_jobs", kind="letters.render", state="queued") == 2
    assert value(found, "caseflow_jobs", kind="imports.stage", state="failed") == 1
    assert value(found, "caseflow_jobs_oldest_runnable_age_seconds") >= 0
    assert chain > 0 and value(found, "caseflow_audit_chain_length") == chain
    finished = (started + timedelta(minutes=5)).replace(tzinfo=UTC).timestamp()
    assert value(found, "caseflow_sweep_last_finished_timestamp_seconds") == pytest.approx(finished, abs=1)
    assert value(found, "caseflow_sweep_last_cases", outcome="escalated") == 40
    assert value(found, "caseflow_sweep_last_cases", outcome="stalled_at_top") == 3
    assert value(found, "caseflow_sweep_last_cases", outcome="needs_configuration") == 2
    assert value(found, "caseflow_sweep_last_interrupted") == 0
    assert value(found, "caseflow_job_workers_alive") == 1  # the stopped one is not
    assert value(found, "caseflow_job_workers_last_seen_timestamp_seconds") > 0


def test_an_empty_database_scrapes_as_zeros(metrics_app):
    found = scrape(metrics_app)
    for name in ("caseflow_cases_overdue", "caseflow_audit_chain_length", "caseflow_job_workers_alive",
                 "caseflow_sweep_last_finished_timestamp_seconds", "caseflow_sweep_last_started_timestamp_seconds"):
        assert (name, ()) in found and found[(name, ())] == 0, name


# --- several processes ----------------------------------------------------------------------------

_PROCESS = """
import sys
from caseflow import create_app
url, token, requests, scrape = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "scrape"
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "testing", "TESTING": True, "SERVER_NAME": "localhost",
                  "SECRET_KEY": "test-secret-key-not-used-anywhere-else", "METRICS_TOKEN": token})
client = app.test_client()
for _ in range(requests):
    assert client.get("/healthz").status_code == 200
if scrape:
    sys.stdout.write(client.get("/metrics", headers={"Authorization": "Bearer " + token}).get_data(as_text=True))
"""


def test_counts_of_several_processes_are_added_up_in_one_scrape(app, database_url, tmp_path):
    """What gunicorn's workers do: each process counts in its own files of the multiprocess
    folder; a scrape answered by any one of them reads them all."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "CASEFLOW_CONFIG": "testing"}

    def run(requests: int, then: str) -> str:
        done = subprocess.run([sys.executable, "-c", _PROCESS, database_url, TOKEN, str(requests), then],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run(3, "exit")
    text = run(2, "scrape")
    assert len(list(folder.glob("histogram_*.db"))) == 2  # one file per process
    found = samples(text)
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "2xx"}
    assert value(found, "caseflow_http_request_duration_seconds_count", **labels) == 5
    # The database gauges come once, from the process that answered.
    assert [key for key in found if key[0] == "caseflow_audit_chain_length"] == [("caseflow_audit_chain_length", ())]


def test_a_missing_multiprocess_folder_stops_the_app_at_start(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="does not exist"):
        create_app(test_config(database_url, METRICS_TOKEN=TOKEN))


# --- JSON logs ------------------------------------------------------------------------------------


@pytest.fixture
def json_logs():
    """Switches the process's logging to JSON for one test, then back."""
    loggers = [logging.getLogger(name) for name in ("", "caseflow", "werkzeug")]
    before = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    yield
    for logger, handlers, level in before:
        logger.handlers[:] = handlers
        logger.setLevel(level)


@contextlib.contextmanager
def json_lines_into(stream):
    previous = logs.JSON_HANDLER.setStream(stream)
    try:
        yield
    finally:
        logs.JSON_HANDLER.setStream(previous)


def _lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # each line one JSON object


def test_json_logs_are_json_and_hold_no_personal_data(app, database_url, world, json_logs):
    extra = create_app(test_config(database_url, LOG_FORMAT="json", PROPAGATE_EXCEPTIONS=False))

    @extra.post("/_test/boom/<int:case_id>")
    def boom(case_id):
        raise RuntimeError(f"could not save {request.form['name']} for {request.args['mobile']}")

    stream = io.StringIO()
    response = extra.test_client().post("/_test/boom/41?mobile=9876543210&q=Sunita+Devi",
                                        data={"name": "Sunita Devi", "address": "Rampur Khurd ward 4"},
                                        environ_overrides={"wsgi.errors": stream})
    assert response.status_code == 500
    text = stream.getvalue()
    [entry] = _lines(text)
    assert entry["level"] == "ERROR" and entry["logger"] == "caseflow"
    assert entry["message"] == "Exception on /_test/boom/<int:case_id> [POST]"
    assert (entry["endpoint"], entry["method"]) == ("boom", "POST")
    assert "RuntimeError (message withheld)" in entry["exc_info"]
    for personal in [*PERSONAL, "mobile=", "/_test/boom/41"]:
        assert personal not in text


def test_json_request_lines_of_the_development_server_lose_their_query_strings(app, database_url, json_logs):
    create_app(test_config(database_url, LOG_FORMAT="json"))
    stream = io.StringIO()
    with json_lines_into(stream):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "29/Nov/2026 10:00:00",
                                           "GET /queue?name=Sunita+Devi&m=9876543210 HTTP/1.1", "200", "-")
    [entry] = _lines(stream.getvalue())
    assert entry["logger"] == "werkzeug" and '"GET /queue HTTP/1.1" 200' in entry["message"]
    assert "Sunita" not in stream.getvalue() and "9876543210" not in stream.getvalue()


def test_a_job_workers_log_line_is_json_too(app, database_url, json_logs):
    create_app(test_config(database_url, LOG_FORMAT="json"))
    stream = io.StringIO()
    with json_lines_into(stream):
        logging.getLogger("caseflow.jobs").warning("job %s (%s) failed with %s; now %s", 7, "letters.render",
                                                   "Broken", "queued")
    [entry] = _lines(stream.getvalue())
    assert entry["logger"] == "caseflow.jobs" and entry["level"] == "WARNING"
    assert entry["message"] == "job 7 (letters.render) failed with Broken; now queued"
    assert "endpoint" not in entry  # not written during a request


def test_the_plain_format_is_the_default(app, json_logs):
    assert app.config["LOG_FORMAT"] == "text"
    assert logs.JSON_HANDLER not in logging.getLogger().handlers
