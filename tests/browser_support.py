"""What the browser tests share: the app served over real HTTP, Debian's Chromium driven by
Playwright, and a phone-sized tab that records console errors and CSP violations.

A pytest plugin (listed in tests/conftest.py), so every test module can ask for `live_server`,
`browser`, `phone` and `phones`. Chromium is the one named by CASEFLOW_CHROMIUM, else the
`chromium` on PATH (Debian's package): `playwright install` cannot download browsers here.
"""
import os
import re
import shutil
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.extensions import db
from tests import conftest
from tests.conftest import PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
OVERFLOW_TOLERANCE = 2  # px: sub-pixel rounding, not a layout that spills off the screen
TIMEOUT_MS = 10_000

# Reports every Content-Security-Policy violation to Python, on every page the browser opens.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.documentURI}`);
});
"""


def chromium_path() -> str:
    path = os.environ.get("CASEFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("the browser tests need Chromium: `apt-get install chromium` (as .ci/run does), "
                    "or set CASEFLOW_CHROMIUM to its path")
    return path


@dataclass
class LiveServer:
    url: str
    app: Flask  # the served app, for reading what a request stored (its own engine and config)


@pytest.fixture
def live_server(app, database_url, committed_db, tmp_path):
    """The app with CSRF on, served over real HTTP on a free port of 127.0.0.1 from a thread,
    storing letters under tmp_path.

    Same database as `app` (whose fixture built the schema); the server's own connections see
    only committed data, hence `committed_db`, whose clean-up runs after the server is down.
    """
    # SERVER_NAME off: the browser addresses the server as 127.0.0.1:<port>, not "localhost".
    live_app = create_app(conftest.test_config(database_url, WTF_CSRF_ENABLED=True, SERVER_NAME=None,
                                               LETTERS_DIR=str(tmp_path / "letters"),
                                               EVIDENCE_DIR=str(tmp_path / "evidence")))
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", live_app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Phone:
    """A fresh 360 × 740 browser tab that records console errors, page errors and CSP violations.

    `locale` is what the browser asks for (Accept-Language), so it decides the language of the
    sign-in page; after sign-in the user's own language rules.
    """

    def __init__(self, browser, base_url: str, *, locale: str = "en-IN"):
        self.base_url = base_url
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=PHONE, locale=locale, device_scale_factor=1)
        self.context.expose_function("reportCspViolation", lambda text: self.problems.append(f"CSP: {text}"))
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.set_default_timeout(TIMEOUT_MS)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.problems.append(f"console: {msg.text} [{msg.location.get('url')}]")

    def login(self, username: str, *, labels: dict[str, str] | None = None) -> None:
        """Sign in through the form, land on Today, then open the queue; `labels` maps the English labels of
        the form and the queue heading to those the page shows (another language)."""
        label = (labels or {}).get
        page = self.page
        page.goto(f"{self.base_url}/login")
        page.get_by_label(label("Username", "Username")).fill(username)
        page.get_by_label(label("Password", "Password")).fill(PASSWORD)
        page.get_by_role("button", name=label("Sign in", "Sign in")).click()
        # Caseworkers land on Today (tests/test_browser_today.py); these tests start from the queue.
        page.wait_for_url(f"{self.base_url}/today")
        page.goto(f"{self.base_url}/queue")
        expect(page.get_by_role("heading", level=1)).to_have_text(label("My queue", "My queue"))
        assert page.url == f"{self.base_url}/queue"

    def overflow(self) -> int:
        """How many pixels the page is wider than the screen (0 when it fits)."""
        return max(0, self.page.evaluate("document.documentElement.scrollWidth") - PHONE["width"])

    def fits(self, what: str) -> None:
        assert self.overflow() <= OVERFLOW_TOLERANCE, f"{what} is {self.overflow()} px wider than a 360 px screen"

    def fact(self, label: str):
        """The value (dd) next to the term (dt) `label` in the case page's fact lists."""
        term = self.page.locator("dl.facts > dt").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
        return term.locator("xpath=following-sibling::dd[1]")

    def action(self, name: str):
        """Open a collapsed action (details) of the page and return it."""
        details = self.page.locator(f'details[data-action="{name}"]')
        details.locator("summary").click()
        expect(details).to_have_attribute("open", re.compile(".*"))
        return details

    def no_problems(self) -> None:
        assert self.problems == [], "console errors or CSP violations:\n" + "\n".join(self.problems)


@pytest.fixture
def phone(browser, live_server):
    expect.set_options(timeout=TIMEOUT_MS)
    tab = Phone(browser, live_server.url)
    yield tab
    tab.context.close()


@pytest.fixture
def phones(browser, live_server):
    """Two phones, for two people working on the same thing."""
    expect.set_options(timeout=TIMEOUT_MS)
    tabs = [Phone(browser, live_server.url), Phone(browser, live_server.url)]
    yield tabs
    for tab in tabs:
        tab.context.close()
