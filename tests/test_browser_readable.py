"""A real browser at 360 × 740 opens every kind of page, in Hindi and in English, as the in-charge,
the supervisor and the administrator would, and checks what a phone user and a screen reader
need: no serious or critical axe-core violation (checked on every page by tests/browser_support),
every page under 100 KB transferred (fonts left out: cached), nothing wider than the screen, every
tap target at least 44 × 44 px, tables shown as cards whose every cell keeps its column's name, the
bundled Devanagari font usable, form errors tied to their fields with the focus on the first,
and a holiday deleted only after a confirmation that works without JavaScript.
"""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.auth.models import User
from caseflow.extensions import db
from caseflow.holidays.models import Holiday
from caseflow.holidays.services import create_holiday
from tests.browser_support import PAGE_BUDGET, Phone, closed
from tests.conftest import PASSWORD, World
from tests.letters_support import case_with_history
from tests.test_bias_helpers import file

pytestmark = pytest.mark.browser


def sign_in(phone: Phone, username: str) -> None:
    page = phone.page
    page.goto(f"{phone.base_url}/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/(today|queue|admin/)$"))


def look_at(phone: Phone, path: str, *, tap_targets: bool = True) -> None:
    """Open the page and check what every page must do on a phone (axe-core and the weight are
    checked by the Phone itself)."""
    phone.page.goto(f"{phone.base_url}{path}")
    assert phone.page.url.startswith(f"{phone.base_url}{path.split('?')[0]}"), f"{path} went to {phone.page.url}"
    phone.fits(path)
    if tap_targets:
        small = phone.small_targets()
        assert small == [], f"tap targets under 44 × 44 px on {path}: {small}"
    # Tables: each body cell names its column (the header row is hidden on a phone), and none is hidden.
    for table in phone.page.locator("main table").all():
        headers = table.locator("thead th").count()
        for row in table.locator("tbody tr").all():
            cells = row.locator("td")
            if cells.count() == 1 and cells.first.get_attribute("colspan"):
                continue  # "nothing here" rows
            assert cells.count() == headers, f"a row of a table on {path} hides columns"
            for cell in cells.all():
                assert cell.get_attribute("data-label"), f"a cell on {path} has no column name"
                assert cell.is_visible()


@pytest.fixture
def places(app):
    with app.app_context():
        w = World()
        case = case_with_history(w)
        report = file(w, case)
        holiday = create_holiday(date(2026, 10, 2), "Gandhi Jayanti", "गांधी जयंती", actor=None)
        db.session.commit()
        return {"case": case.id, "person": case.beneficiary_id, "report": report.id, "holiday": holiday.id,
                "gp": w.gp.id, "state": w.state.id, "scheme": w.scheme.id, "users": (w.incharge.id, w.supervisor.id, w.admin.id),
                "names": (w.incharge.username, w.supervisor.username, w.admin.username)}


def _speak(app, user_ids, locale: str) -> None:
    with app.app_context():
        for user_id in user_ids:
            db.session.get(User, user_id).locale = locale
        db.session.commit()


@pytest.mark.parametrize("locale", ["hi", "en"])
def test_every_kind_of_page_is_accessible_light_and_fits_a_phone(app, browser, live_server, places, locale):
    _speak(app, places["users"], locale)
    incharge, supervisor, admin = places["names"]
    case, report = places["case"], places["report"]
    pages = {
        incharge: ["/today", "/queue", f"/cases/{case}", f"/beneficiaries/{places['person']}", "/beneficiaries/new",
                   f"/cases/{case}/bias/new", "/letters", "/bias", f"/bias/reports/{report}", "/account/password"],
        supervisor: ["/today", "/queue", "/bias", "/bias/patterns", f"/bias/reports/{report}", "/escalation/stalled",
                     "/escalation/configuration", f"/audit/cases/{case}", f"/cases/{case}"],
        admin: ["/admin/", "/admin/users", "/admin/users/new", "/admin/areas", f"/admin/areas/{places['gp']}",
                "/admin/offices", "/admin/office-kinds", "/admin/schemes", f"/admin/schemes/{places['scheme']}/ladder",
                "/admin/holidays?year=2026", f"/admin/holidays/{places['holiday']}/delete",
                f"/admin/holidays/week/{places['state']}"],
    }
    for username, paths in pages.items():
        phone = Phone(browser, live_server.url, locale=f"{locale}-IN")
        try:
            look_at(phone, "/login")
            sign_in(phone, username)
            expect(phone.page.locator("html")).to_have_attribute("lang", locale)
            for path in paths:
                look_at(phone, path)
            if username == admin:
                # A form sent back with errors: the summary, the fields in error, the focus.
                look_at(phone, "/admin/users/new")
                phone.page.locator('main form button[type="submit"]').first.click()
                expect(phone.page.locator(".error-summary")).to_be_visible()
                expect(phone.page.locator("#username")).to_be_focused()
                phone.fits("the user form with errors")
                assert phone.small_targets() == []
                forget_the_refusal(phone)
            # One labelled main navigation (axe's landmark-unique): the header's is named.
            assert phone.page.locator("header nav").get_attribute("aria-label")
            phone.no_problems()
            assert phone.checked, "axe-core never reported: the checks did not run"
            weighed = [requests[0] for requests in phone.pages if hasattr(requests[0], "weight")]
            assert len(weighed) >= len(paths) and max(r.weight for r in weighed) <= PAGE_BUDGET
        finally:
            closed(phone)


def test_the_bundled_devanagari_font_loads_under_the_pages_csp(app, phone, places):
    sign_in(phone, places["names"][0])
    # This machine has Noto Sans Devanagari installed, so pages use it; a phone without it gets
    # the bundled subset, which must load from its fingerprinted URL under the CSP.
    loaded = phone.page.evaluate("""async () => {
        const faces = await document.fonts.load('16px "caseflow Noto"', "हिन्दी में प्रकरण");
        return faces.map((f) => [f.family, f.status, f.unicodeRange]);
    }""")
    assert loaded and all(status == "loaded" for _, status, _ in loaded)
    assert any("U+900-97F" in ranges.upper().replace("U+0900", "U+900") for _, _, ranges in loaded)
    phone.no_problems()


def forget_the_refusal(phone: Phone) -> None:
    """Chromium logs the 422 of a refused form as a console error: expected here."""
    phone.problems[:] = [p for p in phone.problems if "the server responded with a status of 422" not in p]


def test_form_errors_are_tied_to_their_fields_and_take_the_focus(app, phone, places):
    _speak(app, places["users"], "en")
    sign_in(phone, places["names"][2])
    page = phone.page
    page.goto(f"{phone.base_url}/admin/holidays?year=2026")
    page.get_by_label("Name in English").fill("Only English")
    page.get_by_role("button", name="Add holiday").click()
    day = page.get_by_label("Date")
    expect(day).to_have_attribute("aria-invalid", "true")
    error_id = day.get_attribute("aria-describedby")
    expect(page.locator(f"#{error_id}")).to_have_text("Enter a date.")
    expect(day).to_be_focused()  # the first field in error, not the top of the page
    hindi = page.get_by_label("Name in Hindi")
    expect(hindi).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name in English")).not_to_have_attribute("aria-invalid", "true")
    forget_the_refusal(phone)
    phone.no_problems()


def test_errors_take_the_focus_and_a_holiday_is_deleted_after_confirming_without_javascript(
        app, browser, live_server, places):
    _speak(app, places["users"], "en")
    phone = Phone(browser, live_server.url, javascript=False)
    page = phone.page
    try:
        sign_in(phone, places["names"][2])
        page.goto(f"{phone.base_url}/admin/holidays?year=2026")
        page.get_by_role("button", name="Add holiday").click()
        expect(page.get_by_label("Date")).to_be_focused()  # autofocus: no script needed
        forget_the_refusal(phone)

        # Delete asks first: a page of its own, then the button on it.
        page.goto(f"{phone.base_url}/admin/holidays?year=2026")
        page.get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Delete holiday")
        expect(page.locator("main")).to_contain_text("Delete the holiday Gandhi Jayanti on 02/10/2026?")
        with app.app_context():
            assert db.session.get(Holiday, places["holiday"]) is not None
        page.get_by_role("link", name="Cancel").click()
        expect(page.locator("main")).to_contain_text("Gandhi Jayanti")
        page.get_by_role("link", name="Delete").click()
        page.get_by_role("button", name="Yes, delete the holiday").click()
        expect(page.get_by_role("status")).to_contain_text("Holiday Gandhi Jayanti deleted.")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Holiday)) == 0
        phone.no_problems()
    finally:
        closed(phone)


def test_the_checks_really_run_an_inaccessible_page_fails(phone):
    """The harness itself: a page with a nameless button and an image without alt text is caught."""
    url = f"{phone.base_url}/axe-probe"
    phone.page.route(url, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8",
        body='<!doctype html><html lang="en"><title>probe</title><main><button></button>'
             '<img src="data:," width="10" height="10"></main>' + "<!--" + "x" * (PAGE_BUDGET + 1) + "-->"))
    phone.page.goto(url)
    phone.wait_for_checks()
    phone.weigh_pages()
    found = "\n".join(phone.problems)
    assert "axe critical button-name" in found and "axe critical image-alt" in found
    assert "page weight" in found
    phone.problems.clear()  # seen: the fixture must not fail the test for them
