"""The limit page: the fastest page this stack can serve for the queue's work.

Same gunicorn command, same session sign-in as caseflow (Flask's signed cookie, read with the
same secret, and one look-up of the server-side session joined to the user and their areas),
then one plain SQL query for the same 50 rows the queue shows first (open cases of the user's
scope, by due date, with the beneficiary's name, the scheme's code and the settlement's name
joined) and a plain Jinja template. No ORM, no Babel, no CSRF, no counts, no filters, no
standing. bench/run.py checks it lists the same references as the real page.

    CASEFLOW_DATABASE_URL=... CASEFLOW_SECRET_KEY=... gunicorn -w 2 bench.limit_app:app
"""
import hashlib
import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, abort, render_template, session
from jinja2 import DictLoader

URL = os.environ.get("CASEFLOW_DATABASE_URL", "")
ROWS = 50
# caseflow.cases.models.OPEN_STATUSES, written out: this app imports nothing of caseflow.
OPEN = ("identified", "documented", "submitted", "escalated", "sanctioned", "rejected")

PAGE = """<!doctype html>
<html lang="{{ locale }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Queue</title></head><body><main><h1>Queue</h1>
<ul class="queue-list">
{% for id, ref, status, level, due, name, code, area_en, area_hi in rows %}  <li><a class="ref" href="/cases/{{ id }}">{{ ref }}</a> <span class="badge">{{ status }}</span>
    <div>{{ name }} · {{ code }}</div><div class="meta">{{ area_hi if hindi else area_en }} · Due {{ due }}{% if level %} · Level {{ level }}{% endif %}</div></li>
{% endfor %}</ul></main></body></html>
"""

app = Flask(__name__)
app.secret_key = os.environ.get("CASEFLOW_SECRET_KEY")
app.jinja_loader = DictLoader({"queue.html": PAGE})
_conn = None

SESSION_SQL = (
    "SELECT u.locale, a.kind, a.id FROM user_sessions s JOIN users u ON u.id = s.user_id "
    "JOIN user_areas ua ON ua.user_id = u.id JOIN areas a ON a.id = ua.area_id "
    "WHERE s.token_hash = {p} AND s.expires_at > {p} AND u.active"
)
ROWS_SQL = (
    "SELECT c.id, c.reference, c.status, c.level, c.due_date, b.name, sc.code, a.name_en, a.name_hi "
    "FROM cases c JOIN beneficiaries b ON b.id = c.beneficiary_id JOIN schemes sc ON sc.id = c.scheme_id "
    "JOIN areas a ON a.id = c.area_id "
    "WHERE {scope} c.status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ") AND c.due_date IS NOT NULL ORDER BY c.due_date, c.id LIMIT 50"
)


def _connection():
    global _conn
    if _conn is None:  # one per worker process, opened after the fork
        if URL.startswith("sqlite"):
            _conn = sqlite3.connect(URL.split("///", 1)[1], check_same_thread=False)
        else:
            import psycopg

            _conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return _conn


def _param() -> str:
    return "?" if URL.startswith("sqlite") else "%s"


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/queue")
def queue():
    token = session.get("_user_id")
    if not token:
        abort(401)
    conn = _connection()
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if URL.startswith("sqlite") else now
    areas = conn.execute(SESSION_SQL.format(p=_param()),
                         (hashlib.sha256(token.encode()).hexdigest(), stamp)).fetchall()
    if not areas:
        abort(401)
    # The bench's users: an in-charge of one district, or a supervisor of the (only) state.
    districts = [area_id for _locale, kind, area_id in areas if kind == "district"]
    if districts:
        rows = conn.execute(ROWS_SQL.format(scope=f"c.district_id = {_param()} AND"), (districts[0],)).fetchall()
    else:
        rows = conn.execute(ROWS_SQL.format(scope="")).fetchall()
    return render_template("queue.html", rows=rows, locale=areas[0][0], hindi=areas[0][0] == "hi")
