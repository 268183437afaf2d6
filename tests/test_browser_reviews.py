"""A real browser, 360 px wide: a supervisor opens an in-charge's quarterly review, records a
spot check, writes notes and an assessment and signs; the in-charge then responds and signs,
and the review is read-only. CSRF on, the Content-Security-Policy enforced (no console errors,
no CSP violations), nothing wider than the screen.
"""
import pytest
from playwright.sync_api import expect

from caseflow.db import today
from caseflow.extensions import db
from caseflow.reviews.quarters import last_ended
from tests.conftest import World
from tests.test_reviews import backdate

pytestmark = pytest.mark.browser


def test_a_supervisor_and_an_incharge_walk_through_a_review(app, phones, live_server):
    quarter = last_ended(today())
    with app.app_context():
        world = World()
        cases = [world.case(status=s) for s in ("resolved", "closed", "submitted", "documented")]
        backdate([c.id for c in cases], quarter)
        db.session.commit()
        incharge_name = world.incharge.display_name
    supervisor, incharge = phones

    page = supervisor.page
    supervisor.login("supervisor")
    page.get_by_role("link", name="Quarterly reviews").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quarterly reviews")
    supervisor.fits("the reviews index")
    page.get_by_test_id("to-open").locator("li", has_text=incharge_name).get_by_role(
        "button", name="Open the review").click()
    expect(page.get_by_test_id("stage")).to_have_text("Open: the supervisor is reviewing")
    expect(page.locator('[data-figure="identified"] td').first).to_have_text("4")
    expect(page.get_by_test_id("outreach")).to_have_text("not recorded yet")
    checks = page.get_by_test_id("check")
    expect(checks).to_have_count(4)
    supervisor.fits("the review page")

    first = checks.first
    first.locator(".field", has_text="Beneficiary reachable").get_by_label("Yes", exact=True).check()
    first.locator(".field", has_text="Benefit really received").get_by_label("No", exact=True).check()
    first.get_by_label("Note").fill("Second instalment not yet credited")
    first.get_by_role("button", name="Save the check").click()
    expect(page.get_by_role("status")).to_contain_text("Spot check saved.")

    page.get_by_label("Supervisor's notes").fill("Regular follow-up; check the pending instalment.")
    page.get_by_label("Overall assessment").select_option(label="Good")
    page.get_by_role("button", name="Save notes and assessment").click()
    expect(page.get_by_role("status")).to_contain_text("Notes and assessment saved.")
    page.get_by_role("button", name="Sign as supervisor").click()
    expect(page.get_by_test_id("stage")).to_have_text("Signed by the supervisor: awaiting the in-charge")
    expect(page.get_by_test_id("assessment")).to_have_text("Good")
    expect(page.get_by_role("button", name="Save the check")).to_have_count(0)
    supervisor.fits("the signed review")
    review_url = page.url

    page = incharge.page
    incharge.login("incharge")
    page.get_by_role("link", name="Quarterly reviews").click()
    page.get_by_test_id("history").get_by_role("link").click()
    assert page.url == review_url
    page.get_by_label("Your response").fill("Agreed; I asked the Janpad office about the instalment.")
    page.get_by_role("button", name="Save response").click()
    expect(page.get_by_role("status")).to_contain_text("Response saved.")
    page.get_by_role("button", name="Sign as in-charge").click()
    expect(page.get_by_test_id("stage")).to_have_text("Signed by both")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("response")).to_have_text("Agreed; I asked the Janpad office about the instalment.")
    expect(page.get_by_role("button", name="Sign as")).to_have_count(0)
    expect(page.get_by_role("button", name="Save response")).to_have_count(0)
    incharge.fits("the review signed by both")

    for phone in phones:
        phone.no_problems()
