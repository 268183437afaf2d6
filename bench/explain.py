"""Every SQL statement a queue page runs on the benchmark database, with its time and plan.

    .venv/bin/python -m bench.explain [--db sqlite|postgres|both] [--cases N]

The page is requested through Flask's test client (one process, no load); its statements are
captured at the cursor, each SELECT is run again alone (execute and fetch) to time it, and the
two slowest are explained: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
PostgreSQL.
"""
import argparse
import re
import time

from bench import generate
from bench.run import next_link

SCENARIOS = ("/queue", "/queue?status=submitted&overdue=1")


def _short(sql: str, width: int = 160) -> str:
    sql = re.sub(r"\s+", " ", sql).strip()
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def _timed(conn, statement, parameters) -> float:
    started = time.perf_counter()
    conn.exec_driver_sql(statement, parameters).fetchall()
    return (time.perf_counter() - started) * 1000


def explain_queue(kind: str, cases: int, deep_pages: int = 20, runs: int = 5) -> None:
    import sqlalchemy as sa

    from caseflow.extensions import db

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    captured: list[list] = []

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        captured.append([statement, parameters, (time.perf_counter() - conn.info.pop("bench_started")) * 1000])

    client = app.test_client()
    response = client.post("/login", data={"username": generate.BENCH_USERNAME, "password": generate.BENCH_PASSWORD})
    assert response.status_code == 302, f"sign-in failed: {response.status_code}"
    path = "/queue"
    for _ in range(deep_pages - 1):
        path = next_link(client.get(path).get_data(as_text=True))
    print(f"\n=== {kind}: the queue's SQL, {cases:,} cases, as {generate.BENCH_USERNAME} ===")
    for page in (*SCENARIOS, path):
        client.get(page)  # warm caches
        best: list | None = None
        best_total = float("inf")
        for _ in range(runs):
            captured.clear()
            started = time.perf_counter()
            response = client.get(page)
            total = (time.perf_counter() - started) * 1000
            if total < best_total:
                best_total, best = total, [list(c) for c in captured]
        assert response.status_code == 200
        # The cursor events miss the rows fetched after execute() returns (SQLite computes some
        # of them then): time each SELECT again, execute and fetch, best of three.
        with app.app_context(), db.engine.connect() as conn:
            for entry in best:
                if entry[0].lstrip().upper().startswith("SELECT"):
                    entry[2] = min(_timed(conn, entry[0], entry[1]) for _ in range(3))
        sql_ms = sum(c[2] for c in best)
        print(f"\nGET {page}: {best_total:.1f} ms (best of {runs}), {len(best)} statements, "
              f"SQL {sql_ms:.1f} ms, the rest (Python, ORM, template) ≈ {max(0.0, best_total - sql_ms):.1f} ms")
        for statement, _parameters, ms in best:
            print(f"  {ms:7.2f} ms  {_short(statement)}")
        for statement, parameters, ms in sorted(best, key=lambda c: -c[2])[:2]:
            print(f"\n  --- {ms:.2f} ms ---\n  {statement.strip()}\n  params: {parameters}")
            with app.app_context(), db.engine.connect() as conn:
                prefix = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
                for row in conn.exec_driver_sql(prefix + statement, parameters):
                    print("    " + " | ".join(str(v) for v in row))
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--deep-pages", type=int, default=20)
    args = parser.parse_args()
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        explain_queue(kind, args.cases, args.deep_pages)


if __name__ == "__main__":
    main()
