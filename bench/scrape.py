"""What monitoring costs: one `/metrics` scrape on the 1,000,000-case bench databases, and the
request metrics' overhead per request.

    .venv/bin/python -m bench.scrape [--sqlite bench/out/sqlite-…-1000000.db] [--pg URL] [--scrapes 20]

Read-only: SQLite is opened with mode=ro, PostgreSQL sessions with default_transaction_read_only,
so the bench databases are never changed. They were generated before job_workers existed
(migration a0e1a7b10010), so the live-worker read is left out here (replaced by "none seen"):
it reads a table of one row per worker through its index on last_seen_at.

The overhead is measured in-process: the Flask test client requests a route that returns a
constant, on an app with the request metrics on (a token set) and one with them off,
alternating blocks of requests; the difference of the medians is what the hooks cost a request.
Prints figures with the load average; it measures, it does not test.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-scrape-token-0123456789abcdef"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def app_for(url: str, **extra):
    from caseflow import create_app

    options = {"pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options, "ENV_NAME": "bench",
                       "SECRET_KEY": "bench-secret-key-not-used-anywhere-else", **extra})


def scrapes(url: str, n: int) -> None:
    from caseflow.monitoring import status

    # The bench databases predate job_workers (see the module docstring).
    status.worker_status = lambda window, now=None: status.WorkerStatus(0, None)
    app = app_for(url, METRICS_TOKEN=TOKEN)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    times, collect = [], []
    for _ in range(n + 1):
        started = time.perf_counter()
        response = client.get("/metrics", headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        text = response.get_data(as_text=True)
        line = next(line for line in text.splitlines() if line.startswith("caseflow_metrics_collect_seconds "))
        collect.append(float(line.split()[1]))
    times, collect = times[1:], collect[1:]  # the first warms the connection pool and the caches
    overdue = next(line for line in text.splitlines() if line.startswith("caseflow_cases_overdue "))
    total = sum(float(line.split()[1]) for line in text.splitlines() if line.startswith("caseflow_cases{"))
    print(f"{url.split('://')[0]}: {n} scrapes, whole request median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms; database part median {statistics.median(collect) * 1000:.1f} ms; "
          f"{int(total):,} cases, {int(float(overdue.split()[1])):,} overdue; load {loadavg()}")
    _plans(app)


def _plans(app) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    from caseflow.extensions import db
    from caseflow.monitoring import status

    captured = []
    with app.test_request_context():
        dialect = db.engine.dialect.name
        explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        compile_for = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()
        original = db.session.scalar

        def capture(statement, *args, **kwargs):
            captured.append(str(statement.compile(dialect=compile_for, compile_kwargs={"literal_binds": True})))
            return original(statement, *args, **kwargs)

        db.session.scalar = capture
        try:
            status.overdue_cases()
        finally:
            db.session.scalar = original
        for sql in captured:
            plan = db.session.execute(db.text(explain + sql)).all()
            print("  overdue count plan:", " | ".join(str(row[-1]) for row in plan))
        db.session.rollback()


def overhead(url: str, rounds: int = 10, per_round: int = 500) -> None:
    on, off = app_for(url, METRICS_TOKEN=TOKEN), app_for(url)
    for app in (on, off):
        app.add_url_rule("/_bench/constant", "bench_constant", lambda: "ok")
    clients = {"on": on.test_client(), "off": off.test_client()}
    results = {"on": [], "off": []}
    for _ in range(rounds):
        for name, client in clients.items():
            started = time.perf_counter()
            for _ in range(per_round):
                client.get("/_bench/constant")
            results[name].append((time.perf_counter() - started) / per_round)
    on_us, off_us = (statistics.median(results[k]) * 1e6 for k in ("on", "off"))
    print(f"request metrics overhead: {on_us:.0f} µs a request with them on, {off_us:.0f} µs off, "
          f"+{on_us - off_us:.0f} µs ({rounds}×{per_round} requests each, test client); load {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = sorted((ROOT / "bench" / "out").glob("sqlite-*-1000000.db"))
    parser.add_argument("--sqlite", default=str(found[-1]) if found else None)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/caseflow_bench")
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("CASEFLOW_CONFIG", "production")
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    if args.sqlite:
        url = f"sqlite:///file:{Path(args.sqlite).resolve()}?mode=ro&uri=true"
        scrapes(url, args.scrapes)
        overhead(url)
    if args.pg:
        scrapes(args.pg, args.scrapes)


if __name__ == "__main__":
    main()
