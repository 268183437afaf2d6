"""A referral letter never identifies a beneficiary who complained without consenting to be named."""
import pytest
import sqlalchemy as sa

from caseflow.bias.models import Finding
from caseflow.extensions import db
from caseflow.letters.models import Letter
from caseflow.letters.render import letter_html
from tests.test_bias_helpers import file, finding_data, review, someone_else, the_beneficiary


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _referral_html(world, complainant) -> tuple[str, object]:
    report = file(world, complainant=complainant)
    review(report, world.supervisor, "take")
    review(report, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, referral_office_id=world.collector.id))
    letter = db.session.scalar(sa.select(Letter).where(Letter.bias_report_id == report.id))
    return letter_html(letter), report.case


def test_beneficiary_complainant_without_consent_is_not_identifiable(world, ctx):
    html, case = _referral_html(world, the_beneficiary(consent=False))
    for identifying in (case.beneficiary.name, case.reference, case.application_ref, world.village.name_en,
                        world.village.name_hi):
        assert identifying not in html
    assert "Sarpanch" in html or "सरपंच" in html  # the letter still says whom it is about


def test_someone_elses_complaint_names_the_beneficiary(world, ctx):
    html, case = _referral_html(world, someone_else(consent=False))
    assert case.beneficiary.name in html and case.reference in html
