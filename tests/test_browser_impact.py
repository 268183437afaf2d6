"""A real browser on a 360 px screen: an in-charge records a beneficiary's consent to publicity
and writes a story on the beneficiary page; a supervisor picks an area and a quarter on the
impact summary page and downloads the square card, with no console errors or CSP violations."""
import io
from datetime import date, datetime

import pytest
from PIL import Image
from playwright.sync_api import expect

from caseflow.extensions import db
from caseflow.schemes.models import BenefitUnit
from tests.conftest import World
from tests.test_impact import _case, _scheme

pytestmark = pytest.mark.browser


def test_consent_story_and_summary_on_a_phone(app, phone):
    with app.app_context():
        w = World()
        pension = _scheme("OAP", 600, BenefitUnit.MONTHLY)
        people = [w.person(name="Lakshmi Bai" if i == 0 else f"Household {i}") for i in range(6)]
        for i, person in enumerate(people):
            _case(w, person, pension, delivered_on=date(2026, 2, 3 + i), opened=datetime(2025, 12, 1, 6))
        db.session.commit()
        person_id, district_id = people[0].id, w.district.id
    page = phone.page

    phone.login("incharge")
    page.goto(f"{phone.base_url}/beneficiaries/{person_id}")
    page.locator("#publicity summary").click()
    page.get_by_label("How the consent was given").select_option(label="Thumb impression on the consent form")
    page.get_by_label("Note (who witnessed it, where the signed form is kept)").fill("Witness: ASHA worker")
    page.get_by_label("The person understands", exact=False).check()
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator("#publicity")).to_contain_text("recorded by In-charge Sehore")
    page.get_by_label("Story").fill("Lakshmi Bai now receives her pension every month.")
    page.get_by_role("button", name="Save the story").click()
    expect(page.locator("#publicity blockquote")).to_contain_text("pension every month")
    phone.fits("the beneficiary page with the publicity panel")
    page.locator("form[action='/logout'] button").click()

    phone.login("supervisor")
    page.get_by_role("link", name="Impact").click()
    page.get_by_label("Area").select_option(value=str(district_id))
    page.get_by_role("radio", name="Quarter").check()
    page.get_by_label("Which quarter").select_option(value="2026-Q1")
    page.get_by_role("button", name="Show").click()
    figures = page.locator(".impact-figures")
    expect(figures).to_contain_text("6")
    expect(page.locator(".impact-table")).to_contain_text("₹3,600 per month")
    expect(page.locator("blockquote.story")).to_contain_text("Lakshmi Bai")
    phone.fits("the impact summary")
    with page.expect_download() as download:
        page.get_by_role("link", name="Square image (PNG), Hindi").click()
    image = Image.open(io.BytesIO(open(download.value.path(), "rb").read()))
    assert image.size == (1080, 1080)
    phone.no_problems()
