"""One Today page (caseflow.today) on the 1,000,000-case benchmark database, timed in-process.

    .venv/bin/python -m bench.today [--db sqlite|postgres|both] [--repeat 30] [--explain]

The generated database has no case events and no letters (bench/README.md), so the first run
adds what Today reads, once (marked by the 'bench-today' note): a promise on every 20th waiting
case (its due date, as a follow-up would set it), replaced by a later follow-up on every 40th;
(cases.promised_date set to match); and a letter per escalated case (every 4th drafted, the rest dispatched 50 days before the
case's due date, so spread over the last 75 days). Then, signed in as the in-charge of
district D01 and as the state-wide supervisor, it requests /today `--repeat` times after a
warm-up and prints the median and the slowest request, the median time its statements took
(cursor to cursor), the load average, and with --explain
each statement's time and plan.
"""
import argparse
import os
import statistics
import time

from bench import generate

USERS = {"in-charge (district D01)": generate.BENCH_USERNAME, "supervisor (state-wide)": "supervisor"}
MARK = "bench-today"

_SQL = {
    "promises": """
        INSERT INTO case_events (case_id, kind, at, channel, note, promised_date, details)
        SELECT id, 'follow_up', CURRENT_TIMESTAMP, 'phone', '{mark}', due_date, '{{}}'
        FROM cases WHERE status IN ('submitted', 'escalated') AND id {mod} 20 = 0""",
    "replaced": """
        INSERT INTO case_events (case_id, kind, at, channel, note, details)
        SELECT id, 'follow_up', CURRENT_TIMESTAMP, 'visit', '{mark}', '{{}}'
        FROM cases WHERE status IN ('submitted', 'escalated') AND id {mod} 40 = 0""",
    # What caseflow.cases.services keeps for the promises above: standing where not replaced.
    "standing": """
        UPDATE cases SET promised_date = due_date
        WHERE status IN ('submitted', 'escalated') AND id {mod} 20 = 0 AND id {mod} 40 != 0""",
    "letters": """
        INSERT INTO letters (reference, kind, case_id, district_id, area_path, level, addressee_office_id,
                             addressee_title, language, status, created_at, pdf_path, pdf_sha256, dispatch_mode,
                             dispatched_on, version)
        SELECT 'BENCH/' || CAST(id AS VARCHAR(12)), 'escalation', id, district_id, area_path, level,
               COALESCE(office_id, (SELECT MIN(id) FROM offices)), 'Office', 'hi',
               CASE WHEN id {mod} 4 = 0 THEN 'drafted' ELSE 'dispatched' END, CURRENT_TIMESTAMP,
               CASE WHEN id {mod} 4 = 0 THEN NULL ELSE 'bench.pdf' END,
               CASE WHEN id {mod} 4 = 0 THEN NULL ELSE '{zeros}' END,
               CASE WHEN id {mod} 4 = 0 THEN NULL ELSE 'hand' END,
               CASE WHEN id {mod} 4 = 0 THEN NULL ELSE {minus_50} END, 1
        FROM cases WHERE status = 'escalated'""",
}


def add_today_data(engine) -> None:
    import sqlalchemy as sa

    postgres = engine.dialect.name == "postgresql"
    minus_50 = "due_date - 50" if postgres else "date(due_date, '-50 days')"
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM case_events WHERE note = :mark LIMIT 1"), {"mark": MARK}).first():
            return
        started = time.perf_counter()
        for name, sql in _SQL.items():
            rows = conn.exec_driver_sql(sql.format(mark=MARK, zeros="0" * 64, minus_50=minus_50, mod="%%" if postgres else "%")).rowcount
            generate.log(f"today: {name}: {rows:,} rows")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    generate.log(f"today: data added and analysed in {time.perf_counter() - started:.1f} s")


def measure(kind: str, cases: int, repeat: int, explain: bool) -> None:
    import sqlalchemy as sa

    from caseflow.extensions import db

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    with app.app_context():
        engine = db.engine
        add_today_data(engine)
    captured: list = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters, (time.perf_counter() - conn.info.pop("bench_started")) * 1000))

    print(f"\n=== {kind}: GET /today, {cases:,} cases, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load {os.getloadavg()[0]:.2f} ===")
    for who, username in USERS.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": generate.BENCH_PASSWORD})
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
        for _ in range(3):
            assert client.get("/today").status_code == 200
        times, in_db = [], []
        for _ in range(repeat):
            captured.clear()
            started = time.perf_counter()
            page = client.get("/today")
            times.append((time.perf_counter() - started) * 1000)
            in_db.append(sum(ms for _s, _p, ms in captured))
            assert page.status_code == 200
        counts = [c.strip() for c in page.get_data(as_text=True).split('data-testid="count">')[1:]]
        counts = [c.split("<", 1)[0] for c in counts]
        print(f"{who}: median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms over {repeat} "
              f"requests; {len(captured)} statements, median {statistics.median(in_db):.1f} ms in the database; "
              f"section counts {', '.join(counts)}")
        if explain:
            _explain(engine, captured)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _explain(engine, captured) -> None:
    postgres = engine.dialect.name == "postgresql"
    for statement, parameters, ms in sorted(captured, key=lambda c: -c[2])[:9]:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        print(f"  {ms:7.2f} ms  {' '.join(statement.split())[:150]}")
        with engine.connect() as conn:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("           " + str(row[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    generate.add_pg_database_option(parser)
    args = parser.parse_args()
    generate.use_pg_database(args.pg_database)
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        measure(kind, args.cases, args.repeat, args.explain)


if __name__ == "__main__":
    main()
