"""Helpers shared by the letters tests: a case with a history, and reading PDFs with poppler."""
import re
import subprocess
from datetime import date

from caseflow.cases.models import Channel
from caseflow.cases.services import log_follow_up, transition
from caseflow.letters.services import draft_letter
from tests.conftest import step_data

# Any 12-digit run, grouped or not: stricter than the Aadhaar rule, as a letter has none at all.
FULL_AADHAAR = re.compile(r"(?<!\d)\d{4}[ .-]?\d{4}[ .-]?\d{4}(?!\d)")


def case_with_history(world, *, name="सुनीता देवी", relative_name="रामलाल", aadhaar_last4="9012", **person_fields):
    """A case escalated to level 2 (the Janpad CEO) after a follow-up with the secretary."""
    person = world.person(name=name, relative_name=relative_name, aadhaar_last4=aadhaar_last4, **person_fields)
    case = world.case(person=person, status="submitted")
    log_follow_up(case, world.incharge, expected_version=case.version, channel=Channel.VISIT,
                  response="सचिव ने कहा कि फ़ाइल जनपद भेज दी गई है", office_id=world.secretary.id)
    transition(case, world.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    return case


def escalation_letter(case):
    """The letter the escalation of `case_with_history` drafted to the Janpad CEO (level 2)."""
    from caseflow.letters.services import letters_for_case

    [letter] = letters_for_case(case)
    return letter


def letter_to(world, case, office, level: int, *, days: int = 15):
    """A letter drafted by the in-charge (the world's offices are detached: load this one)."""
    from caseflow.areas.models import Office
    from caseflow.extensions import db

    return draft_letter(case, db.session.get(Office, office.id), actor=world.incharge, level=level,
                        due_within_days=days)


def pdftotext(pdf: bytes, *, layout: bool = False, page: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name without the subset prefix, embedded?) for every font of the PDF."""
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    fonts = []
    for line in out.splitlines()[2:]:
        columns = line.split()
        name = columns[0].split("+", 1)[-1]
        # columns from the right: object id (2), uni, sub, emb
        fonts.append((name, columns[-5] == "yes"))
    return fonts


def today_iso() -> str:
    from caseflow.db import today

    return today().isoformat()


def as_date(text: str) -> date:
    return date.fromisoformat(text)


def matrix_letters(world) -> dict:
    """Objects for tests/test_routes_matrix.py, in Sehore ("shr") and Raisen ("rsn"), each on a
    case of its own so the matrix's other rows keep their versions:

    - letter: a drafted letter (printing, dispatch);
    - dispatched_letter: a letter sent by hand (acknowledgement); its stored file is a stand-in,
      the matrix is about who may act, not about rendering;
    - letter_case: a submitted case with no letter yet (drafting from the case page).
    """
    from caseflow.areas.models import Office
    from caseflow.db import today, utcnow
    from caseflow.extensions import db
    from caseflow.letters import storage
    from caseflow.letters.models import DispatchMode
    from caseflow.letters.services import record_dispatch

    found = {"letter": {}, "dispatched_letter": {}, "letter_case": {}}
    for district, actor, settlement in (("shr", world.incharge, world.village),
                                        ("rsn", world.other_incharge, world.other_village)):
        def new_case(name, settlement=settlement, actor=actor):
            return world.case(person=world.person(name=name, settlement=settlement, actor=actor), actor=actor,
                              status="submitted")

        office = db.session.get(Office, world.janpad.id)
        found["letter"][district] = draft_letter(new_case("Gita Bai"), office, actor=actor, level=1)
        sent = draft_letter(new_case("Rukmini Bai"), office, actor=actor, level=1)
        sent.pdf_path, sent.pdf_sha256 = storage.store(sent.reference, b"%PDF-1.4\n% matrix stand-in\n")
        sent.rendered_at = utcnow()
        db.session.flush()
        found["dispatched_letter"][district] = record_dispatch(sent, actor, expected_version=sent.version,
                                                               mode=DispatchMode.HAND, on=today())
        found["letter_case"][district] = new_case("Parvati Bai")
    return found


def committed_letters(app, letters: int = 0) -> dict:
    """A submitted case with `letters` letters drafted to its janpad office, committed (for tests
    whose threads or processes read them on connections of their own): ids only."""
    from caseflow.areas.models import Office
    from caseflow.extensions import db
    from tests.conftest import World

    with app.app_context():
        world = World()
        case = world.case(status="submitted")
        office = db.session.get(Office, world.janpad.id)
        drafted = [draft_letter(case, office, actor=world.incharge, level=2, due_within_days=15).id
                   for _ in range(letters)]
        db.session.commit()
        return {"case": case.id, "office": office.id, "incharge": world.incharge.id, "letters": drafted}
