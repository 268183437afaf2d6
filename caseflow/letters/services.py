"""Drafting letters into the per-district dispatch register, and recording their dispatch."""
import sqlalchemy as sa

from caseflow.areas.models import Area, Office
from caseflow.areas.services import district_of
from caseflow.audit.services import record
from caseflow.cases.models import Case, CaseEvent, EventKind
from caseflow.db import today
from caseflow.extensions import db
from caseflow.letters.models import Letter, LetterKind
from caseflow.sequences import next_value


def register_reference(district: Area, year: int) -> str:
    """The next number of the district's dispatch register: never reused, even if unused."""
    sequence = next_value(f"letter:{district.code}", year)
    return f"{district.code}/LTR/{year}/{sequence:05d}"


def draft_letter(case: Case, office: Office, *, actor=None, kind: LetterKind = LetterKind.ESCALATION,
                 level: int | None = None, due_within_days: int | None = None, bias_report_id: int | None = None) -> Letter:
    """Enter a letter to `office` about `case` in the register, in the office's language.

    Only the register entry and the snapshots are written here; the PDF is rendered on
    first print and then kept, so a sweep of thousands of cases does not render thousands
    of PDFs inside its transaction.
    """
    district = district_of(case.area)
    letter = Letter(
        reference=register_reference(district, today().year),
        kind=kind,
        case_id=case.id,
        bias_report_id=bias_report_id,
        district_id=district.id,
        area_path=case.area_path,
        level=level,
        addressee_office_id=office.id,
        addressee_title=office.title(office.language),
        addressee_holder=office.holder_name,
        language=office.language,
        due_within_days=due_within_days,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(letter)
    db.session.flush()
    db.session.add(CaseEvent(case_id=case.id, kind=EventKind.LETTER, actor_id=getattr(actor, "id", None),
                             office_id=office.id, level=level, details={"letter_id": letter.id}))
    record("letter.drafted", actor=actor, obj=letter, data={"case_id": case.id, "kind": kind.value, "level": level})
    db.session.flush()
    return letter


def letters_for_case(case: Case) -> list[Letter]:
    return db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)).all()
