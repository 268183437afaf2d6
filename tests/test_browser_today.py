"""A real browser on a 360 px phone: an in-charge signs in, lands on Today, sees the badge and
every section without any horizontal overflow, in English and in Hindi, with JavaScript on and
off, and reaches the action of a row in one tap (the case page, scrolled to the step)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from caseflow.cases.models import Channel
from caseflow.cases.services import log_follow_up
from caseflow.db import today
from caseflow.extensions import db
from tests.browser_support import OVERFLOW_TOLERANCE, PHONE
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser


def _world(app, locale: str = "en") -> dict:
    with app.app_context():
        world = World()
        world.incharge.locale = locale
        on = today()
        overdue = world.case(status="submitted", person=world.person(name="Kamla Bai Ahirwar Kushwaha"))
        overdue.due_date = on - timedelta(days=4)
        promised = world.case(status="submitted")
        log_follow_up(promised, world.incharge, expected_version=promised.version, channel=Channel.PHONE,
                      response="Will sanction by Friday", promised_date=on + timedelta(days=2))
        world.case(status="escalated")  # drafts a letter
        sanctioned = world.case(status="sanctioned")
        db.session.commit()
        return {"incharge": world.incharge.username, "overdue": overdue.id, "overdue_ref": overdue.reference,
                "sanctioned": sanctioned.id}


def _sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/today")


def test_incharge_lands_on_today_and_taps_through_to_the_action(app, phone, live_server):
    made = _world(app)
    page = phone.page
    _sign_in(page, phone.base_url, made["incharge"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    expect(page.get_by_test_id("today-badge")).to_have_text("1")
    for key in ("overdue", "due_today", "due_week", "promised", "drafted", "unacknowledged", "delivery"):
        expect(page.locator(f"section#{key}")).to_have_count(1)
    expect(page.locator("section#overdue")).to_contain_text("4 days ago")
    expect(page.locator("section#promised")).to_contain_text("in 2 days")
    phone.fits("Today")
    page.locator("section#overdue li a.button").first.click()
    page.wait_for_url(f"{phone.base_url}/cases/{made['overdue']}#actions")
    expect(page.get_by_role("heading", level=1)).to_contain_text(made["overdue_ref"])
    page.go_back()
    page.locator("section#delivery li a.button").first.click()
    page.wait_for_url(f"{phone.base_url}/cases/{made['sanctioned']}#step-deliver")
    phone.no_problems()


def test_today_in_hindi_with_javascript_off_fits_a_phone(app, browser, live_server):
    made = _world(app, locale="hi")
    context = browser.new_context(viewport=PHONE, locale="hi-IN", java_script_enabled=False, device_scale_factor=1)
    try:
        page = context.new_page()
        _sign_in(page, live_server.url, made["incharge"])
        expect(page.get_by_role("heading", level=1)).to_have_text("आज")
        expect(page.locator("section#overdue")).to_contain_text("4 दिन पहले")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width - PHONE["width"] <= OVERFLOW_TOLERANCE, f"Today in Hindi is {width} px wide"
        page.locator("section#overdue li a.ref").first.click()
        page.wait_for_url(f"{live_server.url}/cases/{made['overdue']}#actions")
    finally:
        context.close()
