"""A real browser on a phone-sized screen walks the in-charge's daily path.

Guards what the HTTP-level tests cannot see: that the login form, the queue and the case page
work in Chromium with CSRF on and the Content-Security-Policy enforced (no console errors, no
CSP violations), that the case page's action and follow-up forms submit from a browser
(including the native date input), and that nothing overflows a 360 px wide screen, even with
the longest references the forms accept.
"""
import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.cases.services import transition
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days
from tests import conftest
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` cannot download browsers here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
OVERFLOW_TOLERANCE = 2  # px: sub-pixel rounding, not a layout that spills off the screen

# Reports every Content-Security-Policy violation to Python, on every page the browser opens.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.documentURI}`);
});
"""


@pytest.fixture
def live_server(app, database_url, committed_db):
    """The app with CSRF on, served over real HTTP on a free port of 127.0.0.1 from a thread.

    Same database as `app` (whose fixture built the schema); the server's own connections see
    only committed data, hence `committed_db`, whose clean-up runs after the server is down.
    """
    # SERVER_NAME off: the browser addresses the server as 127.0.0.1:<port>, not "localhost".
    live_app = create_app(conftest.test_config(database_url, WTF_CSRF_ENABLED=True, SERVER_NAME=None))
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Phone:
    """A fresh 360 × 740 browser tab that records console errors, page errors and CSP violations."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=PHONE, locale="en-IN", device_scale_factor=1)
        self.context.expose_function("reportCspViolation", lambda text: self.problems.append(f"CSP: {text}"))
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.set_default_timeout(10_000)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.problems.append(f"console: {msg.text} [{msg.location.get('url')}]")

    def login(self, username: str) -> None:
        page = self.page
        page.goto(f"{self.base_url}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My queue")
        assert page.url == f"{self.base_url}/queue"

    def overflow(self) -> int:
        """How many pixels the page is wider than the screen (0 when it fits)."""
        return max(0, self.page.evaluate("document.documentElement.scrollWidth") - PHONE["width"])

    def fact(self, label: str):
        """The value (dd) next to the term (dt) `label` in the case page's fact lists."""
        term = self.page.locator("dl.facts > dt").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
        return term.locator("xpath=following-sibling::dd[1]")


@pytest.fixture
def phone(browser, live_server):
    expect.set_options(timeout=10_000)
    tab = Phone(browser, live_server)
    yield tab
    tab.context.close()


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
    page.locator(".queue-list").get_by_role("link", name=reference).click()
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

    assert phone.problems == [], "console errors or CSP violations:\n" + "\n".join(phone.problems)


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
    assert phone.problems == [], "console errors or CSP violations:\n" + "\n".join(phone.problems)
