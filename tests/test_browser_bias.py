"""A real browser on a phone-sized screen walks the supervisor's bias review.

A supervisor opens the bias queue, takes a report, reveals the complainant with a reason,
records a substantiated finding against a sarpanch (which then waits for a second supervisor);
a second supervisor signs in on another phone, sees who looked at the identity and why, and
confirms the finding. Guards what HTTP tests cannot see: the forms work in Chromium with CSRF
on and the Content-Security-Policy enforced (the pattern charts are inline SVG, no script, no
inline style), and nothing is wider than a 360 px screen.
"""
import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.bias.models import BiasReport, Finding, IdentityReveal, ReviewStatus
from caseflow.extensions import db
from tests import conftest
from tests.conftest import PASSWORD, World
from tests.test_bias_helpers import COMPLAINANT_NAME, file, supervisor

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` cannot download browsers here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
OVERFLOW_TOLERANCE = 2  # px: sub-pixel rounding, not a layout that spills off the screen

CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.documentURI}`);
});
"""


@pytest.fixture
def live_server(app, database_url, committed_db):
    """The app with CSRF on, served over real HTTP on a free port of 127.0.0.1 from a thread."""
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

    def overflow(self) -> int:
        return max(0, self.page.evaluate("document.documentElement.scrollWidth") - PHONE["width"])

    def fits(self, what: str) -> None:
        assert self.overflow() <= OVERFLOW_TOLERANCE, f"{what} is {self.overflow()} px wider than a 360 px screen"

    def action(self, name: str):
        """Open a collapsed action (details) of the report page and return it."""
        details = self.page.locator(f'details[data-action="{name}"]')
        details.locator("summary").click()
        expect(details).to_have_attribute("open", re.compile(".*"))
        return details


@pytest.fixture
def phones(browser, live_server):
    expect.set_options(timeout=10_000)
    tabs = [Phone(browser, live_server), Phone(browser, live_server)]
    yield tabs
    for tab in tabs:
        tab.context.close()


def test_supervisor_reviews_reveals_and_a_second_supervisor_confirms(app, phones):
    with app.app_context():
        w = World()
        second = supervisor("second", [w.state], "Second Supervisor")
        report = file(w)
        db.session.commit()
        report_id, reference = report.id, report.case.reference
        first_user, first_id, second_user, second_id = w.supervisor.username, w.supervisor.id, second.username, second.id
    first_phone, second_phone = phones
    page = first_phone.page

    # The queue: open reports, oldest first.
    first_phone.login(first_user)
    page.goto(f"{first_phone.base_url}/bias")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bias reports")
    first_phone.fits("the bias queue")
    queue = page.get_by_test_id("bias-queue")
    expect(queue).to_contain_text(reference)
    expect(queue).not_to_contain_text(COMPLAINANT_NAME)
    queue.get_by_role("link", name=f"Report {report_id}").click()
    page.wait_for_url(f"{first_phone.base_url}/bias/reports/{report_id}")
    status = page.get_by_test_id("review-status")
    expect(status).to_have_text("Filed")
    expect(page.get_by_test_id("complainant")).not_to_contain_text(COMPLAINANT_NAME)
    first_phone.fits("the report page")

    # Take it for review.
    first_phone.action("take").get_by_role("button", name="Take for review").click()
    expect(status).to_have_text("In review")

    # Reveal who complained, with a reason: shown on this response only.
    reveal = first_phone.action("reveal")
    reveal.get_by_label("Why do you need to see who complained?").fill("Planning a protection visit before the hearing")
    reveal.get_by_role("button", name="Show who complained").click()
    expect(page.get_by_test_id("complainant-name")).to_have_text(COMPLAINANT_NAME)
    first_phone.fits("the revealed identity")

    # Record a substantiated finding against the sarpanch: it waits for a second supervisor.
    finding = first_phone.action("record_finding")
    finding.get_by_label("Finding").select_option(label="Substantiated")
    finding.get_by_label("Reasons").fill("Two neighbours heard the sarpanch refuse her for how she voted.")
    first_phone.fits("the open finding form")
    finding.get_by_role("button", name="Record finding").click()
    expect(status).to_have_text("Awaiting confirmation")
    expect(page.get_by_test_id("awaiting")).to_be_visible()
    expect(page.get_by_test_id("complainant")).not_to_contain_text(COMPLAINANT_NAME)  # gone after the reveal view
    expect(page.locator('details[data-action="confirm"]')).to_have_count(0)  # not for the one who found

    # The second supervisor, on another phone, sees the reveal log and confirms.
    second_phone.login(second_user)
    other = second_phone.page
    other.goto(f"{second_phone.base_url}/bias/reports/{report_id}")
    expect(other.get_by_test_id("review-status")).to_have_text("Awaiting confirmation")
    reveals = other.get_by_test_id("reveals")
    expect(reveals).to_contain_text("Supervisor")
    expect(reveals).to_contain_text("Planning a protection visit before the hearing")
    expect(other.get_by_test_id("complainant")).not_to_contain_text(COMPLAINANT_NAME)
    second_phone.action("confirm").get_by_role("button", name="Confirm the finding").click()
    expect(other.get_by_test_id("review-status")).to_have_text("Concluded")
    expect(other.get_by_test_id("finding")).to_have_text("Substantiated")
    expect(other.get_by_test_id("confirmed-by")).to_contain_text("Second Supervisor")
    second_phone.fits("the concluded report")

    # The pattern view draws its charts without breaking the CSP or the screen width.
    other.goto(f"{second_phone.base_url}/bias/patterns")
    expect(other.get_by_test_id("not-a-finding")).to_have_text("A signal to look at, not a finding.")
    assert other.locator("svg.chart").count() >= 2
    second_phone.fits("the pattern view")

    with app.app_context():
        stored = db.session.get(BiasReport, report_id)
        assert (stored.status, stored.finding, stored.finding_by_id, stored.confirmed_by_id) == (
            ReviewStatus.CONCLUDED, Finding.SUBSTANTIATED, first_id, second_id)
        reveals = db.session.query(IdentityReveal).all()
        assert [(r.viewer_id, r.reason) for r in reveals] == [
            (first_id, "Planning a protection visit before the hearing")]

    problems = first_phone.problems + second_phone.problems
    assert problems == [], "console errors or CSP violations:\n" + "\n".join(problems)
