"""Every migration applied to a 1,000,000-case database, each one timed; on PostgreSQL, how long
readers and writers of `cases` were held up meanwhile (issue 12: "migrations that a big
database survives"; issue 14: upgrades).

It works on a copy of the benchmark database (bench/generate.py) and never touches the original:
SQLite's file is copied with the online backup API into bench/out/migrate-copy.db, PostgreSQL's
database with `CREATE DATABASE <name>_migrate_copy TEMPLATE <name>` (which needs no one else
connected to the original for that moment; it is retried for a minute). The copy, at the head
revision, is downgraded to `--from` (default: the first release, 6b58db5a230c: the tables the
later migrations create are dropped, and with them their rows; cases, beneficiaries and the
rest stay), then upgraded to head one migration at a time, each timed.

On PostgreSQL, while the upgrade runs, two probes each run a query on a random case every
50 ms from their own connection: a read (SELECT by id) and a write (UPDATE of one row, rolled
back). Their worst latency during each migration is the longest a page read or a case write
would have waited. A third connection samples pg_locks every 50 ms for SHARE or stronger locks
on `cases` (which block writers; ACCESS EXCLUSIVE blocks readers too) and reports the longest
run of samples one was seen held.

The data must survive: the row count of every table present at `--from`, and a digest of the
cases (per status: count, sum of ids, versions and beneficiary ids), are equal before and
after; after the upgrade every case's district_id matches its area path and the status counts
kept by triggers equal the cases' own. It measures, it does not test: figures go to the
terminal and bench/out/migrate-<time>.json.

    .venv/bin/python -m bench.migrate [--db sqlite|postgres|both] [--cases 1000000] [--from REV]
        [--sqlite-source FILE] [--pg-database NAME] [--keep]
"""
import argparse
import json
import random
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench import generate

FIRST_RELEASE = "6b58db5a230c"
PROBE_INTERVAL = 0.05
STRONG_LOCKS = ("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def revisions_from(start: str) -> list[str]:
    """The revisions after `start`, oldest first, up to the head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(generate.MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    chain = [revision.revision for revision in script.walk_revisions("base", "heads")]
    chain.reverse()
    return chain[chain.index(start) + 1:]


# ---- copies -------------------------------------------------------------------------------

def sqlite_source(cases: int, given: str | None) -> Path:
    if given:
        return Path(given)
    found = sorted(generate.OUT.glob(f"sqlite-*-{cases}.db"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"no SQLite benchmark database of {cases:,} cases in {generate.OUT}: "
                         "run `python -m bench.generate --db sqlite` (or give --sqlite-source)")
    return found[-1]


def copy_sqlite(source: Path) -> str:
    target = generate.OUT / "migrate-copy.db"
    target.unlink(missing_ok=True)
    generate.log(f"sqlite: copying {source.name} (online backup API, the original read-only)")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return f"sqlite:///{target}"


def _admin():
    return sa.create_engine(generate._pg_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def copy_pg(source: str) -> tuple[str, str]:
    copy = f"{source}_migrate_copy"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        for attempt in range(30):
            try:
                conn.execute(sa.text(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"'))
                break
            except sa.exc.OperationalError as error:
                if "being accessed by other users" not in str(error) or attempt == 29:
                    raise
                generate.log(f"postgres: {source} is in use, waiting to copy it")
                time.sleep(2)
    admin.dispose()
    return copy, generate._pg_url(copy)


def drop_pg(copy: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
    admin.dispose()


# ---- what must survive ----------------------------------------------------------------------

def survey(url: str) -> dict:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        tables = sorted(sa.inspect(conn).get_table_names())
        counts = {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
        digest = {row[0]: list(row[1:]) for row in conn.execute(sa.text(
            "SELECT status, count(*), sum(id), sum(version), sum(beneficiary_id) FROM cases GROUP BY status"))}
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return {"revision": revision, "counts": counts, "cases": {k: [int(v) for v in vs] for k, vs in digest.items()}}


def backfills_right(url: str) -> dict:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        wrong_district = conn.execute(sa.text(
            "SELECT count(*) FROM cases WHERE district_id <> CAST(substr(area_path, 8, 7) AS INTEGER)")).scalar()
        kept = dict(conn.execute(sa.text("SELECT status, sum(n) FROM case_count_deltas GROUP BY status "
                                         "HAVING sum(n) <> 0")).all())
        actual = dict(conn.execute(sa.text("SELECT status, count(*) FROM cases GROUP BY status")).all())
    engine.dispose()
    return {"cases_with_wrong_district_id": int(wrong_district),
            "status_counts_match": {k: int(v) for k, v in kept.items()} == {k: int(v) for k, v in actual.items()}}


# ---- probes (PostgreSQL) --------------------------------------------------------------------

class Probe(threading.Thread):
    """One query on a random case every 50 ms; (start, seconds) of each."""

    def __init__(self, url: str, kind: str, max_id: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.kind, self.max_id, self.stop = url, kind, max_id, stop
        self.samples: list[tuple[float, float]] = []
        self.error: str | None = None

    def run(self):
        rng = random.Random(self.kind)
        engine = sa.create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                while not self.stop.is_set():
                    case_id = rng.randint(1, self.max_id)
                    started = time.perf_counter()
                    if self.kind == "read":
                        conn.execute(sa.text("SELECT status, due_date FROM cases WHERE id = :id"), {"id": case_id})
                        conn.rollback()
                    else:
                        conn.execute(sa.text("UPDATE cases SET updated_at = updated_at WHERE id = :id"), {"id": case_id})
                        conn.rollback()
                    took = time.perf_counter() - started
                    self.samples.append((started, took))
                    time.sleep(max(0.0, PROBE_INTERVAL - took))
        except sa.exc.SQLAlchemyError as error:  # reported, not raised: the upgrade's figures still count
            self.error = str(error).splitlines()[0]
        finally:
            engine.dispose()


class LockSampler(threading.Thread):
    """Every 50 ms: which SHARE-or-stronger locks on `cases` are held, by whom."""

    def __init__(self, url: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        self.samples: list[tuple[float, frozenset]] = []

    def run(self):
        engine = sa.create_engine(self.url, poolclass=NullPool)
        query = sa.text("SELECT l.pid, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.locktype = 'relation' AND c.relname = 'cases' AND l.granted AND l.mode = ANY(:modes) "
                        "AND l.pid <> pg_backend_pid()")
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                while not self.stop.is_set():
                    now = time.perf_counter()
                    held = frozenset(tuple(row) for row in conn.execute(query, {"modes": list(STRONG_LOCKS)}))
                    self.samples.append((now, held))
                    time.sleep(PROBE_INTERVAL)
        finally:
            engine.dispose()


def longest_hold(samples, start: float, end: float) -> tuple[float, str | None]:
    """The longest stretch of consecutive samples in [start, end) in which one lock was held."""
    best, best_mode, since = 0.0, None, {}
    for at, held in samples:
        if not start <= at < end:
            continue
        for lock in list(since):
            if lock not in held:
                del since[lock]
        for lock in held:
            first = since.setdefault(lock, at)
            if at - first + PROBE_INTERVAL > best:
                best, best_mode = at - first + PROBE_INTERVAL, lock[1]
    return best, best_mode


def worst(samples, start: float, end: float) -> float:
    return max((took for at, took in samples if start <= at < end), default=0.0)


# ---- the run --------------------------------------------------------------------------------

def run_one(kind: str, url: str, start: str) -> dict:
    from flask_migrate import downgrade, upgrade

    app = generate.bench_app(url)
    at_head = survey(url)
    generate.log(f"{kind}: the copy is at {at_head['revision']}, {at_head['counts']['cases']:,} cases; "
                 f"downgrading to {start}")
    began = time.perf_counter()
    with app.app_context():
        downgrade(directory=str(generate.MIGRATIONS), revision=start)
    downgrade_seconds = time.perf_counter() - began
    before = survey(url)
    generate.log(f"{kind}: downgraded in {downgrade_seconds:.1f} s; upgrading one migration at a time")

    stop = threading.Event()
    watchers = []
    if kind == "postgres":
        max_id = max(1, before["counts"]["cases"])
        watchers = [Probe(url, "read", max_id, stop), Probe(url, "write", max_id, stop), LockSampler(url, stop)]
        for watcher in watchers:
            watcher.start()
        time.sleep(0.5)
    steps = []
    total_began = time.perf_counter()
    try:
        for revision in revisions_from(start):
            began = time.perf_counter()
            with app.app_context():
                upgrade(directory=str(generate.MIGRATIONS), revision=revision)
            steps.append({"revision": revision, "start": began, "seconds": time.perf_counter() - began})
            generate.log(f"{kind}: {revision} in {steps[-1]['seconds']:.2f} s")
    finally:
        total = time.perf_counter() - total_began
        stop.set()
        for watcher in watchers:
            watcher.join()
    with app.app_context():
        from caseflow.extensions import db
        db.engine.dispose()

    if watchers:
        read, write, locks = watchers
        for step in steps:
            end = step["start"] + step["seconds"]
            step["worst_read_s"] = worst(read.samples, step["start"], end)
            step["worst_write_s"] = worst(write.samples, step["start"], end)
            step["longest_strong_lock_s"], step["lock_mode"] = longest_hold(locks.samples, step["start"], end)
        probe_errors = [p.error for p in (read, write) if p.error]
    else:
        probe_errors = []
    after = survey(url)
    kept = {t: n for t, n in before["counts"].items() if t != "alembic_version"}
    lost = {t: (n, after["counts"].get(t)) for t, n in kept.items() if after["counts"].get(t) != n
            and t not in ("login_throttles",)}
    return {
        "db": kind, "from": start, "to": after["revision"], "downgrade_seconds": downgrade_seconds,
        "upgrade_seconds": total, "steps": [{k: v for k, v in s.items() if k != "start"} for s in steps],
        "cases": before["counts"]["cases"], "beneficiaries": before["counts"]["beneficiaries"],
        "counts_equal": not lost, "count_differences": lost, "cases_digest_equal": before["cases"] == after["cases"],
        "dropped_by_downgrade": sorted(set(at_head["counts"]) - set(before["counts"])),
        **backfills_right(url), "probe_errors": probe_errors,
    }


def report(result: dict) -> None:
    kind = result["db"]
    print(f"\n{kind}: {result['cases']:,} cases, {result['beneficiaries']:,} beneficiaries; "
          f"{result['from']} -> {result['to']}: {len(result['steps'])} migrations in {result['upgrade_seconds']:.1f} s "
          f"(downgrade first: {result['downgrade_seconds']:.1f} s)")
    probes = kind == "postgres"
    head = f"{'migration':<14}{'seconds':>9}"
    if probes:
        head += f"{'worst read':>12}{'worst write':>13}  longest SHARE+ lock on cases"
    print(head)
    for step in result["steps"]:
        line = f"{step['revision']:<14}{step['seconds']:>9.2f}"
        if probes:
            lock = f"{step['longest_strong_lock_s'] * 1000:.0f} ms ({step['lock_mode']})" if step["lock_mode"] else "none seen"
            line += f"{step['worst_read_s'] * 1000:>10.0f}ms{step['worst_write_s'] * 1000:>11.0f}ms  {lock}"
        print(line)
    print(f"rows: every table present at {result['from']} has the same count after: {result['counts_equal']}"
          f"{'' if result['counts_equal'] else ' ' + str(result['count_differences'])}; "
          f"cases digest equal: {result['cases_digest_equal']}; cases with a wrong district_id: "
          f"{result['cases_with_wrong_district_id']}; status counts match: {result['status_counts_match']}")
    if result["dropped_by_downgrade"]:
        print(f"(tables dropped by the downgrade and rebuilt empty: {', '.join(result['dropped_by_downgrade'])})")
    for error in result["probe_errors"]:
        print(f"probe error: {error}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--from", dest="start", default=FIRST_RELEASE, metavar="REV",
                        help=f"downgrade the copy to this revision first (default {FIRST_RELEASE}, the first release)")
    parser.add_argument("--sqlite-source", metavar="FILE",
                        help="the SQLite database to copy (default: the newest bench/out/sqlite-*-<cases>.db)")
    parser.add_argument("--keep", action="store_true", help="keep the copies afterwards")
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    generate.use_pg_database(args.pg_database)

    generate.OUT.mkdir(parents=True, exist_ok=True)
    results = []
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    print(f"bench.migrate {stamp}, load average {loadavg()}")
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        if kind == "sqlite":
            url = copy_sqlite(sqlite_source(args.cases, args.sqlite_source))
            try:
                results.append(run_one(kind, url, args.start))
            finally:
                if not args.keep:
                    Path(sa.make_url(url).database).unlink(missing_ok=True)
        else:
            copy, url = copy_pg(generate.PG_DATABASE)
            try:
                results.append(run_one(kind, url, args.start))
            finally:
                if not args.keep:
                    drop_pg(copy)
        report(results[-1])
    print(f"load average at the end {loadavg()}")
    out = generate.OUT / f"migrate-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "load_end": loadavg(), "results": results}, indent=2, default=str))
    print(f"raw figures: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
