"""The dashboards on 1,000,000 cases, SQLite and PostgreSQL, beside one bare indexed COUNT.

    .venv/bin/python -m bench.dashboards [--db sqlite|postgres|both] [--cases 1000000] [--repeat 15]

For each database (bench/generate.py's, reused when it matches): take the daily snapshot as the
scheduler would (`flask caseflow snapshot-dashboards`, timed: the refresh cost, paid once a
day, not per page), then
load each dashboard `--repeat` times through the app (signed in as the district in-charge and
as the state-wide supervisor, every period and one district picked by the supervisor) and
report the server time of each page (the WSGI call, from request to the last byte of the
body) — median and worst — beside the baseline measured in the same run: one bare
`SELECT count(*) FROM cases WHERE district_id = ? AND status = 'submitted'` off
ix_cases_district_status, the cheapest question a dashboard could ask the cases themselves.

Budget (DESIGN §6): ≤ 200 ms server time per dashboard. The exit status is 0 even when the
budget is missed: this measures, it does not test.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

from bench import generate

BUDGET_MS = 200.0
SUPERVISOR = "supervisor"


def say(message: str) -> None:
    print(f"[bench.dashboards] {message}", flush=True)


def _timed(work, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench(kind: str, cases: int, repeat: int) -> list[dict]:
    import sqlalchemy as sa

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    from caseflow.dashboards.cli import snapshot_dashboards
    from caseflow.extensions import db

    rows = []
    with app.app_context():
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(snapshot_dashboards, [])
        if result.exit_code != 0:
            raise RuntimeError(f"snapshot-dashboards failed: {result.output}")
        written = int(re.search(r": ([\d,]+) rows", result.output).group(1).replace(",", ""))
        refresh_s = time.perf_counter() - started
        say(f"{kind}: snapshot of {cases:,} cases: {written:,} rows in {refresh_s:.1f} s")
        district = db.session.scalar(sa.text("SELECT ua.area_id FROM user_areas ua JOIN users u ON u.id = ua.user_id "
                                             "WHERE u.username = :name"), {"name": generate.BENCH_USERNAME})
        count = sa.text("SELECT count(*) FROM cases WHERE district_id = :d AND status = 'submitted'")
        baseline = _timed(lambda: db.session.execute(count, {"d": district}).scalar(), repeat)
        db.session.rollback()
    base_ms = statistics.median(baseline)
    rows.append({"db": kind, "page": "baseline: one indexed COUNT", "median_ms": base_ms, "max_ms": max(baseline)})
    pages = [("in-charge, district, 12 months", generate.BENCH_USERNAME, "/dashboard"),
             ("in-charge, district, 24 months", generate.BENCH_USERNAME, "/dashboard?months=24"),
             ("supervisor, state, 12 months", SUPERVISOR, "/dashboard"),
             ("supervisor, state, 24 months", SUPERVISOR, "/dashboard?months=24"),
             ("supervisor, one district, 3 months", SUPERVISOR, f"/dashboard?area={district}&months=3")]
    clients = {}
    for label, user, path in pages:
        client = clients.get(user)
        if client is None:
            client = clients[user] = app.test_client()
            response = client.post("/login", data={"username": user, "password": generate.BENCH_PASSWORD})
            if response.status_code != 302:
                raise RuntimeError(f"signing in as {user} gave {response.status_code}")
        first = client.get(path)
        if first.status_code != 200 or "Figures as of" not in first.get_data(as_text=True):
            raise RuntimeError(f"{path} as {user} gave {first.status_code} without the snapshot's figures")
        times = _timed(lambda c=client, p=path: c.get(p).close(), repeat)
        rows.append({"db": kind, "page": label, "median_ms": statistics.median(times), "max_ms": max(times)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15, help="loads per page (default 15)")
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    generate.use_pg_database(args.pg_database)
    load_before = open("/proc/loadavg").read().strip()
    say(f"load average before: {load_before} on {os.cpu_count()} CPUs (shared: figures are noisy)")
    rows = []
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        rows += bench(kind, args.cases, args.repeat)
    load_after = open("/proc/loadavg").read().strip()
    say(f"load average after: {load_after}")
    base = {r["db"]: r["median_ms"] for r in rows if r["page"].startswith("baseline")}
    print(f"{'db':9} {'page':38} {'median ms':>10} {'max ms':>8} {'× baseline':>11}  budget {BUDGET_MS:.0f} ms")
    missed = 0
    for r in rows:
        is_base = r["page"].startswith("baseline")
        verdict = "" if is_base else ("met" if r["median_ms"] <= BUDGET_MS else "MISSED")
        missed += verdict == "MISSED"
        ratio = "" if is_base else f"{r['median_ms'] / base[r['db']]:.1f}"
        print(f"{r['db']:9} {r['page']:38} {r['median_ms']:10.1f} {r['max_ms']:8.1f} {ratio:>11}  {verdict}")
    say(f"{missed} dashboard(s) MISSED the budget" if missed else "every dashboard within budget")
    generate.OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (generate.OUT / f"dashboards-{stamp}.json").write_text(json.dumps(
        {"args": vars(args), "load_average": {"before": load_before, "after": load_after}, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
