"""A real browser on a phone-sized screen walks the in-charge's daily path.

Guards what the HTTP-level tests cannot see: that the login form, the queue and the case page
work in Chromium with CSRF on and the Content-Security-Policy enforced (no console errors, no
CSP violations), that the case page's action and follow-up forms submit from a browser
(including the native date input), and that nothing overflows a 360 px wide screen, even with
the longest references the forms accept; and that an in-charge whose language is Hindi gets
the same walk in Hindi.
"""
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from caseflow.cases.services import transition
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days
from tests.browser_support import OVERFLOW_TOLERANCE, Phone, closed
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_incharge_logs_follow_up_and_records_submission_on_a_phone(app, phone, tmp_path):
    with app.app_context():
        w = World()
        case = w.case(status="documented")
        db.session.commit()
        case_id, reference, incharge = case.id, case.reference, w.incharge.username
    page = phone.page

    # Sign in through the form; CSRF is on, so the page's token must be the one accepted.
    phone.login(incharge)
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the queue is wider than a 360 px screen"

    # Open the case from its reference link in the queue.
    page.get_by_test_id("queue").get_by_role("link", name=reference).click()
    page.wait_for_url(f"{phone.base_url}/cases/{case_id}")
    status = page.get_by_test_id("status")
    expect(status).to_have_text("Documented")
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the case page is wider than a 360 px screen"

    # Log a follow-up: it shows at the top of the timeline.
    page.get_by_label("What they said").fill("Secretary says the file goes to the Janpad on Monday")
    page.get_by_label("Contacted by").select_option(label="Visit")
    page.get_by_role("button", name="Save follow-up").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up saved.")
    latest = page.locator("ol.timeline > li").first
    expect(latest).to_contain_text("Follow-up (Visit)")
    expect(latest).to_contain_text("Secretary says the file goes to the Janpad on Monday")
    expect(status).to_have_text("Documented")

    # Record the submission from its collapsed action, through the browser's own date input.
    action = page.locator('details[data-action="submit"]')
    expect(action).not_to_have_attribute("open", re.compile(".*"))
    action.locator("summary").click()
    expect(action).to_have_attribute("open", re.compile(".*"))
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the open action form is wider than a 360 px screen"
    applied = today() - timedelta(days=3)
    action.get_by_label("Application reference").fill("PMAYG/2026/0099")
    date_input = action.get_by_label("Application date")
    assert date_input.get_attribute("type") == "date"
    date_input.fill(applied.isoformat())
    action.get_by_role("button", name="Record submission").click()

    expect(status).to_have_text("Submitted")
    expect(page.get_by_role("status")).to_contain_text("Submitted")
    expect(phone.fact("Application")).to_have_text(f"PMAYG/2026/0099 · {applied:%d/%m/%Y}")
    expect(page.locator("ol.timeline > li").first).to_contain_text("Documented → Submitted")
    # Level 1 of the ladder: 15 working days from today in India (no holidays are set up).
    # Both ends of the test are accepted, so a run across midnight still passes.
    with app.app_context():
        expected = {add_working_days(day, 15).strftime("%d/%m/%Y") for day in (applied + timedelta(days=3), today())}
    due = phone.fact("Due date").inner_text().strip()
    assert due in expected, f"due date {due!r}, expected one of {expected}"
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the submitted case page is wider than a 360 px screen"

    shot = tmp_path / "case.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    phone.no_problems()


def test_longest_references_do_not_widen_the_case_page(app, phone):
    # The forms accept references of up to 60 characters, and government numbers have no spaces.
    long_ref = "PMAYG2026MP17SEHOREASHTARAMPUR" + "0" * 30
    assert len(long_ref) == 60
    with app.app_context():
        w = World()
        case = w.case(status="documented")
        transition(case, w.incharge, "submit", {"application_ref": long_ref, "application_date": today(),
                                                "grievance_ref": long_ref}, expected_version=case.version)
        transition(case, w.incharge, "sanction", {"sanction_ref": long_ref, "sanction_date": today()},
                   expected_version=case.version)
        db.session.commit()
        case_id, incharge = case.id, w.incharge.username

    phone.login(incharge)
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the queue is wider than a 360 px screen"
    phone.page.goto(f"{phone.base_url}/cases/{case_id}")
    expect(phone.page.get_by_test_id("status")).to_have_text("Sanctioned")
    expect(phone.fact("Sanction order")).to_contain_text(long_ref)
    assert phone.overflow() <= OVERFLOW_TOLERANCE, (
        f"a 60-character reference makes the case page {phone.overflow()} px wider than a 360 px screen")
    phone.no_problems()


def hindi(app, *english: str) -> dict[str, str]:
    """The Hindi the catalogue gives for each English text; each must really be Hindi."""
    with app.test_request_context(), force_locale("hi"):
        labels = {text: gettext(text) for text in english}
    untranslated = [text for text, shown in labels.items() if not re.search(r"[\u0900-\u097F]", shown)]
    assert untranslated == [], f"no Hindi for {untranslated}"
    return labels


def test_a_hindi_speaking_incharge_logs_a_follow_up_in_hindi(app, browser, live_server):
    with app.app_context():
        w = World()
        w.incharge.locale = "hi"
        case = w.case(status="documented")
        db.session.commit()
        case_id, reference, incharge = case.id, case.reference, w.incharge.username
    hi = hindi(app, "Username", "Password", "Sign in", "My queue", "Documented", "What they said",
               "Contacted by", "Visit", "Save follow-up", "Follow-up saved.", "Follow-up")
    phone = Phone(browser, live_server.url, locale="hi-IN")
    page = phone.page
    try:
        # The sign-in page follows the browser's language, the queue the user's.
        phone.login(incharge, labels=hi)
        expect(page.locator("html")).to_have_attribute("lang", "hi")
        phone.fits("the Hindi queue")

        page.get_by_test_id("queue").get_by_role("link", name=reference).click()
        page.wait_for_url(f"{phone.base_url}/cases/{case_id}")
        expect(page.get_by_test_id("status")).to_have_text(hi["Documented"])
        phone.fits("the Hindi case page")

        note = "सचिव ने कहा कि फ़ाइल सोमवार को जनपद जाएगी"
        page.get_by_label(hi["What they said"]).fill(note)
        page.get_by_label(hi["Contacted by"]).select_option(label=hi["Visit"])
        page.get_by_role("button", name=hi["Save follow-up"]).click()
        expect(page.get_by_role("status")).to_contain_text(hi["Follow-up saved."])
        latest = page.locator("ol.timeline > li").first
        expect(latest).to_contain_text(f"{hi['Follow-up']} ({hi['Visit']})")
        expect(latest).to_contain_text(note)
        expect(page.get_by_test_id("status")).to_have_text(hi["Documented"])

        # None of the walk's English labels is left on the page.
        shown = page.locator("main").inner_text()
        assert [text for text in hi if re.search(rf"\b{re.escape(text)}\b", shown)] == []
        phone.fits("the Hindi case page after the follow-up")
        phone.no_problems()
    finally:
        closed(phone)
