"""The compact queue and its search in a real browser at 360 px: nothing overflows, every tap
target of the page is at least 44 px high, the filters and the page stay put, and all of it
works with JavaScript turned off."""
import re

import pytest
from playwright.sync_api import expect

from caseflow.extensions import db
from tests.browser_support import OVERFLOW_TOLERANCE, PHONE, TIMEOUT_MS
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

# Every link, button, field and summary inside the page's main area (the site header is not the queue's).
SMALL_TARGETS = """
() => [...document.querySelectorAll('main a, main button, main input, main select, main summary')]
  .filter(el => el.type !== 'hidden' && el.type !== 'checkbox' && el.offsetParent !== null)
  .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
  .filter(([_html, height]) => height < 44)
"""


def _sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Caseworkers land on Today (tests/test_browser_today.py); this test starts from the queue.
    page.wait_for_url(f"{base_url}/today")
    page.goto(f"{base_url}/queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("My queue")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_the_compact_queue_and_search_on_a_phone(app, browser, live_server, javascript):
    live_server.app.config["QUEUE_PAGE_SIZE"] = 3
    with app.app_context():
        w = World()
        long_name = "Shrimati Rajkumari Chandrakanta Vishwakarma-Kushwaha " * 2
        made = [w.case(person=w.person(name=name)) for name in
                ("सुनीता देवी", "Ramesh Kumar", long_name.strip(), "Kamla Bai", "Geeta Verma")]
        made.append(w.case(person=w.person(name="Mohan Lal", mobile="9876543210"), status="submitted"))
        db.session.commit()
        refs = [c.reference for c in made]
        incharge = w.incharge.username
    context = browser.new_context(viewport=PHONE, locale="en-IN", device_scale_factor=1,
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        base = live_server.url
        _sign_in(page, base, incharge)

        def fits(what: str, targets: bool = True) -> None:
            overflow = page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]
            assert overflow <= OVERFLOW_TOLERANCE, f"{what} is {overflow} px wider than a 360 px screen"
            if not targets:
                return
            small = page.evaluate(SMALL_TARGETS)
            assert small == [], f"{what}: tap targets under 44 px high: {small}"

        rows = page.get_by_test_id("queue").locator("li")
        expect(rows).to_have_count(3)
        fits("the queue")
        # Each row: reference, name, scheme and status on at most two lines of text.
        first = rows.first
        expect(first).to_contain_text(w.scheme.code)
        expect(first).to_contain_text("Submitted")

        # Filters: chosen once, kept when the queue is opened again from the navigation.
        page.locator("summary").filter(has_text="Filters").click()
        page.get_by_label("Status", exact=True).select_option("identified")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("current-filters")).to_have_text("Identified")
        page.get_by_role("navigation").get_by_role("link", name="My queue").first.click()
        expect(page.get_by_test_id("current-filters")).to_have_text("Identified")
        fits("the filtered queue")

        # Paging keeps its place: page 2, open a case, back to the queue: page 2 again.
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url(re.compile(r"after="))
        second = page.get_by_test_id("queue").locator(".qrow-ref").all_inner_texts()
        assert len(second) == 2 and set(second) <= set(refs)
        page.get_by_test_id("queue").locator("a").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(second[0])
        fits("the case page", targets=False)  # its forms are not the queue's (issue 10, accessibility)
        page.get_by_test_id("back-to-queue").click()
        page.wait_for_url(re.compile(r"/queue\?after="))
        expect(page.get_by_test_id("queue").locator(".qrow-ref")).to_have_text(second)
        assert "Suneeta" not in page.url

        # Search: misspelt, in the other script; then a mobile number as people write it.
        page.get_by_label("Search: reference number, mobile, Aadhaar last 4, application or grievance number, "
                          "or name").fill("Suneeta")
        page.get_by_role("button", name="Search", exact=True).click()
        results = page.get_by_test_id("search-results").locator("li")
        expect(results.first).to_contain_text(refs[0])
        assert "Suneeta" not in page.url
        fits("the search results")
        page.get_by_label("Search: reference number, mobile, Aadhaar last 4, application or grievance number, "
                          "or name").fill("+91 98765-43210")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(results).to_have_count(1)
        expect(results.first).to_contain_text(refs[5])
        expect(results.first).to_contain_text("Mobile number")
        page.get_by_role("button", name="Clear search").click()
        expect(page.get_by_test_id("current-filters")).to_have_text("Identified")
    finally:
        context.close()
