"""The cost of the Aadhaar flush guard (caseflow.textguard), in-process.

    .venv/bin/python -m bench.textguard [--rows 10000] [--repeat 3] [--db URL]

Flushes N new case events (a note and a JSON details dict each, like the sweep's escalation
events) and then the same N events changed (their notes), with the guard listening and with
it removed, on a fresh SQLite file (or the PostgreSQL database given by --db, which is
emptied and rebuilt). Prints the best of `--repeat` runs for each, and the guard's own time
(the listener called on the same pending objects without flushing).
"""
import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", help="a database URL (emptied); default: a fresh SQLite file")
    args = parser.parse_args()

    from caseflow import create_app, textguard
    from caseflow.cases.models import CaseEvent, CaseStatus, EventKind
    from caseflow.extensions import db
    from tests.conftest import World, test_config

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'guard.db'}"
    app = create_app(test_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        world = World()
        case = world.case(status="submitted")
        db.session.commit()
        case_id, actor_id = case.id, world.incharge.id

        def events():
            return [CaseEvent(case_id=case_id, kind=EventKind.TRANSITION, actor_id=actor_id, trigger="escalate",
                              from_status=CaseStatus.SUBMITTED, to_status=CaseStatus.ESCALATED, level=2,
                              note=f"No reply from the Panchayat Secretary in 15 days ({i})",
                              details={"from_level": 1, "to_level": 2, "office_id": 3, "reason": "overdue"})
                    for i in range(args.rows)]

        def timed(guarded: bool) -> dict:
            if guarded:
                textguard.install()
            else:
                event.remove(Session, "before_flush", textguard._before_flush)
            best = {"insert": float("inf"), "update": float("inf"), "listener": float("inf")}
            for _ in range(args.repeat):
                rows = events()
                db.session.add_all(rows)
                session = db.session()
                start = time.perf_counter()
                textguard._before_flush(session, None, None)
                best["listener"] = min(best["listener"], time.perf_counter() - start)
                start = time.perf_counter()
                db.session.flush()
                best["insert"] = min(best["insert"], time.perf_counter() - start)
                for row in rows:
                    row.note = row.note + " and again"
                start = time.perf_counter()
                db.session.flush()
                best["update"] = min(best["update"], time.perf_counter() - start)
                db.session.rollback()
            return best

        without = timed(False)
        with_guard = timed(True)
        without_again = timed(False)  # the first run warms caches: measure "without" on both sides
        textguard.install()
        db.session.execute(sa.delete(CaseEvent))
        db.session.commit()
    off = {k: min(without[k], without_again[k]) for k in without}
    print(f"{args.rows} case events, best of {args.repeat}, {sa.make_url(url).get_backend_name()}")
    print(f"  guard's own time on the pending objects: {with_guard['listener'] * 1000:.1f} ms "
          f"({with_guard['listener'] / args.rows * 1e6:.1f} µs a row)")
    for what in ("insert", "update"):
        print(f"  flush ({what}): without the guard {off[what] * 1000:.0f} ms, with it {with_guard[what] * 1000:.0f} ms "
              f"(+{(with_guard[what] - off[what]) / off[what] * 100:.0f}%)")


if __name__ == "__main__":
    main()
