"""A real browser on a phone-sized screen walks the supervisor's bias review.

A supervisor opens the bias queue, takes a report, reveals the complainant with a reason,
records a substantiated finding against a sarpanch (which then waits for a second supervisor);
a second supervisor signs in on another phone, sees who looked at the identity and why, and
confirms the finding. Guards what HTTP tests cannot see: the forms work in Chromium with CSRF
on and the Content-Security-Policy enforced (the pattern charts are inline SVG, no script, no
inline style), and nothing is wider than a 360 px screen.
"""

import pytest
from playwright.sync_api import expect

from caseflow.bias.models import BiasReport, Finding, IdentityReveal, ReviewStatus
from caseflow.extensions import db
from tests.conftest import World
from tests.test_bias_helpers import COMPLAINANT_NAME, file, supervisor

pytestmark = pytest.mark.browser


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
