"""Letters say what was recorded, read back from the PDF with pdftotext.

An escalation made before the time limit ran out gives the in-charge's reason and does not
claim the limit passed; one made by the sweep says the limit passed; an appeal says the
application was rejected and why it is appealed; every time limit is in working days. A
referral letter quotes the supervisor's reasons for the finding, names a complainant who
agreed to be named (and only then), and is signed by the supervisor who made the finding.
A letter to an office the case has left is superseded: never printed, sent or batched.
"""
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from caseflow.bias.models import Finding
from caseflow.cases.services import transition
from caseflow.db import fixed_today
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.letters import render, services
from caseflow.letters.models import DispatchMode, Letter, LetterStatus, SupersededBecause
from caseflow.letters.register import RegisterFilters, batch_letter_ids
from caseflow.letters.services import letters_for_case
from caseflow.scope import OPERATOR
from tests.conftest import step_data
from tests.letters_support import pdftotext
from tests.test_bias_helpers import COMPLAINANT_NAME, file, finding_data, review, someone_else, the_beneficiary
from tests.test_escalation_support import FRIDAY, at_level, submitted, sweep


@pytest.fixture(autouse=True)
def ctx(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    with app.test_request_context():
        yield


def pdf_text(letter: Letter) -> str:
    """The letter's words as pdftotext reads them, on one line."""
    return " ".join(pdftotext(render.render_pdf(letter)).split())


def latest_letter(case) -> Letter:
    return letters_for_case(case)[-1]


def test_an_early_escalation_gives_its_reason_and_claims_no_lapsed_limit(world):
    case = at_level(world, 2)  # escalated by hand on FRIDAY; level 2's 15 working days run to 25 December
    with fixed_today(date(2026, 12, 10)):
        transition(case, world.incharge, "escalate", {"reason": "The janpad office has been shut for a week"},
                   expected_version=case.version)
    letter = latest_letter(case)
    assert (letter.addressee_office_id, letter.level, letter.language) == (world.collector.id, 3, "en")
    text = pdf_text(letter)
    assert "had not yet run out" in text and "The janpad office has been shut for a week" in text
    assert "passed without a decision" not in text
    assert "within 30 working days of receiving this letter" in text
    assert "30 working days" in text.split("Time limit at your level")[1][:40]


def test_the_sweeps_escalation_says_the_limit_passed(app, world):
    case = submitted(world, scheme=None)
    transition(case, world.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    case_id = case.id
    # The Janpad CEO (level 2, 15 working days from FRIDAY) let the time run out: the sweep moves it on.
    result = sweep(app, "--now", "2027-01-04")
    assert result.exit_code == 0, result.output
    letter = db.session.scalars(sa.select(Letter).where(Letter.case_id == case_id).order_by(Letter.id)).all()[-1]
    text = pdf_text(letter)
    assert "The time limit of 15 working days at the level of the CEO, Janpad Panchayat has passed without a " \
           "decision" in text
    assert "had not yet run out" not in text


def test_an_appeal_drafts_a_letter_that_says_it_is_an_appeal(world):
    case = at_level(world, 2)
    transition(case, world.incharge, "reject", {"reason": "Land record mismatch"}, expected_version=case.version)
    assert letters_for_case(case)[-1].status is LetterStatus.SUPERSEDED  # the Janpad CEO decided
    transition(case, world.incharge, "appeal", {"reason": "The land record was corrected on 2 December"},
               expected_version=case.version)
    letter = latest_letter(case)
    assert (letter.status, letter.addressee_office_id, letter.level) == (LetterStatus.DRAFTED, world.collector.id, 3)
    text = pdf_text(letter)
    assert "rejected at the level of the CEO, Janpad Panchayat" in text
    assert "The land record was corrected on 2 December" in text and "working days" in text


def _referral(world, complainant) -> tuple[Letter, object]:
    report = file(world, complainant=complainant)
    review(report, world.supervisor, "take")
    review(report, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, reasons="The sarpanch refused the file in front of two witnesses.",
                        referral_office_id=world.collector.id))
    return db.session.scalar(sa.select(Letter).where(Letter.bias_report_id == report.id)), report


def test_a_referral_quotes_the_reasons_and_is_signed_by_the_deciding_supervisor(world):
    letter, _report = _referral(world, someone_else(consent=False))
    text = pdf_text(letter)
    assert "The sarpanch refused the file in front of two witnesses." in text
    signature = text.split("Yours faithfully,")[1]
    assert signature.split("caseflow")[0].split() == ["Supervisor", "Supervisor,"]  # the name, then the post
    assert "In-charge Sehore" not in signature and "District in-charge" not in signature
    # Without consent the complainant is not named.
    assert "agreed to be named" not in text


@pytest.mark.parametrize("complainant, named", [
    (someone_else(consent=True), COMPLAINANT_NAME),
    (the_beneficiary(consent=True), "सुनीता देवी"),  # the world's beneficiary
], ids=["someone else", "the beneficiary"])
def test_a_complainant_who_consented_is_named(world, complainant, named):
    letter, _report = _referral(world, complainant)
    text = pdf_text(letter)
    assert "agreed to be named" in text and named in text


def test_a_letter_the_case_moved_away_from_is_superseded_and_never_sent(world):
    case = at_level(world, 2)
    first = latest_letter(case)
    with fixed_today(date(2026, 12, 10)):
        transition(case, world.incharge, "escalate", {"reason": "No reply"}, expected_version=case.version)
    db.session.refresh(first)
    assert (first.status, first.superseded_because) == (LetterStatus.SUPERSEDED, SupersededBecause.MOVED_UP)
    with force_locale("en"), pytest.raises(Refused, match="superseded"):
        services.ensure_rendered(first.id, world.incharge)
    with force_locale("en"), pytest.raises(Refused, match="superseded"):
        services.record_dispatch(first, world.incharge, expected_version=first.version, mode=DispatchMode.HAND,
                                 on=FRIDAY)
    everything = RegisterFilters(status=None)
    assert first.id not in batch_letter_ids(OPERATOR, everything)
    assert latest_letter(case).id in batch_letter_ids(OPERATOR, everything)
    # Sent back down, the letter to the Collector is superseded too, for that reason.
    transition(case, world.supervisor, "send_back", {"reason": "The CEO must decide"}, expected_version=case.version)
    second = latest_letter(case)
    assert (second.status, second.superseded_because) == (LetterStatus.SUPERSEDED, SupersededBecause.SENT_BACK)


def test_the_case_page_says_why_a_letter_was_superseded_and_offers_no_print(app, world, client, auth):
    case = at_level(world, 2)
    first = latest_letter(case)
    transition(case, world.incharge, "escalate", {"reason": "No reply"}, expected_version=case.version)
    db.session.commit()
    auth.login(world.incharge)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    item = page.split(f'id="letter-{first.id}"')[1].split("</li>")[0]
    assert "Superseded" in item and "went on to a higher office" in item and "not to be sent" in item
    assert 'data-testid="print"' not in item and 'data-action="dispatch"' not in item
