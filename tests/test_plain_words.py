"""Plain words in both languages: how long ago a day was (`relative_day`) and counts grouped the
Indian way (`number`), the one filter of each that every page uses."""
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale

from caseflow.auth.models import User
from caseflow.db import fixed_today
from caseflow.extensions import db
from caseflow.i18n import number, relative_day
from tests.conftest import text_of
from tests.test_bias_helpers import file

TODAY = date(2026, 11, 30)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize(("days", "english", "hindi"), [
    (0, "today", "आज"),
    (1, "yesterday", "बीते कल"),
    (2, "2 days ago", "2 दिन पहले"),
    (3, "3 days ago", "3 दिन पहले"),
    (1500, "1,500 days ago", "1,500 दिन पहले"),
    (-1, "tomorrow", "कल"),
    (-2, "in 2 days", "2 दिन में"),
])
def test_relative_days_read_naturally_in_both_languages(app, days, english, hindi):
    day = TODAY - timedelta(days=days)
    with app.test_request_context(), fixed_today(TODAY):
        for locale, expected in (("en", english), ("hi", hindi)):
            with force_locale(locale):
                assert relative_day(day) == expected
                assert render_template_string("{{ d|relative_day }}", d=day) == expected


def test_relative_day_counts_local_calendar_days_of_a_timestamp(app):
    # 20:00 UTC on the 28th is 01:30 on the 29th in India: "yesterday", not "2 days ago".
    with app.test_request_context(), fixed_today(TODAY), force_locale("en"):
        assert relative_day(datetime(2026, 11, 28, 20, 0)) == "yesterday"
        assert relative_day(None) == ""


@pytest.mark.parametrize(("value", "grouped"), [
    (0, "0"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"), (1234567, "12,34,567"),
    (10000000, "1,00,00,000"),
])
def test_counts_are_grouped_the_indian_way_in_both_languages(app, value, grouped):
    with app.test_request_context():
        for locale in ("en", "hi"):
            with force_locale(locale):
                assert number(value) == grouped
                assert render_template_string("{{ n|number }}", n=value) == grouped


def test_no_page_says_how_long_ago_any_other_way():
    """One filter for relative days: no template builds "N days ago" itself (that is how
    "0 दिन पहले" came about)."""
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if re.search(r"""_\(['"]%\(\w+\)[ds] days ago""", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_bias_report_filed_today_says_today_in_hindi(app, world, client, auth):
    with app.app_context():
        report = file(world)
        supervisor = db.session.get(User, world.supervisor.id)
        supervisor.locale = "hi"
        db.session.commit()
        report_id = report.id
    auth.login(world.supervisor)
    page = text_of(client.get(f"/bias/reports/{report_id}"))
    assert "आज" in page and "0 दिन पहले" not in page
