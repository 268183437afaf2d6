"""The quarterly review's figures on the 1,000,000-case benchmark database.

    .venv/bin/python -m bench.reviews [--db sqlite|postgres] [--cases N] [--runs 5]

Computes what opening a review computes for the bench in-charge's last quarter (their counts,
the previous quarter's, median days per step, letters, overdue share, and the region median
over every other in-charge of the state supervisor: 49 of them), and draws the spot-check
sample; prints each run's time, the median, and the plan of the grouped timeline query.
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
    args = parser.parse_args()

    import sqlalchemy as sa

    from caseflow.auth.models import User
    from caseflow.db import today
    from caseflow.extensions import db
    from caseflow.reviews import figures, services
    from caseflow.reviews.quarters import last_ended

    database = generate.ensure(args.db, args.cases)
    app = generate.bench_app(database.url)
    with app.app_context():
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


if __name__ == "__main__":
    main()
