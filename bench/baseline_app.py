"""The raw baseline: a bare Flask + Jinja page listing the 50 rows of a 50-row SQLite table.

Served by the same gunicorn command as caseflow (`gunicorn -w 2 bench.baseline_app:app`), so
the ratio printed beside each queue figure is what caseflow costs over the bare stack: no
login, no scope, no ORM, one query, one small compiled template.
"""
import os
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from flask import Flask, render_template
from jinja2 import DictLoader

DB_PATH = Path(os.environ.get("CASEFLOW_BASELINE_DB", Path(__file__).resolve().parent / "out" / "baseline.db"))
ROWS = 50

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Queue</title></head><body><main><h1>Queue</h1>
<ul class="queue-list">
{% for row in rows %}  <li><a class="ref" href="/cases/{{ row[0] }}">{{ row[1] }}</a> <span class="badge">{{ row[3] }}</span>
    <div>{{ row[2] }}</div><div class="meta">Due {{ row[4] }}</div></li>
{% endfor %}</ul></main></body></html>
"""


def build(path: Path = DB_PATH) -> Path:
    """(Re)create the 50-row table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, reference TEXT NOT NULL, name TEXT NOT NULL, "
                     "status TEXT NOT NULL, due_date TEXT NOT NULL)")
        start = date(2026, 1, 1)
        conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", [
            (i, f"D01/2026/{i:06d}", f"सुनीता देवी {i}", "submitted", (start + timedelta(days=i)).isoformat())
            for i in range(1, ROWS + 1)
        ])
    conn.close()
    return path


app = Flask(__name__)
app.jinja_loader = DictLoader({"queue.html": PAGE})
_conn: sqlite3.Connection | None = None


def _connection() -> sqlite3.Connection:
    global _conn
    if _conn is None:  # one per worker process, opened after the fork
        _conn = sqlite3.connect(DB_PATH)
    return _conn


@app.get("/")
def queue():
    rows = _connection().execute(
        "SELECT id, reference, name, status, due_date FROM items ORDER BY due_date, id LIMIT ?", (ROWS,)
    ).fetchall()
    return render_template("queue.html", rows=rows)
