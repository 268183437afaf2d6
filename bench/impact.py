"""The impact summary on the benchmark database: how long one summary takes, and its plans.

    .venv/bin/python -m bench.impact [--db sqlite|postgres|both] [--cases N] [--runs 5]

Runs `caseflow.impact.summary.summarise` in-process (no HTTP) for the whole state over a
financial year (the largest a supervisor asks for), one district over a quarter and one block
over a month, prints the best and median of `--runs` runs, the time to draw the district's
PNG card and PDF sheet, and the query plan of each statement
(EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) so the covering index
ix_cases_delivered can be seen at work. Measures; asserts nothing.
"""
import argparse
import statistics
import time
from datetime import date

from bench import generate


def measure(kind: str, cases: int, runs: int) -> None:
    import sqlalchemy as sa

    from caseflow.areas.models import Area, AreaKind
    from caseflow.extensions import db
    from caseflow.impact import output, periods
    from caseflow.impact.summary import summarise

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    statements: list[tuple[str, object]] = []
    with app.app_context(), app.test_request_context():
        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        state = db.session.scalars(sa.select(Area).where(Area.kind == AreaKind.STATE)).first()
        district = db.session.scalars(sa.select(Area).where(Area.kind == AreaKind.DISTRICT).order_by(Area.id)).first()
        block = db.session.scalars(sa.select(Area).where(Area.kind == AreaKind.BLOCK).order_by(Area.id)).first()
        last = db.session.scalar(sa.text("SELECT max(delivered_on) FROM cases WHERE status = 'resolved'"))
        if isinstance(last, str):  # SQLite returns the text
            last = date.fromisoformat(last)
        scenarios = [("state, financial year", state, periods.financial_year_of(last)),
                     ("district, quarter", district, periods.quarter(last.year, (last.month - 1) // 3 + 1)),
                     ("block, month", block, periods.month(last.year, last.month))]
        print(f"\n=== {kind}: impact summary, {cases:,} cases ===")
        for name, area, period in scenarios:
            summarise(area, period)  # warm caches
            timings = []
            for _ in range(runs):
                statements.clear()
                started = time.perf_counter()
                result = summarise(area, period)
                timings.append((time.perf_counter() - started) * 1000)
            print(f"{name:24} {period.start}..{period.end}: best {min(timings):7.1f} ms, "
                  f"median {statistics.median(timings):7.1f} ms; households {result.households!r}, "
                  f"settlements {result.settlements!r}, schemes {len(result.rows)}")
        district_summary = summarise(district, scenarios[1][2])
        for name, make in (("PNG card", output.card_png), ("PDF sheet", output.sheet_pdf)):
            make(district_summary, [], "hi")  # fonts loaded once per process
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                make(district_summary, [], "hi")
                timings.append((time.perf_counter() - started) * 1000)
            print(f"{name:24} district, quarter, Hindi: best {min(timings):7.1f} ms, "
                  f"median {statistics.median(timings):7.1f} ms")
        conn = db.session.connection()  # the session's own: on SQLite it already holds the lock
        for statement, parameters in list(statements):
            if not statement.lstrip().upper().startswith("SELECT") or "cases" not in statement:
                continue
            prefix = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
            plan = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
            print("  " + " ".join(statement.split())[:150])
            for row in plan:
                print("    " + str(row[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        measure(kind, args.cases, args.runs)


if __name__ == "__main__":
    main()
