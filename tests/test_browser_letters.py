"""A real browser: an in-charge drafts a letter from the case page, prints it, and records its dispatch.

Guards the letters' path through Chromium with CSRF on and the Content-Security-Policy
enforced (no console errors, no CSP violations) on a 360 px phone screen: the draft button,
the print link (the PDF opens in a new tab and is the stored letter), and the dispatch form
in its collapsed action, including the browser's own date input.
"""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.db import today
from caseflow.extensions import db
from caseflow.letters import storage
from caseflow.letters.models import Letter
from tests.browser_support import OVERFLOW_TOLERANCE
from tests.conftest import World
from tests.letters_support import case_with_history, pdftotext

pytestmark = pytest.mark.browser


def test_incharge_prints_a_letter_and_records_its_dispatch(app, phone, live_server):
    with app.app_context():
        world = World()
        case = case_with_history(world)
        db.session.commit()
        case_id, incharge = case.id, world.incharge.username
    page = phone.page

    phone.login(incharge)
    page.goto(f"{phone.base_url}/cases/{case_id}")
    letters = page.locator("#letters")
    # The escalation to level 2 drafted its letter to the Janpad CEO in the same step.
    expect(letters).to_contain_text("A. Khan")  # the Janpad CEO, addressed in Hindi
    item = page.get_by_test_id("letter")
    expect(item).to_have_count(1)
    reference = item.locator(".ref").inner_text()
    assert re.fullmatch(r"SHR/LTR/\d{4}/\d{5}", reference)
    expect(item.get_by_test_id("letter-status")).to_have_text("Drafted")
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the letters panel is wider than a 360 px screen"

    # Print: the PDF opens in a new tab (Chromium's viewer); this first print renders and stores it.
    with (page.expect_popup() as popup_info,
          page.context.expect_event("response", predicate=lambda r: r.url.endswith("/pdf")) as response_info):
        item.get_by_test_id("print").click()
    popup, response = popup_info.value, response_info.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(rf"{re.escape(phone.base_url)}/letters/\d+/pdf", popup.url)
    # A reprint through the same session is the stored letter, byte for byte.
    reprint = page.request.get(popup.url)
    pdf = reprint.body()
    assert reprint.ok and pdf.startswith(b"%PDF-") and reference in pdftotext(pdf)
    popup.close()
    live_app = live_server.app
    with live_app.app_context():
        letter = db.session.scalar(sa.select(Letter).where(Letter.reference == reference))
        assert letter.pdf_sha256 == storage.sha256(pdf)
        assert storage.load(letter.pdf_path, letter.pdf_sha256) == pdf

    # Record the dispatch from the collapsed action, with the browser's date input, on the page as
    # it was before printing: rendering is not an edit, so the form's version still holds.
    action = item.locator('details[data-action="dispatch"]')
    action.locator("summary").click()
    assert phone.overflow() <= OVERFLOW_TOLERANCE, "the open dispatch form is wider than a 360 px screen"
    action.get_by_label("Sent by").select_option(label="Registered post")
    date_input = action.get_by_label("Date sent")
    assert date_input.get_attribute("type") == "date"
    date_input.fill(today().isoformat())
    action.get_by_label("Note (e.g. postal receipt number)").fill("RL123456789IN")
    action.get_by_role("button", name="Record dispatch").click()

    expect(page.get_by_role("status")).to_contain_text(f"Dispatch of letter {reference} recorded.")
    item = page.get_by_test_id("letter")
    expect(item.get_by_test_id("letter-status")).to_have_text("Dispatched")
    expect(item).to_contain_text(f"sent on {today():%d/%m/%Y} (Registered post) · RL123456789IN")
    expect(item.get_by_test_id("print")).to_have_text("Reprint")
    assert phone.overflow() <= OVERFLOW_TOLERANCE
    phone.no_problems()
