"""What the browser tests share: the app served over real HTTP, Debian's Chromium driven by
Playwright, and a phone-sized tab that records console errors and CSP violations, and checks
every page it opens with axe-core and weighs it.

Every page a `Phone` opens is checked: axe-core (vendored under tests/vendor/axe-core) runs in
the page once it has loaded and reports its serious and critical violations; until it has
reported, a link or a form of the page waits for it (an init script holds the click or the
submission) and so does `page.goto`, so the test's next step cannot leave a page unchecked. Each
page, with its CSS, scripts and images, must also weigh at most PAGE_BUDGET transferred bytes;
fonts are left out of the sum, as they are cached for a year after the first page
(caseflow.webfonts). Violations and heavy pages are problems like console errors: `no_problems()`
fails on them, and so does closing the tab (the `phone` and `phones` fixtures, and `closed`).

A pytest plugin (listed in tests/conftest.py), so every test module can ask for `live_server`,
`browser`, `phone` and `phones`. Chromium is the one named by CASEFLOW_CHROMIUM, else the
`chromium` on PATH (Debian's package): `playwright install` cannot download browsers here.
"""
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

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
TIMEOUT_MS = 20_000  # a step may wait for axe-core on the page it leaves; on 2 loaded cores that takes seconds
TAP_TARGET = 44  # px, WCAG 2.5.5 (target size, enhanced)
PAGE_BUDGET = 100 * 1024  # bytes transferred per page, fonts left out (README "Phones and accessibility")
AXE_VERSION = "4.10.3"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_IMPACTS = ("serious", "critical")  # what fails a test; moderate and minor are left to judgement

SMALL_TARGETS = """(size) => {
  const selector = "header a, header button, main a, main button, main summary, main select, main textarea, "
    + "main input:not([type=hidden])";
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    const boxed = ["checkbox", "radio"].includes(element.type);
    const target = boxed ? (element.closest("label") || (element.labels && element.labels[0]) || element) : element;
    const box = target.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(target).visibility === "hidden") continue;
    if (box.width < size - 0.5 || box.height < size - 0.5) {
      const name = (target.innerText || target.value || target.name || target.id || "").trim().slice(0, 40);
      small.push(`${target.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}"""

# In every HTML document of the site (init scripts are not subject to the page's CSP): axe-core,
# run once the page has loaded, its failing violations reported to Python; meanwhile the page's
# links and forms wait for it, so that no step of a test leaves the page before it is checked.
AXE_RUNNER = """(() => {
  if (window !== window.top || !/^https?:$/.test(location.protocol) || document.contentType !== "text/html") return;
  %(axe)s
  const impacts = %(impacts)s;
  let finished = false;
  const done = new Promise((resolve) => window.addEventListener("load", () => {
    axe.run(document, {resultTypes: ["violations"]})
      .then((result) => result.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\\s+/g, " "))})))
      .then((violations) => window.reportAxe({url: location.href, violations}),
            (error) => window.reportAxe({url: location.href, error: String(error)}))
      .finally(() => { finished = true; resolve(); });
  }));
  Object.defineProperty(window, "__caseflowAxe", {value: done});
  document.addEventListener("submit", (e) => {
    if (finished) return;
    e.preventDefault();
    const form = e.target, by = e.submitter;
    done.then(() => form.requestSubmit(by || undefined));
  }, true);
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a[href]");
    if (finished || e.defaultPrevented || !a || a.target || a.hasAttribute("download") || e.button !== 0
        || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    done.then(() => { location.href = a.href; });
  }, true);
})();"""

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

    def __init__(self, browser, base_url: str, *, locale: str = "en-IN", javascript: bool = True):
        self.base_url = base_url
        self.javascript = javascript
        self.problems: list[str] = []
        self.checked: list[dict] = []  # axe-core's report of each page, in order
        self.pages: list[list] = []  # the requests of each page the tab opened, its document first
        self.weighed = 0  # how many of self.pages have been weighed
        self.context = browser.new_context(viewport=PHONE, locale=locale, device_scale_factor=1,
                                           java_script_enabled=javascript)
        self.context.expose_function("reportCspViolation", lambda text: self.problems.append(f"CSP: {text}"))
        self.context.expose_function("reportAxe", self._axe_report)
        self.context.add_init_script(CSP_LISTENER)
        self.context.add_init_script(AXE_RUNNER % {"axe": AXE_SOURCE, "impacts": list(AXE_IMPACTS)})
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("request", self._request)
        self.page.set_default_timeout(TIMEOUT_MS)
        goto = self.page.goto

        def goto_after_the_check(*args, **kwargs):
            self.wait_for_checks()
            return goto(*args, **kwargs)

        self.page.goto = goto_after_the_check

    def _request(self, request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.pages.append([request])
        elif self.pages:
            self.pages[-1].append(request)

    def _axe_report(self, report: dict) -> None:
        self.checked.append(report)
        if report.get("error"):
            self.problems.append(f"axe-core failed on {report['url']}: {report['error']}")
        for v in report.get("violations", []):
            self.problems.append(f"axe {v['impact']} {v['id']} ({v['help']}) on {report['url']}:\n    "
                                 + "\n    ".join(v["nodes"]))

    def wait_for_checks(self) -> None:
        """Until axe-core has reported on the page now open (at once without JavaScript, or off the site)."""
        if self.javascript and self.page.url.startswith(self.base_url):
            self.page.evaluate("() => window.__caseflowAxe")

    def weigh_pages(self) -> None:
        """Record every page opened so far that weighs more than PAGE_BUDGET (fonts left out)."""
        for requests in self.pages[self.weighed:]:
            document = requests[0].response()
            if document is None or "text/html" not in (document.headers.get("content-type") or ""):
                continue
            weight = 0
            for request in requests:
                if request.resource_type == "font" or request.failure is not None or request.response() is None:
                    continue
                sizes = request.sizes()
                weight += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            requests[0].weight = weight
            if weight > PAGE_BUDGET:
                self.problems.append(f"page weight: {requests[0].url} ({document.status}) is {weight:,} bytes, "
                                     f"more than {PAGE_BUDGET:,}")
        self.weighed = len(self.pages)

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

    def small_targets(self) -> list[str]:
        """What can be tapped on the page (links, buttons, summaries, form controls of the header
        and the main part) but is smaller than TAP_TARGET × TAP_TARGET px; a checkbox or radio
        counts as its label (around it or beside it), which takes the tap too. Hidden elements are left out."""
        return self.page.evaluate(SMALL_TARGETS, TAP_TARGET)

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
        """No console error, CSP violation, serious or critical accessibility violation, or page
        over budget, on any page so far (the one open now included)."""
        self.wait_for_checks()
        self.weigh_pages()
        assert self.problems == [], ("console errors, CSP violations, accessibility violations or heavy pages:\n"
                                     + "\n".join(self.problems))

    def close(self) -> None:
        try:
            if not self.page.is_closed():
                self.wait_for_checks()
                self.weigh_pages()
        finally:
            self.context.close()


def closed(*tabs: Phone) -> None:
    """Close the tabs, and fail if any page they opened was inaccessible or too heavy, even in a
    test that never called no_problems()."""
    for tab in tabs:
        tab.close()
    found = [problem for tab in tabs for problem in tab.problems if problem.startswith(("axe", "page weight"))]
    assert found == [], "accessibility violations or heavy pages:\n" + "\n".join(found)


@pytest.fixture
def phone(browser, live_server):
    expect.set_options(timeout=TIMEOUT_MS)
    tab = Phone(browser, live_server.url)
    yield tab
    closed(tab)


@pytest.fixture
def phones(browser, live_server):
    """Two phones, for two people working on the same thing."""
    expect.set_options(timeout=TIMEOUT_MS)
    tabs = [Phone(browser, live_server.url), Phone(browser, live_server.url)]
    yield tabs
    closed(*tabs)
