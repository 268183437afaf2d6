"""The letters pages: printing from the case page, the register with its filters and scope,
dispatch and acknowledgement forms with version checks, drafting from the case page, batch
printing with progress (one PDF, each letter numbered on its own), and the operator's CLI.
"""
import re

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case
from caseflow.db import today
from caseflow.extensions import db
from caseflow.letters import services, storage
from caseflow.letters.models import DispatchMode, Letter, LetterStatus
from tests.conftest import text_of
from tests.letters_support import case_with_history, escalation_letter, letter_to, pdf_pages, pdftotext


@pytest.fixture(autouse=True)
def letters_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    return tmp_path / "letters"


@pytest.fixture
def letters(app, world):
    """A Sehore case with a letter to the Janpad CEO, and a Raisen letter outside the in-charge's scope."""
    with app.app_context():
        case = case_with_history(world)
        shr = escalation_letter(case)
        rsn_person = world.person(name="Kamla Bai", settlement=world.other_village, actor=world.other_incharge)
        rsn_case = world.case(person=rsn_person, actor=world.other_incharge, status="submitted")
        from caseflow.areas.services import save_office
        from caseflow.letters.services import draft_letter

        rsn_office = save_office(area_id=world.other_district.id, kind_id=world.kinds["collector"].id,
                                 holder_name="P. Rao", language="en", actor=None)
        rsn = draft_letter(rsn_case, rsn_office, actor=world.other_incharge, level=1, due_within_days=15)
        db.session.commit()
        return {"case": case.id, "shr": shr.id, "rsn": rsn.id, "shr_ref": shr.reference, "rsn_ref": rsn.reference}


def _letter(app, letter_id) -> Letter:
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        db.session.expunge(letter)
        return letter


def _actions(app, letter_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "letters", AuditEntry.object_id == str(letter_id)).order_by(AuditEntry.seq)))


# --- printing -------------------------------------------------------------------------------

def test_print_renders_once_and_reprints_the_same_bytes(app, world, letters, client, auth):
    auth.login(world.incharge)
    first = client.get(f"/letters/{letters['shr']}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.headers["Cache-Control"] == "no-store"
    assert 'filename="SHR-LTR-' in first.headers["Content-Disposition"]
    again = client.get(f"/letters/{letters['shr']}/pdf")
    assert again.get_data() == first.get_data()
    assert _letter(app, letters["shr"]).pdf_sha256 == storage.sha256(first.get_data())
    assert _actions(app, letters["shr"]) == ["letter.drafted", "letter.rendered", "letter.printed", "letter.printed"]


def test_print_is_scoped(app, world, letters, client, auth):
    auth.login(world.incharge)
    assert client.get(f"/letters/{letters['rsn']}/pdf").status_code == 404
    assert _letter(app, letters["rsn"]).pdf_path is None
    auth.logout()
    auth.login(world.supervisor)
    assert client.get(f"/letters/{letters['rsn']}/pdf").status_code == 200
    auth.logout()
    auth.login(world.admin)
    assert client.get(f"/letters/{letters['shr']}/pdf").status_code == 403


def test_a_damaged_stored_letter_shows_an_error_page(app, world, letters, client, auth):
    auth.login(world.incharge)
    original = client.get(f"/letters/{letters['shr']}/pdf").get_data()
    with app.app_context():
        path = storage.path_of(db.session.get(Letter, letters["shr"]).pdf_path)
    path.write_bytes(original[:-10])
    response = client.get(f"/letters/{letters['shr']}/pdf")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Stored letter damaged" in text_of(response) and letters["shr_ref"] in text_of(response)
    assert _letter(app, letters["shr"]).pdf_sha256 == storage.sha256(original)


# --- the case page --------------------------------------------------------------------------

def test_case_page_lists_letters_with_print_and_dispatch(app, world, letters, client, auth):
    auth.login(world.incharge)
    page = client.get(f"/cases/{letters['case']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert letters["shr_ref"] in html and f'href="/letters/{letters["shr"]}/pdf"' in html
    assert f'action="/letters/{letters["shr"]}/dispatch"' in html
    # The letter to the office now responsible is not sent yet, so no second one is offered.
    assert "has not been sent yet" in text_of(page)
    assert f'action="/cases/{letters["case"]}/letters/draft"' not in html


def test_draft_a_letter_from_the_case_page(app, world, client, auth):
    with app.app_context():
        case = case_with_history(world)
        # The escalation's own letter went out; the in-charge now writes a reminder to the same office.
        sent = escalation_letter(case)
        services.record_dispatch(sent, world.incharge, expected_version=sent.version, mode=DispatchMode.HAND,
                                 on=today())
        db.session.commit()
        case_id, version, sent_id = case.id, case.version, sent.id
    auth.login(world.incharge)
    page = client.get(f"/cases/{case_id}")
    assert f'action="/cases/{case_id}/letters/draft"' in page.get_data(as_text=True)
    assert "Draft a letter to CEO, Janpad Panchayat, Ashta now" in text_of(page)
    response = client.post(f"/cases/{case_id}/letters/draft", data={"letter-version": version})
    assert response.status_code == 303
    with app.app_context():
        drafted = db.session.scalars(sa.select(Letter).where(Letter.case_id == case_id, Letter.id != sent_id)).all()
        assert [(x.addressee_office_id, x.level, x.due_within_days, x.language) for x in drafted] == [
            (world.janpad.id, 2, 15, "hi")]
    # The same form again (a double click): the case moved on, nothing more is drafted.
    assert client.post(f"/cases/{case_id}/letters/draft", data={"letter-version": version}).status_code == 409
    # With the new version: refused while the first letter is unsent.
    with app.app_context():
        version = db.session.get(Case, case_id).version
    response = client.post(f"/cases/{case_id}/letters/draft", data={"letter-version": version},
                           follow_redirects=True)
    assert "has not been sent yet" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter).where(Letter.case_id == case_id)) == 2


def test_no_draft_button_without_a_responsible_office(app, world, client, auth):
    with app.app_context():
        case = world.case(status="documented")
        db.session.commit()
        case_id, version = case.id, case.version
    auth.login(world.incharge)
    assert "/letters/draft" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    response = client.post(f"/cases/{case_id}/letters/draft", data={"letter-version": version},
                           follow_redirects=True)
    assert "not waiting on an office" in text_of(response)
    auth.logout()
    auth.login(world.other_incharge)
    assert client.post(f"/cases/{case_id}/letters/draft", data={"letter-version": version}).status_code == 404


# --- dispatch and acknowledgement over HTTP -------------------------------------------------------

def _dispatch(client, letter, **fields):
    data = {f"dispatch-{letter.id}-version": letter.version, f"dispatch-{letter.id}-mode": "registered_post",
            f"dispatch-{letter.id}-dispatched_on": today().isoformat(), f"dispatch-{letter.id}-back": "case"}
    data.update({f"dispatch-{letter.id}-{k}": v for k, v in fields.items()})
    return client.post(f"/letters/{letter.id}/dispatch", data=data)


def test_dispatch_and_acknowledge_with_version_checks(app, world, letters, client, auth):
    auth.login(world.incharge)
    letter = _letter(app, letters["shr"])
    response = _dispatch(client, letter, note="RL123456789IN")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{letters['case']}#letter-{letter.id}")
    dispatched = _letter(app, letters["shr"])
    assert dispatched.status is LetterStatus.DISPATCHED and dispatched.dispatch_note == "RL123456789IN"
    # The same form again: the letter's version moved, so it is a conflict, not a second dispatch.
    stale = _dispatch(client, letter)
    assert stale.status_code == 409 and "This letter changed" in text_of(stale)
    ack = {f"ack-{letter.id}-version": dispatched.version, f"ack-{letter.id}-inward_number": "IN/2026/311",
           f"ack-{letter.id}-ack_date": today().isoformat(), f"ack-{letter.id}-back": "register"}
    response = client.post(f"/letters/{letter.id}/acknowledge", data=ack)
    assert response.status_code == 303 and "/letters#letter-" in response.headers["Location"]
    done = _letter(app, letters["shr"])
    assert done.status is LetterStatus.ACKNOWLEDGED and done.ack_inward_number == "IN/2026/311"
    assert client.post(f"/letters/{letter.id}/acknowledge", data=ack).status_code == 409
    assert _actions(app, letter.id) == ["letter.drafted", "letter.rendered", "letter.dispatched", "letter.acknowledged"]


def test_bad_dispatch_input_changes_nothing(app, world, letters, client, auth):
    auth.login(world.incharge)
    letter = _letter(app, letters["shr"])
    response = _dispatch(client, letter, mode="pigeon")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Not a valid choice" in text_of(page)
    response = _dispatch(client, letter, dispatched_on="2999-01-01")
    assert "cannot be in the future" in text_of(client.get(response.headers["Location"]))
    response = _dispatch(client, letter, back="https://evil.example/")
    assert response.status_code == 303 and response.headers["Location"].startswith("/letters")
    assert _letter(app, letters["shr"]).status is LetterStatus.DRAFTED
    # An acknowledgement before the dispatch is refused with a reason.
    response = client.post(f"/letters/{letter.id}/acknowledge", data={
        f"ack-{letter.id}-version": letter.version, f"ack-{letter.id}-inward_number": "IN/1",
        f"ack-{letter.id}-ack_date": today().isoformat()}, follow_redirects=True)
    assert "before its acknowledgement" in text_of(response)
    assert _letter(app, letters["shr"]).status is LetterStatus.DRAFTED


# --- the register -----------------------------------------------------------------------------

def test_register_shows_my_districts_letters_only(app, world, letters, client, auth):
    auth.login(world.incharge)
    page = text_of(client.get("/letters"))
    assert letters["shr_ref"] in page and letters["rsn_ref"] not in page
    assert "सुनीता देवी" in page
    auth.logout()
    auth.login(world.supervisor)
    page = text_of(client.get("/letters"))
    assert letters["shr_ref"] in page and letters["rsn_ref"] in page
    only_raisen = text_of(client.get(f"/letters?district={world.other_district.id}"))
    assert letters["shr_ref"] not in only_raisen and letters["rsn_ref"] in only_raisen


def test_register_filters_by_status_and_date(app, world, letters, client, auth):
    auth.login(world.supervisor)
    with app.app_context():
        letter = db.session.get(Letter, letters["shr"])
        from caseflow.letters.models import DispatchMode
        from caseflow.letters.services import record_dispatch

        record_dispatch(letter, world.incharge, expected_version=letter.version, mode=DispatchMode.HAND, on=today())
        db.session.commit()
    dispatched = text_of(client.get("/letters?status=dispatched"))
    assert letters["shr_ref"] in dispatched and letters["rsn_ref"] not in dispatched
    drafted = text_of(client.get("/letters?status=drafted"))
    assert letters["shr_ref"] not in drafted and letters["rsn_ref"] in drafted
    tomorrow = today().toordinal() + 1
    from datetime import date

    later = date.fromordinal(tomorrow).isoformat()
    assert "No letters match" in text_of(client.get(f"/letters?from={later}"))
    assert letters["rsn_ref"] in text_of(client.get(f"/letters?to={today().isoformat()}"))


def test_register_pages(app, world, client, auth):
    from caseflow.letters import views

    with app.app_context():
        case = case_with_history(world)
        refs = [letter_to(world, case, world.janpad, 2).reference for _ in range(views.PAGE_SIZE + 3)]
        db.session.commit()
    auth.login(world.incharge)
    first = client.get("/letters")
    html = first.get_data(as_text=True)
    assert refs[-1] in html and refs[2] not in html
    next_link = re.search(r'href="([^"]*before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    second = text_of(client.get(next_link))
    assert refs[0] in second and refs[-1] not in second


# --- batch printing -----------------------------------------------------------------------------

def test_batch_prints_one_pdf_with_each_letters_own_page_numbers(app, world, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_BATCH_CHUNK", 2)
    with app.app_context():
        refs = []
        for name in ("Asha", "Bimla", "Chanda"):
            case = case_with_history(world, name=name)
            refs.append(escalation_letter(case).reference)
        db.session.commit()
    auth.login(world.incharge)
    register = client.get("/letters").get_data(as_text=True)
    assert "The batch prints the letters still to be sent (drafted) that match these filters: 3." in register
    url = re.search(r'href="(/letters/batch\?[^"]+)"', register).group(1).replace("&amp;", "&")
    steps = 0
    while True:
        page = client.get(url)
        steps += 1
        assert page.status_code == 200
        if "Refresh" not in page.headers:
            break
        assert page.headers["Refresh"].startswith("0; url=/letters/batch?")
        assert re.search(r"\d of 3 letters ready", text_of(page))
        url = page.headers["Refresh"].split("url=", 1)[1]
    assert steps == 2, "chunks of 2: one step renders two letters, the next the third and finishes"
    assert "3 of 3 letters ready" in text_of(page)
    pdf_url = re.search(r'href="(/letters/batch\.pdf\?[^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.get(pdf_url.replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    singles = [client.get(f"/letters/{i}/pdf").get_data() for i in _ids(app, refs)]
    per_letter = [pdf_pages(single) for single in singles]
    assert pdf_pages(pdf) == sum(per_letter)
    page_no = 0
    for ref, count in zip(refs, per_letter, strict=True):
        for n in range(1, count + 1):
            page_no += 1
            text = " ".join(pdftotext(pdf, page=page_no).split())
            # The escalation letters go to the Janpad CEO, whose office reads Hindi.
            assert f"पृष्ठ {n} / {count}" in text and ref in text
    with app.app_context():
        printed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "letter.printed"))
    assert printed == 3 + 3  # the batch, then the three single prints


def test_batch_pdf_before_the_batch_is_ready_goes_to_the_progress_page(app, world, letters, client, auth):
    auth.login(world.incharge)
    response = client.get(f"/letters/batch.pdf?status=drafted&upto={letters['shr']}")
    assert response.status_code == 302 and "/letters/batch?" in response.headers["Location"]
    assert _letter(app, letters["shr"]).pdf_path is None


def test_batch_refuses_more_than_the_limit(app, world, letters, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_BATCH_LIMIT", 1)
    with app.app_context():
        case = db.session.get(Case, letters["case"])
        letter_to(world, case, world.collector, 3)
        db.session.commit()
    auth.login(world.incharge)
    assert "cannot be printed at once" in text_of(client.get("/letters"))
    page = client.get("/letters/batch?status=drafted")
    assert "cannot be printed at once" in text_of(page) and "Refresh" not in page.headers
    assert _letter(app, letters["shr"]).pdf_path is None


def _batch_box(client, query: str = "") -> str:
    page = client.get(f"/letters{query}").get_data(as_text=True)
    return re.search(r'<p data-testid="batch-box">(.*?)</p>', page, re.S).group(1)


def test_the_batch_box_says_which_letters_it_prints_and_why_none(app, world, letters, client, auth):
    auth.login(world.incharge)
    box = _batch_box(client)
    assert "The batch prints the letters still to be sent (drafted) that match these filters: 1." in box
    letter = _letter(app, letters["shr"])
    assert _dispatch(client, letter).status_code == 303
    # The only letter matching is dispatched: the box says the batch takes drafted letters only.
    page = client.get("/letters").get_data(as_text=True)
    box = _batch_box(client)
    assert "the batch prints only the letters still to be sent (drafted)" in box
    assert "none of the 1 letters that match these filters is still to be sent" in box
    assert "choose their status in the filters" in box and "/letters/batch?" not in page
    # Choosing the status prints those letters again, and the box says so.
    page = client.get("/letters?status=dispatched").get_data(as_text=True)
    assert "The batch prints the letters with the status “Dispatched” that match these filters: 1." in page
    assert re.search(r'href="/letters/batch\?[^"]*status=dispatched', page)
    # Nothing matching at all is a different answer.
    box = _batch_box(client, "?from=2999-01-01")
    assert "No letters match these filters, so there is nothing to print." in box


def _ids(app, refs) -> list[int]:
    with app.app_context():
        rows = dict(db.session.execute(sa.select(Letter.reference, Letter.id).where(Letter.reference.in_(refs))).all())
    return [rows[ref] for ref in refs]


# --- the operator's command ----------------------------------------------------------------------

def test_cli_prints_a_district_into_one_file(app, world, letters, tmp_path):
    out = tmp_path / "batch" / "shr.pdf"
    result = app.test_cli_runner().invoke(args=["caseflow", "letters", "print", "--district", "SHR",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 letters; 1 to render first." in result.output and "rendered 1 of 1" in result.output
    assert "Wrote 1 letters" in result.output
    pdf = out.read_bytes()
    assert letters["shr_ref"] in pdftotext(pdf) and letters["rsn_ref"] not in pdftotext(pdf)
    assert _letter(app, letters["shr"]).pdf_path is not None
    assert _letter(app, letters["rsn"]).pdf_path is None


def test_cli_refuses_an_unknown_district_and_says_when_nothing_matches(app, world, letters, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["caseflow", "letters", "print", "--district", "XXX", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "no district" in result.output
    result = runner.invoke(args=["caseflow", "letters", "print", "--status", "acknowledged",
                                 "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 0 and "No letters match" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_a_batch_started_with_no_letters_stays_empty(app, world, letters, client, auth):
    auth.login(world.incharge)
    page = client.get("/letters/batch?status=drafted&upto=0")
    assert "nothing to print" in text_of(page) and "Refresh" not in page.headers
    assert _letter(app, letters["shr"]).pdf_path is None
