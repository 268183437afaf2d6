"""The case export on the 1,000,000-case bench databases: rows a second, beside the same rows
read by one bare SQL statement.

    .venv/bin/python -m bench.export [--db sqlite|postgres|both] [--cases N]

Signed in (through the Flask test client) as the in-charge of district D01 (about 15,000 open
cases) and as the state-wide supervisor filtered to one scheme and status, it POSTs the
queue's export as CSV and as XLSX and reads the whole body, timing the request; the baseline
is the same cases' columns fetched by one plain SELECT on a DB-API connection (no paging, no
labels, no file). Figures: rows, seconds, rows/s, export / raw as a ratio, peak RSS.
It writes one audit entry per export (as an export does) and otherwise only reads.
"""
import argparse
import resource
import sqlite3
import time
from pathlib import Path

from bench import generate


def say(message: str) -> None:
    print(f"[export] {message}", flush=True)


def _raw(url: str, where: str, args: tuple) -> tuple[int, float]:
    sql = ("SELECT c.reference, c.status, c.level, s.code, a.name_en, c.due_date, c.application_ref, "
           "b.name, b.relative_name, b.mobile, b.aadhaar_last4 FROM cases c JOIN beneficiaries b ON "
           "b.id = c.beneficiary_id JOIN schemes s ON s.id = c.scheme_id JOIN areas a ON a.id = c.area_id "
           f"WHERE {where}")
    started = time.perf_counter()
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1])
        n = len(conn.execute(sql.replace("%s", "?"), args).fetchall())
        conn.close()
    else:
        import psycopg

        with psycopg.connect(generate._pg_conninfo(generate.PG_DATABASE)) as conn:
            n = len(conn.execute(sql, args).fetchall())
    return n, time.perf_counter() - started


def run(kind: str, cases: int) -> None:
    import sqlalchemy as sa

    from caseflow.auth.models import User
    from caseflow.extensions import db
    from caseflow.schemes.models import Scheme
    from caseflow.scope import areas_of

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    with app.app_context():
        incharge = db.session.scalar(sa.select(User).where(User.username == generate.BENCH_USERNAME))
        district_id = areas_of(incharge)[0].id
        scheme_id = db.session.scalar(sa.select(Scheme.id).order_by(Scheme.id).limit(1))
    runs = [
        (generate.BENCH_USERNAME, "status=open", "c.district_id = %s AND c.status IN "
         "('identified','documented','submitted','escalated','sanctioned','rejected')", (district_id,)),
        ("supervisor", f"status=sanctioned&scheme={scheme_id}", "c.status = 'sanctioned' AND c.scheme_id = %s",
         (scheme_id,)),
    ]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    say(f"{kind}: {database.cases:,} cases, load {load}")
    for username, query, where, args in runs:
        client = app.test_client()
        client.post("/login", data={"username": username, "password": generate.BENCH_PASSWORD})
        raw_rows, raw_s = _raw(database.url, where, args)
        for fmt in ("csv", "xlsx"):
            started = time.perf_counter()
            response = client.post(f"/queue/export?{query}", data={"format": fmt})
            body = response.get_data()
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                say(f"  {username} {query} {fmt}: HTTP {response.status_code}")
                continue
            rows = body.count(b"\r\n") - 1 if fmt == "csv" else raw_rows
            say(f"  {username:11} {query:28} {fmt:4}: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s, "
                f"{len(body) / 1e6:.1f} MB; raw SELECT {raw_rows:,} rows in {raw_s:.2f} s "
                f"(export/raw {raw_s / seconds:.2f}×); peak RSS "
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    say(f"load after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    generate.use_pg_database(args.pg_database)
    for kind in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        run(kind, args.cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
