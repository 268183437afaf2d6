"""One local date: the organisation's time zone (TIMEZONE, from CASEFLOW_TIMEZONE) decides every
day stored, shown or printed.

The moment these tests pin is 00:30 in India on 10 March 2026, stored as 19:00 UTC on 9 March:
the half hour after midnight in which a UTC day shows yesterday.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import render_template_string

from caseflow import create_app
from caseflow.audit.models import AuditEntry
from caseflow.bias.models import BiasEvent, BiasReport, IdentityReveal
from caseflow.cases.models import CaseEvent
from caseflow.db import DEFAULT_TIMEZONE, local_date, local_midnight, local_now, today
from caseflow.extensions import db
from tests.conftest import test_config, text_of
from tests.test_bias_helpers import file

STORED = datetime(2026, 3, 9, 19, 0)  # naive UTC, as every timestamp is stored
INDIA_DAY, UTC_DAY = "10/03/2026", "09/03/2026"


@pytest.fixture
def zone(app, monkeypatch):
    """Switch the organisation's zone of the running app for one test."""
    def use(name: str):
        monkeypatch.setitem(app.config, "TIMEZONE", name)

    return use


def test_the_default_zone_is_india(app):
    assert DEFAULT_TIMEZONE == "Asia/Kolkata" and app.config["TIMEZONE"] == "Asia/Kolkata"
    with app.app_context():
        assert local_date(STORED) == date(2026, 3, 10)
        assert local_midnight(date(2026, 3, 10)) == datetime(2026, 3, 9, 18, 30)


def test_the_configured_zone_decides_today_and_every_local_date(app, zone):
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: never on the same day.
    days = {}
    for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        zone(name)
        with app.app_context():
            before = datetime.now(ZoneInfo(name)).date()
            days[name] = today()
            assert days[name] in {before, datetime.now(ZoneInfo(name)).date()}
            assert local_now().utcoffset() == ZoneInfo(name).utcoffset(local_now().replace(tzinfo=None))
    assert days["Pacific/Kiritimati"] > days["Pacific/Pago_Pago"]
    zone("UTC")
    with app.app_context():
        assert local_date(STORED) == date(2026, 3, 9)


def test_the_date_filters_show_a_timestamp_on_the_local_day(app, zone):
    with app.test_request_context():
        shown = render_template_string("{{ t|indian_date }}|{{ d|indian_date }}|{{ t|local_time }}",
                                       t=STORED, d=date(2026, 3, 9))
        assert shown == f"{INDIA_DAY}|{UTC_DAY}|{INDIA_DAY} 00:30"
    zone("Europe/London")
    with app.test_request_context():
        assert render_template_string("{{ t|indian_date }} {{ t|local_time(true) }}", t=STORED) == \
            f"{UTC_DAY} {UTC_DAY} 19:00:00"


def test_an_unknown_zone_stops_the_app_at_start_up(database_url):
    with pytest.raises(ValueError, match="CASEFLOW_TIMEZONE must be an IANA time zone"):
        create_app(test_config(database_url, TIMEZONE="Asia/Nowhere"))


def test_config_reads_the_zone_from_the_environment(monkeypatch):
    import importlib

    import config

    try:
        monkeypatch.delenv("CASEFLOW_TIMEZONE", raising=False)
        assert importlib.reload(config).Config.TIMEZONE == "Asia/Kolkata"
        monkeypatch.setenv("CASEFLOW_TIMEZONE", "Asia/Kathmandu")
        assert importlib.reload(config).Config.TIMEZONE == "Asia/Kathmandu"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


# --- the pages at 00:30 in India ------------------------------------------------------------------


def _move_to_half_past_midnight(model, *where):
    db.session.execute(sa.update(model).where(*where).values(at=STORED))


def test_at_half_past_midnight_in_india_every_page_shows_todays_date(app, world, client, auth):
    with app.app_context():
        report = file(world)
        case_id, report_id = report.case_id, report.id
        db.session.add(IdentityReveal(report_id=report_id, viewer_id=world.supervisor.id, reason="Checking a threat"))
        db.session.flush()
        _move_to_half_past_midnight(CaseEvent, CaseEvent.case_id == case_id)
        _move_to_half_past_midnight(BiasEvent, BiasEvent.report_id == report_id)
        _move_to_half_past_midnight(IdentityReveal, IdentityReveal.report_id == report_id)
        _move_to_half_past_midnight(AuditEntry, AuditEntry.object_type == "cases",
                                    AuditEntry.object_id == str(case_id))
        db.session.execute(sa.update(BiasReport).where(BiasReport.id == report_id).values(filed_at=STORED))
        db.session.commit()
    auth.login(world.supervisor)

    case_page = text_of(client.get(f"/cases/{case_id}"))
    timeline = case_page.split("Timeline", 1)[1]
    assert timeline.count(INDIA_DAY) == 3 and UTC_DAY not in case_page  # opened, verified, submitted

    audit_page = text_of(client.get(f"/audit/cases/{case_id}"))
    assert f"{INDIA_DAY} 00:30:00" in audit_page and UTC_DAY not in audit_page

    bias_page = text_of(client.get(f"/bias/reports/{report_id}"))
    assert f"Filed {INDIA_DAY}" in bias_page  # the report's "filed" date
    assert f"{INDIA_DAY} 00:30" in bias_page  # the reveal log
    assert bias_page.split("Timeline", 1)[1].count(INDIA_DAY) == 1  # the review timeline
    assert UTC_DAY not in bias_page
    with app.app_context():
        ago = f"{(today() - date(2026, 3, 10)).days} days ago"  # counted in local days, as the dates are shown
    assert f"Filed {INDIA_DAY} · {world.incharge.display_name} · {ago}" in bias_page

    queue = text_of(client.get("/bias?age=0"))
    assert f"Filed {INDIA_DAY} · {ago}" in queue and UTC_DAY not in queue
