"""Queue search on the 1,000,000-case bench databases: each kind of match, its server time,
beside the same look-up as a bare indexed SQL query.

    .venv/bin/python -m bench.search [--db sqlite|postgres|both] [--cases N] [--repeat 30] [--explain]

For each database (generated or reused by bench/generate.py), signed in as the in-charge of
district D01 (about 20,000 cases) and as the state-wide supervisor (every case), and for each
kind of search text — a reference number alone and whole, a mobile number written with +91 and
spaces, an Aadhaar last four, an application and a grievance number in another spelling, a name
in Latin, in Devanagari, misspelt, with its words swapped, and a name nobody has (the slowest:
every candidate is read) — it times, in process, `--repeat` times after one warm-up:

- **search**: `caseflow.cases.search.search()` (parsing, every look-up, ranking, the rows);
- **page**: `GET /queue` through the Flask test client with that search kept in the session
  (the whole page: sign-in check, counts, template), after the search form's POST;
- **raw**: the same look-up of matching case ids as one bare SQL statement (two for names: the
  people, then their cases) on a DB-API connection — no ORM, no ranking, no rows to show.

Figures: median and max in ms, and search / raw as a ratio (DESIGN.md §6: search ≤ 100 ms
server time). `--explain` prints the plan of every statement caseflow ran for each search, so
each can be seen to read an index. It signs in (a session row) and otherwise only reads.
"""
import argparse
import os
import re
import sqlite3
import statistics
import time
from pathlib import Path

from bench import generate

BUDGET_MS = 100.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def say(message: str) -> None:
    print(f"[search] {message}", flush=True)


def _samples(app, district_path: str) -> dict[str, str]:
    """Search texts that match something in district D01, read from the database."""
    import sqlalchemy as sa

    from caseflow.areas.models import subtree_bounds
    from caseflow.beneficiaries.models import Beneficiary
    from caseflow.cases.models import Case
    from caseflow.extensions import db

    lo, hi = subtree_bounds(district_path)
    with app.app_context():
        in_district = sa.and_(Beneficiary.area_path >= lo, Beneficiary.area_path < hi)
        mobile = db.session.scalar(sa.select(Beneficiary.mobile).where(in_district, Beneficiary.mobile.is_not(None))
                                   .order_by(Beneficiary.id).limit(1))
        last4 = db.session.scalar(sa.select(Beneficiary.aadhaar_last4)
                                  .where(in_district, Beneficiary.aadhaar_last4.is_not(None))
                                  .order_by(Beneficiary.id.desc()).limit(1))
        cases_in = sa.and_(Case.area_path >= lo, Case.area_path < hi)
        application = db.session.scalar(sa.select(Case.application_ref).where(cases_in, Case.application_ref.is_not(None))
                                        .order_by(Case.id).limit(1))
        grievance = db.session.scalar(sa.select(Case.grievance_ref).where(cases_in, Case.grievance_ref.is_not(None))
                                      .order_by(Case.id).limit(1))
        reference = db.session.scalar(sa.select(Case.reference).where(cases_in, Case.ref_seq == 92).limit(1))
    return {
        "reference number (92)": "92",
        "reference, whole": reference.lower(),
        "mobile, +91 and spaces": f"+91 {mobile[:5]} {mobile[5:]}",
        "Aadhaar last 4": last4,
        "application number": application.lower().replace("/", " "),
        "grievance number": grievance.replace("/", "-"),
        "name, Latin": "Sunita Verma",
        "name, Devanagari": "सुनीता वर्मा",
        "name, misspelt": "Suneeta",
        "name, words swapped": "Verma Sunita",
        "name nobody has": "Sunita Zzyzx",
    }


def _raw(kind: str, sql_params: tuple[str, list], raw_conn, dialect: str, repeat: int) -> tuple[float, float, int]:
    """Median and max ms of the bare look-up, and how many case ids it found."""
    sql, params = sql_params
    if dialect == "postgresql":
        sql = sql.replace("?", "%s")
    times, found = [], 0
    for n in range(repeat + 1):
        started = time.perf_counter()
        cur = raw_conn.cursor()
        cur.execute(sql, params)
        rows = cur.fetchall()
        if kind.startswith("name") and rows:  # then the people's cases
            people = [r[0] for r in rows]
            marks = ", ".join("%s" if dialect == "postgresql" else "?" for _ in people)
            cur.execute(f"SELECT id FROM cases WHERE beneficiary_id IN ({marks})", people)
            rows = cur.fetchall()
        elapsed = time.perf_counter() - started
        if n:
            times.append(elapsed * 1000)
        found = len(rows)
    return statistics.median(times), max(times), found


def _raw_sql(text: str, scope: dict | None) -> tuple[str, list]:
    """The bare SQL of what `text` looks up (the kinds search.py tries for such a text)."""
    from caseflow.beneficiaries.names import name_tokens
    from caseflow.cases.models import search_key
    from caseflow.identity import normalise_mobile

    case_scope = " AND c.district_id = ?" if scope else ""
    case_params = [scope["district_id"]] if scope else []
    digits = re.sub(r"\D", "", text)
    if re.fullmatch(r"\d{1,9}", text):
        if len(text) == 4:
            return (f"SELECT c.id FROM cases c WHERE c.ref_seq = ?{case_scope} UNION "
                    f"SELECT c.id FROM cases c JOIN beneficiaries b ON b.id = c.beneficiary_id "
                    f"WHERE b.aadhaar_last4 = ?{case_scope} ORDER BY 1 DESC LIMIT 51",
                    [int(text), *case_params, text, *case_params])
        return f"SELECT c.id FROM cases c WHERE c.ref_seq = ?{case_scope} ORDER BY c.id DESC LIMIT 51", \
            [int(text), *case_params]
    if re.fullmatch(r"[a-z0-9]+/\d{4}/\d+", text):
        return f"SELECT c.id FROM cases c WHERE c.reference = ?{case_scope}", [text.upper(), *case_params]
    if text.startswith("+91"):
        return (f"SELECT c.id FROM cases c JOIN beneficiaries b ON b.id = c.beneficiary_id "
                f"WHERE b.mobile = ?{case_scope} ORDER BY c.id DESC LIMIT 51", [normalise_mobile(text), *case_params])
    if digits and len(digits) >= 4:
        key = search_key(text)
        return (f"SELECT c.id FROM cases c WHERE (c.application_key = ? OR c.grievance_key = ?){case_scope} "
                f"ORDER BY c.id DESC LIMIT 51", [key, key, *case_params])
    keys = sorted((k for k, _s in name_tokens(text)), key=len, reverse=True)
    path_scope = " AND t.area_path >= ? AND t.area_path < ?" if scope else ""
    params = [keys[0], *([scope["lo"], scope["hi"]] if scope else [])]
    others = ""
    for key in keys[1:]:
        others += (" AND EXISTS (SELECT 1 FROM beneficiary_name_tokens o WHERE o.beneficiary_id = t.beneficiary_id "
                   "AND o.key = ?)")
        params.append(key)
    return (f"SELECT t.beneficiary_id FROM beneficiary_name_tokens t WHERE t.key = ?{path_scope}{others} "
            f"ORDER BY t.beneficiary_id DESC LIMIT 51", params)


def _time_search(app, user_id: int, text: str, repeat: int, explain: bool):
    from caseflow.auth.models import User
    from caseflow.cases.search import search
    from caseflow.extensions import db

    times, hits, more = [], 0, False
    statements: list[str] = []
    with app.app_context():
        user = db.session.get(User, user_id)
        for n in range(repeat + 1):
            started = time.perf_counter()
            result = search(user, text)
            elapsed = time.perf_counter() - started
            if n:
                times.append(elapsed * 1000)
            hits, more = len(result.hits), result.more
        if explain:
            statements = _plans(app, user, text)
        db.session.rollback()
    return statistics.median(times), max(times), hits, more, statements


def _plans(app, user, text: str) -> list[str]:
    """Each statement one search runs, with its plan (literal values inlined for EXPLAIN)."""
    import sqlalchemy as sa

    from caseflow.cases.search import search
    from caseflow.extensions import db

    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        search(user, text)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    out = []
    sqlite = engine.dialect.name == "sqlite"
    for statement, parameters in captured:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        raw = db.session.connection().connection.driver_connection
        cur = raw.cursor()
        cur.execute(prefix + statement, parameters)
        plan = [str(row[-1]) for row in cur.fetchall()]
        first = " ".join(statement.split())[:110]
        out.append(f"    {first}…\n      plan: " + " | ".join(plan))
    return out


def _page_client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": generate.BENCH_PASSWORD})
    assert response.status_code in (302, 303), f"sign-in as {username} failed: {response.status_code}"
    return client


def _time_page(client, text: str, repeat: int) -> tuple[float, float]:
    posted = client.post("/queue/search", data={"q": text})
    assert posted.status_code == 302, posted.status_code
    times = []
    for n in range(repeat + 1):
        started = time.perf_counter()
        response = client.get("/queue")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if n:
            times.append(elapsed * 1000)
    return statistics.median(times), max(times)


def bench(kind: str, cases: int, repeat: int, explain: bool) -> list[list[str]]:
    import sqlalchemy as sa

    from caseflow.areas.models import Area, subtree_bounds
    from caseflow.auth.models import User
    from caseflow.extensions import db

    database = generate.ensure(kind, cases)
    app = generate.bench_app(database.url)
    with app.app_context():
        incharge = db.session.scalar(sa.select(User).where(User.username == generate.BENCH_USERNAME))
        district = incharge.areas[0]
        lo, hi = subtree_bounds(district.path)
        users = [(f"in-charge ({district.code})", incharge.id, incharge.username,
                  {"district_id": district.id, "lo": lo, "hi": hi}),
                 ("supervisor (state)", db.session.scalar(sa.select(User.id).where(User.username == "supervisor")),
                  "supervisor", None)]
        district_path = db.session.get(Area, district.id).path
    samples = _samples(app, district_path)
    if kind == "sqlite":
        raw_conn = sqlite3.connect(f"file:{database.url.removeprefix('sqlite:///')}?mode=ro", uri=True)
        dialect = "sqlite"
    else:
        import psycopg

        raw_conn = psycopg.connect(generate._pg_conninfo(generate.PG_DATABASE), autocommit=True)
        dialect = "postgresql"
    rows = []
    for label, user_id, username, scope in users:
        client = _page_client(app, username)
        for what, text in samples.items():
            s_med, s_max, hits, more, plans = _time_search(app, user_id, text, repeat, explain)
            p_med, p_max = _time_page(client, text, max(5, repeat // 3))
            r_med, r_max, found = _raw(what, _raw_sql(text, scope), raw_conn, dialect, repeat)
            rows.append([kind, label, what, f"{hits}{'+' if more else ''}", f"{s_med:.2f}", f"{s_max:.2f}",
                         f"{p_med:.1f} ({p_max:.0f})", f"{r_med:.2f}", f"{s_med / r_med:.1f}×" if r_med else "-",
                         "ok" if p_max <= BUDGET_MS else "MISSED"])
            if explain:
                say(f"{kind} {label} {what!r}:")
                for line in plans:
                    print(line)
    raw_conn.close()
    with app.app_context():
        db.engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per search (default 30)")
    parser.add_argument("--explain", action="store_true", help="print the plan of every statement a search runs")
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    generate.use_pg_database(args.pg_database)
    os.environ.setdefault("CASEFLOW_CONFIG", "production")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    say(f"{started}; load average before: {loadavg()}")
    rows = []
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        rows += bench(kind, args.cases, args.repeat, args.explain)
    say(f"load average after: {loadavg()}")
    header = ["db", "user", "search", "cases", "search ms", "max", "page ms (max)", "raw ms", "search/raw",
              f"page max ≤ {BUDGET_MS:.0f} ms"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for n, row in enumerate([header, *rows]):
        print("  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                                                   strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()
    missed = sum(row[-1] == "MISSED" for row in rows)
    say(f"{missed} search page(s) over {BUDGET_MS:.0f} ms" if missed else "every search page within budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
