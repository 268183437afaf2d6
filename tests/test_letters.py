"""Letters: what the HTML says in Hindi and English, the PDF (pages, fonts, text, masking),
the locked-down URL fetcher, storage with reprints of identical bytes, and dispatch.

Guards issue 3 item 6: the letter carries the letterhead, register reference, Indian date,
addressee snapshot, subject, beneficiary (identity numbers masked), scheme, application,
time limit and days elapsed, chronology, request, copies and signature; it renders with the
shipped fonts only; the renderer fetches nothing but the project's own assets; a stored
letter is reprinted byte for byte and a tampered one is refused.
"""
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case
from caseflow.db import today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.identity import verhoeff_digit
from caseflow.letters import render, services, storage
from caseflow.letters.models import DispatchMode, Letter, LetterStatus
from tests.letters_support import (
    FULL_AADHAAR,
    case_with_history,
    escalation_letter,
    letter_to,
    pdf_fonts,
    pdf_pages,
    pdftotext,
)


@pytest.fixture(autouse=True)
def letters_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    return tmp_path / "letters"


@pytest.fixture
def history(app, world):
    """A case at level 2 with letters to the Janpad CEO (Hindi) and the Collector (English)."""
    with app.app_context():
        case = case_with_history(world)
        hindi = escalation_letter(case)
        english = letter_to(world, case, world.collector, 3, days=30)
        db.session.commit()
        return {"case": case.id, "hi": hindi.id, "en": english.id}


def _letter(letter_id) -> Letter:
    return db.session.get(Letter, letter_id)


# --- the HTML, in both languages -----------------------------------------------------------

def test_hindi_letter_says_everything_in_hindi(app, world, history):
    with app.app_context():
        letter = _letter(history["hi"])
        html = render.letter_html(letter)
        on = render.local_date(letter.created_at)
        with force_locale("hi"):
            hindi_date = format_date(on, "d MMMM y")
            to_line, subject = _("To,"), _("Subject: escalation (level %(level)s) of the %(scheme)s application of "
                                            "%(name)s", level=2, scheme="प्रधानमंत्री आवास योजना (ग्रामीण)",
                                            name="सुनीता देवी")
    assert letter.language == "hi" and '<html lang="hi">' in html
    assert letter.reference in html and letter.reference.startswith("SHR/LTR/")
    assert hindi_date in html and any(month in hindi_date for month in ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई",
                                                                         "जून", "जुलाई", "अगस्त", "सितंबर",
                                                                         "अक्तूबर", "नवंबर", "दिसंबर"))
    # The addressee snapshot, the beneficiary, the places and the scheme, all in Hindi.
    assert "मुख्य कार्यपालन अधिकारी, जनपद पंचायत, आष्टा" in html and "A. Khan" in html
    assert "सुनीता देवी" in html and "रामलाल" in html
    assert "रामपुर खुर्द, रामपुर, आष्टा, सीहोर" in html
    assert "प्रधानमंत्री आवास योजना (ग्रामीण)" in html and "PMAY-G" in html
    assert "XXXX XXXX 9012" in html
    # The strings come from the catalogue with the locale forced to Hindi, whoever prints.
    assert to_line in html and subject in html
    # Application, time limit (level 2: 15 working days), days elapsed and the chronology.
    assert "PMAYG/2026/0042" in html and "05/01/2026" in html
    days = (on - world_application_date()).days
    assert f"<td>{days}</td>" in html
    assert "सचिव ने कहा कि फ़ाइल जनपद भेज दी गई है" in html and "No reply in three visits" in html
    # Copy to the next level (the Collector) and the supervisor; signed by the in-charge.
    assert "कलेक्टर, सीहोर" in html and "R. Sharma" in html
    assert "Supervisor" in html and "In-charge Sehore" in html


def world_application_date():
    from tests.conftest import step_data

    return step_data("submit")["application_date"]


def test_english_letter_for_an_english_office(app, world, history):
    with app.app_context():
        letter = _letter(history["en"])
        html = render.letter_html(letter)
        on = render.local_date(letter.created_at)
        with force_locale("en"):
            english_date = format_date(on, "d MMMM y")
    assert letter.language == "en" and '<html lang="en">' in html
    assert "To," in html and "Collector, Sehore" in html and "R. Sharma" in html
    assert "Pradhan Mantri Awas Yojana (Gramin)" in html and "Rampur Khurd, Rampur, Ashta, Sehore" in html
    assert english_date in html
    assert "within 30 working days" in html
    # The earlier letter (to the Janpad CEO) is part of the chronology; the copy goes to nobody
    # above the Collector, so only the supervisor and the office file.
    earlier = _letter_reference(app, history["hi"])
    assert f"Letter {earlier} to" in html
    assert "for information and necessary action" not in html


def _letter_reference(app, letter_id) -> str:
    with app.app_context():
        return _letter(letter_id).reference


def test_chronology_stops_at_the_letters_creation(app, world, history):
    from caseflow.cases.models import Channel
    from caseflow.cases.services import log_follow_up

    with app.app_context():
        case = db.session.get(type(_letter(history["hi"]).case), history["case"])
        log_follow_up(case, world.incharge, expected_version=case.version, channel=Channel.PHONE,
                      response="Said after the letter was written", office_id=world.janpad.id)
        db.session.commit()
        html = render.letter_html(_letter(history["hi"]))
    assert "Said after the letter was written" not in html


def test_markup_in_any_field_is_text_not_markup(app, world):
    with app.app_context():
        case = case_with_history(world, name='<img src="http://127.0.0.1:9/x">',
                                 relative_name='<link rel="stylesheet" href="file:///etc/passwd">')
        html = render.letter_html(letter_to(world, case, world.janpad, 2))
    assert "&lt;img src=" in html and "&lt;link rel=" in html
    assert '<img src="http' not in html and '<link rel="stylesheet"' not in html


# --- the PDF -------------------------------------------------------------------------------

def test_pdf_has_pages_shipped_fonts_and_the_english_text(app, history):
    with app.app_context():
        letter, pdf = services.print_letter(history["en"])
        reference = letter.reference
        db.session.commit()
    pages = pdf_pages(pdf)
    assert pdf.startswith(b"%PDF-") and pages >= 1
    fonts = pdf_fonts(pdf)
    names = {name.replace("-", "") for name, _embedded in fonts}
    assert {"LetterNotoSans", "LetterNotoSansDevanagari"} <= names, fonts
    assert all(embedded for _name, embedded in fonts), "every font must be embedded"
    # Only the shipped fonts: no fallback to whatever the machine has installed.
    assert all(name.startswith("Letter-Noto-Sans") for name, _embedded in fonts), fonts
    text = " ".join(pdftotext(pdf).split())
    assert reference in text
    assert "Collector, Sehore" in text and "Pradhan Mantri Awas Yojana (Gramin)" in text
    assert "You are therefore requested to take action on this application within 30 working days" in text
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in " ".join(pdftotext(pdf, page=page).split())


def test_no_full_identity_number_reaches_the_pdf(app, world, monkeypatch):
    """A 12-digit number in every free-text field that reaches the letter comes out masked."""
    from caseflow.areas.models import Office
    from caseflow.auth.models import User
    from caseflow.cases.models import CaseEvent

    # Numbers that pass the Aadhaar rule (first digit 2-9, Verhoeff check digit), grouped 4-4-4.
    bases = (f"{n:04d}{n + 111:04d}{n % 997:03d}" for n in range(2001, 9999, 37))
    numbers = iter(f"{d[:4]} {d[4:8]} {d[8:]}" for d in (b + verhoeff_digit(b) for b in bases))
    monkeypatch.setitem(app.config, "ORGANISATION_ADDRESS", f"Office {next(numbers)}\nSehore")
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", f"Jan Sahayata {next(numbers)}")
    with app.app_context():
        case = case_with_history(world, name=f"Sunita {next(numbers)}", relative_name=f"Ramlal {next(numbers)}")
        db.session.get(User, world.incharge.id).display_name = f"In-charge {next(numbers)}"
        db.session.get(User, world.supervisor.id).display_name = f"Supervisor {next(numbers)}"
        case.area.name_hi = f"रामपुर {next(numbers)}"
        case.scheme.name_hi = f"आवास {next(numbers)}"
        janpad = db.session.get(Office, world.janpad.id)
        janpad.holder_name, janpad.address = f"Khan {next(numbers)}", f"Janpad {next(numbers)}"
        # References refuse a full number at flush: set straight on the rows, past every guard,
        # to prove the letter masks on its own.
        db.session.flush()
        db.session.execute(sa.update(Case).where(Case.id == case.id).values(
            application_ref=next(numbers).replace(" ", ""), grievance_ref=next(numbers).replace(" ", "-")))
        db.session.refresh(case)
        for event in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)):
            event.note = f"Note {next(numbers)}"
        earlier = letter_to(world, case, janpad, 2)
        services.record_dispatch(earlier, world.incharge, expected_version=earlier.version,
                                 mode=DispatchMode.HAND, on=today())
        db.session.flush()
        db.session.execute(sa.update(Letter).where(Letter.id == earlier.id).values(
            ack_inward_number=next(numbers), ack_date=today(), status=LetterStatus.ACKNOWLEDGED))
        db.session.refresh(earlier)
        letter = letter_to(world, case, janpad, 2)
        db.session.flush()
        html = render.letter_html(letter)
        _letter_row, pdf = services.print_letter(letter.id)
    text = pdftotext(pdf)
    assert html.count("XXXX XXXX") >= 14, "every seeded field reaches the letter"
    assert FULL_AADHAAR.findall(html) == []
    assert FULL_AADHAAR.findall(text) == [], "a full identity number is in the PDF's text"
    assert FULL_AADHAAR.findall(" ".join(text.split())) == []
    assert "XXXX XXXX" in text


# --- the URL fetcher -------------------------------------------------------------------------

@pytest.fixture
def listener():
    """A local socket that would see any connection the renderer tried to make."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _connections(server) -> int:
    count = 0
    while True:
        try:
            conn, _addr = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_a_name_made_of_tags_makes_the_renderer_fetch_nothing(app, world, listener):
    port = listener.getsockname()[1]
    with app.app_context():
        case = case_with_history(world, name=f'<img src="http://127.0.0.1:{port}/x">',
                                 relative_name='<link rel="stylesheet" href="file:///etc/passwd">')
        letter = letter_to(world, case, world.janpad, 2)
        fetcher = render.asset_fetcher()
        pdf = render.html_to_pdf(render.letter_html(letter), fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert fetcher.refused == []
    static = render.STATIC_DIR.resolve().as_uri() + "/"
    assert fetcher.served and all(url.startswith(static + "letterhead/") or url.startswith(static + "fonts/")
                                  for url in fetcher.served), fetcher.served
    assert _connections(listener) == 0
    assert f"127.0.0.1:{port}" in " ".join(pdftotext(pdf).split())  # printed as text


def test_the_fetcher_refuses_everything_but_the_project_assets(app, listener, tmp_path):
    port = listener.getsockname()[1]
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    static = render.STATIC_DIR.resolve()
    html = f"""<html><head>
      <link rel="stylesheet" href="file:///etc/passwd">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
      <link rel="stylesheet" href="{(static / 'app.css').as_uri()}">
      <style>@import url("https://127.0.0.1:{port}/imported.css");
             body {{ background: url("http://127.0.0.1:{port}/bg.png"); }}</style></head>
      <body><p>Hello</p>
      <img src="http://127.0.0.1:{port}/x.png"><img src="{outside.as_uri()}">
      <img src="data:image/png;base64,iVBORw0KGgo=">
      <img src="fonts/../../../config.py"><img src="letterhead/../../../config.py">
      <object data="ftp://127.0.0.1:{port}/x"></object>
      <img src="letterhead/logo.svg"></body></html>"""
    with app.app_context():
        fetcher = render.asset_fetcher()
        pdf = render.html_to_pdf(html, fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert _connections(listener) == 0
    assert fetcher.served == [(static / "letterhead" / "logo.svg").as_uri()]
    refused = " ".join(fetcher.refused)
    for expected in ("file:///etc/passwd", f"http://127.0.0.1:{port}/style.css", "app.css",
                     f"http://127.0.0.1:{port}/x.png", outside.as_uri(), "data:image/png", "config.py"):
        assert expected in refused, (expected, fetcher.refused)


@pytest.mark.parametrize("url, allowed", [
    ("fonts/NotoSans-Regular.ttf", True),
    ("letterhead/logo.svg", True),
    ("fonts/../app.css", False),
    ("fonts/../../config.py", False),
    ("file:///etc/passwd", False),
    ("http://127.0.0.1:9/x", False),
    ("https://example.org/x", False),
    ("data:text/plain,hello", False),
    ("file://otherhost/etc/passwd", False),
    ("fonts/missing.ttf", False),
])
def test_fetcher_paths(app, url, allowed):
    from urllib.parse import urljoin

    with app.app_context():
        fetcher = render.asset_fetcher()
    absolute = urljoin(render.STATIC_DIR.resolve().as_uri() + "/", url)
    if allowed:
        assert fetcher.local_path(absolute).is_file()
    else:
        with pytest.raises(render.FetchRefused):
            fetcher.local_path(absolute)


def test_a_configured_logo_outside_the_static_folder_is_served(app, world, tmp_path, monkeypatch):
    logo = tmp_path / "org-logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    monkeypatch.setitem(app.config, "LETTERHEAD_LOGO", str(logo))
    with app.app_context():
        case = case_with_history(world)
        letter = letter_to(world, case, world.janpad, 2)
        fetcher = render.asset_fetcher()
        render.html_to_pdf(render.letter_html(letter), fetcher=fetcher)
    assert logo.as_uri() in fetcher.served and fetcher.refused == []


def test_one_font_configuration_for_the_process(app, history):
    with app.app_context():
        first = render.font_config()
        services.print_letter(history["hi"])
        services.print_letter(history["en"])
    assert render.font_config() is first


# --- storage and reprints --------------------------------------------------------------------

def _actions(letter_id) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "letters", AuditEntry.object_id == str(letter_id)).order_by(AuditEntry.seq)))


def test_first_print_stores_the_pdf_and_reprints_return_the_same_bytes(app, history, letters_dir):
    with app.app_context():
        letter = _letter(history["hi"])
        version = letter.version
        _row, first = services.print_letter(letter.id)
        db.session.commit()
        letter = _letter(history["hi"])
        path = Path(storage.path_of(letter.pdf_path))
        assert path.is_file() and path.is_relative_to(letters_dir)
        assert path.read_bytes() == first
        assert letter.pdf_sha256 == storage.sha256(first) and letter.rendered_at is not None
        # Rendering is not an edit: the version that open dispatch forms carry is unchanged.
        assert letter.version == version
        assert path.parent.relative_to(letters_dir).as_posix() == f"SHR/{letter.reference.split('/')[2]}"
        _row, second = services.print_letter(letter.id)
        db.session.commit()
        assert second == first
        assert _actions(letter.id) == ["letter.drafted", "letter.rendered", "letter.printed", "letter.printed"]


def test_a_tampered_stored_letter_is_an_error_not_a_new_render(app, history):
    with app.app_context():
        _row, original = services.print_letter(history["hi"])
        db.session.commit()
        letter = _letter(history["hi"])
        path = storage.path_of(letter.pdf_path)
        path.write_bytes(original.replace(b"%PDF-", b"%PDF-", 1) + b"% tampered\n")
        with pytest.raises(storage.LetterFileError):
            services.print_letter(letter.id)
        db.session.rollback()
        path.unlink()
        with pytest.raises(storage.LetterFileError):
            services.print_letter(letter.id)
        db.session.rollback()
        assert _letter(history["hi"]).pdf_sha256 == storage.sha256(original)


# --- dispatch and acknowledgement ------------------------------------------------------------

def test_dispatch_then_acknowledgement(app, world, history):
    with app.app_context():
        letter = _letter(history["hi"])
        assert letter.pdf_path is None
        services.record_dispatch(letter, world.incharge, expected_version=letter.version,
                                 mode=DispatchMode.REGISTERED_POST, on=today(), note="RL 2345 6783 9012 IN")
        db.session.commit()
        letter = _letter(history["hi"])
        # What was sent is the stored PDF: dispatching an unprinted letter renders it.
        assert letter.status is LetterStatus.DISPATCHED and letter.pdf_path
        assert letter.dispatch_note == "RL XXXX XXXX 9012 IN"
        with pytest.raises(services.LetterError):
            services.record_dispatch(letter, world.incharge, expected_version=letter.version,
                                     mode=DispatchMode.HAND, on=today())
        with pytest.raises(services.LetterError):
            services.record_acknowledgement(letter, world.incharge, expected_version=letter.version,
                                            inward_number="IN/77", on=today() - timedelta(days=1))
        services.record_acknowledgement(letter, world.incharge, expected_version=letter.version,
                                        inward_number="IN/77", on=today())
        db.session.commit()
        letter = _letter(history["hi"])
        assert letter.status is LetterStatus.ACKNOWLEDGED and letter.ack_inward_number == "IN/77"
        assert _actions(letter.id) == ["letter.drafted", "letter.rendered", "letter.dispatched", "letter.acknowledged"]


def test_dispatch_rules(app, world, history):
    with app.app_context():
        letter = _letter(history["en"])
        with pytest.raises(services.LetterError):
            services.record_acknowledgement(letter, world.incharge, expected_version=letter.version,
                                            inward_number="IN/1", on=today())
        with pytest.raises(services.LetterError):
            services.record_dispatch(letter, world.incharge, expected_version=letter.version,
                                     mode=DispatchMode.HAND, on=today() + timedelta(days=1))
        with pytest.raises(services.LetterError):
            services.record_dispatch(letter, world.incharge, expected_version=letter.version,
                                     mode=DispatchMode.HAND, on=render.local_date(letter.created_at) - timedelta(days=1))
        with pytest.raises(Stale):
            services.record_dispatch(letter, world.incharge, expected_version=letter.version - 1,
                                     mode=DispatchMode.HAND, on=today())
        db.session.rollback()
        assert _letter(history["en"]).status is LetterStatus.DRAFTED


def test_the_database_refuses_a_dispatched_letter_without_its_pdf(app, history):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(sa.update(Letter).where(Letter.id == history["hi"]).values(
                status=LetterStatus.DISPATCHED, dispatch_mode=DispatchMode.HAND, dispatched_on=today()))


def test_referral_letter_names_the_accused_office_never_the_complainant(app, world):
    from datetime import date

    from caseflow.bias.models import AccusedRole, BiasKind
    from caseflow.bias.services import Complainant, file_report
    from caseflow.letters.models import LetterKind

    with app.app_context():
        case = case_with_history(world)
        report = file_report(case, world.incharge, accused_role=AccusedRole.SARPANCH, kind=BiasKind.POLITICAL,
                             incident_date=date(2026, 2, 3), account="He said I did not vote for him",
                             complainant=Complainant(is_beneficiary=False, name="Shanti Bai", contact="9876543210"))
        from caseflow.areas.models import Office

        letter = services.draft_letter(case, db.session.get(Office, world.collector.id), actor=world.incharge,
                                       kind=LetterKind.REFERRAL, bias_report_id=report.id)
        html = render.letter_html(letter)
        _row, pdf = services.print_letter(letter.id)
    assert "complaint of political retaliation against the Sarpanch, Rampur" in html
    assert "03/02/2026" in html and "Collector, Sehore" in html
    text = " ".join(pdftotext(pdf).split())
    for secret in ("He said I did not vote", "Shanti", "9876543210"):
        assert secret not in html and secret not in text
    assert "Page 1 of" in text
