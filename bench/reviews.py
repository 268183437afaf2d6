"""The quarterly review's figures on the 1,000,000-case benchmark database.

    .venv/bin/python -m bench.reviews [--db sqlite|postgres] [--cases N] [--runs 5] [--pg-database NAME]

Computes what opening a review computes for the bench in-charge's last quarter (their counts,
the previous quarter's, median days per step, letters, overdue share, and the region median
over every other in-charge of the state supervisor: 49 of them), and draws the spot-check
sample; prints each run's time, the median, and the plan of the grouped timeline query.

The generator writes cases without a timeline; the first run derives one from each case's own
dates (opened, verified, submitted, ended), by the in-charge who opened it: about 3 events per
case, in four INSERT … SELECT statements.
"""
import argparse
import statistics
import time

from bench import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    generate.add_pg_database_option(parser)
    args = parser.parse_args()
    generate.use_pg_database(args.pg_database)

    import sqlalchemy as sa

    from caseflow.auth.models import User
    from caseflow.db import today
    from caseflow.extensions import db
    from caseflow.reviews import figures, services
    from caseflow.reviews.quarters import last_ended

    database = generate.ensure(args.db, args.cases)
    app = generate.bench_app(database.url)
    with app.app_context():
        _timeline(db, sa)
        incharge = db.session.scalar(sa.select(User).where(User.username == generate.BENCH_USERNAME))
        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        quarter = last_ended(today())
        peers = [u.id for u in services.region_incharges(supervisor) if u.id != incharge.id]
        timings, sample_timings = [], []
        for _run in range(args.runs):
            db.session.expire_all()
            started = time.perf_counter()
            result = figures.compute(incharge, quarter, peer_ids=peers, previous=None)
            timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            drawn = services.draw_sample(figures.sample_candidates(incharge, quarter), 1)
            sample_timings.append((time.perf_counter() - started) * 1000)
        print(f"{args.db}, {args.cases:,} cases, {quarter.label()}, {len(peers)} peers")
        print(f"  counts: {result['counts']}")
        print(f"  figures: runs {', '.join(f'{t:.0f}' for t in timings)} ms; median {statistics.median(timings):.0f} ms")
        print(f"  sample of {len(drawn)}: runs {', '.join(f'{t:.0f}' for t in sample_timings)} ms; "
              f"median {statistics.median(sample_timings):.0f} ms")
        lo, hi = quarter.bounds()
        grouped = ("SELECT actor_id, kind, trigger, count(*) FROM case_events "
                   "WHERE actor_id IN ({}) AND at >= :lo AND at < :hi GROUP BY actor_id, kind, trigger")
        sql = grouped.format(", ".join(str(p) for p in peers))
        explain = "EXPLAIN QUERY PLAN " if args.db == "sqlite" else "EXPLAIN "
        for row in db.session.execute(sa.text(explain + sql), {"lo": lo, "hi": hi}):
            print("  plan:", row[-1])


def _timeline(db, sa) -> None:
    if db.session.scalar(sa.text("SELECT count(*) FROM (SELECT 1 FROM case_events LIMIT 1) AS t")):
        return
    started = time.perf_counter()
    sqlite = db.engine.dialect.name == "sqlite"
    at = "CAST(application_date AS VARCHAR) || ' 06:00:00.000000'" if sqlite else "application_date + TIME '06:00'"
    # SQLite keeps JSON as text; PostgreSQL needs the built text cast to json.
    closed_details = ("CASE status WHEN 'closed' THEN '{\"close_reason\": \"' || close_reason || '\"}' "
                      "ELSE '{}' END")
    if not sqlite:
        closed_details = f"CAST({closed_details} AS JSON)"
    columns = "case_id, kind, at, actor_id, trigger, from_status, to_status, details"
    for select in (
        "SELECT id, 'created', created_at, created_by_id, NULL, NULL, NULL, '{}' FROM cases",
        "SELECT id, 'transition', verified_at, created_by_id, 'verify', 'identified', 'documented', '{}' "
        "FROM cases WHERE verified_at IS NOT NULL",
        f"SELECT id, 'transition', {at}, created_by_id, 'submit', 'documented', 'submitted', '{{}}' "
        "FROM cases WHERE application_date IS NOT NULL",
        "SELECT id, 'transition', ended_at, created_by_id, CASE status WHEN 'closed' THEN 'close' ELSE 'deliver' END, "
        "CASE status WHEN 'closed' THEN 'submitted' ELSE 'sanctioned' END, status, "
        f"{closed_details} FROM cases WHERE ended_at IS NOT NULL",
    ):
        db.session.execute(sa.text(f"INSERT INTO case_events ({columns}) {select}"))
    db.session.commit()
    if not sqlite:
        # What autovacuum would do after a bulk load: statistics, and the visibility map that
        # lets the covering index answer alone (index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE case_events"))
    total = db.session.scalar(sa.text("SELECT count(*) FROM case_events"))
    print(f"  timeline derived: {total:,} events in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
