"""`make soak`'s machinery (bench/soak.py, bench/soak_locust.py), run for a few seconds on SQLite
so it cannot rot: gunicorn with the shipped config, a job worker, Locust users signing in and
writing, both kills, and every check. It asserts what the soak checks — never how fast."""
import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bench import soak
from bench.soak_locust import fill, forms_of

ROOT = Path(__file__).resolve().parent.parent

CASE_PAGE = """
<form method="post" action="/language"><input name="csrf_token" type="hidden" value="t"></form>
<form method="post" action="/cases/7/do/close" novalidate>
  <input id="close-csrf_token" name="close-csrf_token" type="hidden" value="tok">
  <input id="close-version" name="close-version" type="hidden" value="4">
  <select name="close-close_reason" required><option value="">—</option><option value="duplicate">Dup</option></select>
  <textarea name="close-reason"></textarea>
</form>
<form method="post" action="/cases/7/follow-up" novalidate>
  <input name="fu-csrf_token" type="hidden" value="tok"><input name="fu-version" type="hidden" value="4">
  <select name="fu-office"><option value="0">Other</option><option value="28">Office</option></select>
  <textarea name="fu-response" required></textarea>
  <input name="fu-promised_date" type="date" value="">
</form>
<form method="post" action="/cases/7/do/deliver">
  <input name="deliver-version" type="hidden" value="4"><input name="deliver-proof_of_delivery" type="text">
  <input name="deliver-delivered_on" type="date"><input name="deliver-beneficiary_confirmed" type="checkbox" value="y">
  <textarea name="deliver-override_reason"></textarea>
</form>
"""


def test_forms_are_filled_as_a_careful_user_would():
    forms = forms_of(CASE_PAGE)
    assert set(forms) == {"/language", "/cases/7/do/close", "/cases/7/follow-up", "/cases/7/do/deliver"}
    assert fill(forms["/cases/7/do/close"], "S1-2-3") == {
        "close-csrf_token": "tok", "close-version": "4", "close-close_reason": "duplicate",
        "close-reason": "Soak note S1-2-3"}
    follow_up = fill(forms["/cases/7/follow-up"], "S1-2-4")
    assert follow_up["fu-office"] == "28" and follow_up["fu-response"].endswith("S1-2-4")
    assert follow_up["fu-promised_date"] == ""
    deliver = fill(forms["/cases/7/do/deliver"], "S1-2-5")
    assert deliver["deliver-proof_of_delivery"] == "S1-2-5" and deliver["deliver-beneficiary_confirmed"] == "y"
    assert "deliver-override_reason" not in deliver  # a supervisor's field, never an in-charge's


def test_durations():
    assert [soak.seconds(t) for t in ("30m", "10m", "90s", "1h", "45")] == [1800, 600, 90, 3600, 45]


def test_a_short_soak_on_sqlite_loses_nothing(tmp_path):
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--database-url", f"sqlite:///{tmp_path / 'soak.db'}",
         "--cases", "40", "--duration", "10s", "--users", "4", "--spawn-rate", "4", "--warmup", "1",
         "--wait-min", "0.1", "--wait-max", "0.4", "--lock-timeout", "3", "--ratelimit-storage", "memory://",
         "--out", str(tmp_path / "out"), "--json", str(report_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert report_path.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checks = report["checks"]
    for name in ("no errors", "writes were made", "no lost updates", "every job done once", "audit chain verifies"):
        assert checks[name], (name, done.stdout[-4000:])
    assert report["requests"] > 0 and report["errors"] == []
    assert {kill["what"].split()[0] for kill in report["kills"]} == {"gunicorn", "job"}
    assert report["jobs"]["jobs_by_state"].get("done", 0) > 0
    assert report["memory"] and all(m["pid"] > 0 for m in report["memory"])
    # The whole report prints, and the exit status is the checks' (memory may move in 10 s).
    assert "PASS  no lost updates" in done.stdout
    assert done.returncode == (0 if all(checks.values()) else 1)

    # The write check is not vacuous: a write the server never saw is reported lost.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'soak.db'}")
    try:
        acks = [{"kind": "follow-up", "case_id": 1, "marker": "Sfake-1-1"},
                {"kind": "step", "case_id": 1, "trigger": "close", "marker": "Sfake-1-2"}]
        result = soak.check_writes(engine, {"event_id": 0, "letter_id": 0}, acks, "Sfake")
    finally:
        engine.dispose()
    assert (result["acknowledged"], result["lost"]) == (2, 2)
