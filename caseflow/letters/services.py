"""The letters' verbs: drafting into the per-district dispatch register, rendering on first
print, recording dispatch and acknowledgement, and assembling batches for printing.

Like every service, these flush and never commit. Rendering writes the PDF file before the
commit (the row must name the stored file and its hash); files are named by their content,
so one left behind by a rolled-back transaction is harmless and is never mistaken for a
stored letter.
"""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.models import Area, Office
from caseflow.areas.services import district_of
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.cases import routing
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, EventKind
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.letters import render, storage
from caseflow.letters.models import DispatchMode, Letter, LetterKind, LetterStatus, SupersededBecause
from caseflow.sequences import next_value


class LetterError(Refused):
    """The request cannot be carried out; the message says why, for the user."""




def register_reference(district: Area, year: int) -> str:
    """The next number of the district's dispatch register: never reused, even if unused."""
    sequence = next_value(f"letter:{district.code}", year)
    return f"{district.code}/LTR/{year}/{sequence:05d}"


def draft_letter(case: Case, office: Office, *, actor=None, kind: LetterKind = LetterKind.ESCALATION,
                 level: int | None = None, due_within_days: int | None = None, bias_report_id: int | None = None,
                 event: CaseEvent | None = None, copy_office_id: int | None = None) -> Letter:
    """Enter a letter to `office` about `case` in the register, in the office's language.

    Only the register entry and the snapshots are written here; the PDF is rendered on
    first print and then kept, so a sweep of thousands of cases does not render thousands
    of PDFs inside its transaction. `event`: the step that made the letter (what the letter
    says of it comes from that record); `copy_office_id`: the office copied in.
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
        event_id=event.id if event is not None else None,
        copy_office_id=copy_office_id,
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


def _copy_to(case: Case) -> int | None:
    """The office above the one the case sits at, copied in on a letter (the same routing walk)."""
    route = routing.route_up(case)
    return route.office_id if route.possible else None


def on_step_taken(case: Case, *, actor, trigger: str, event: CaseEvent, route: routing.Route | None) -> None:
    """After every step of a case (caseflow.cases.signals.step_taken), in the same transaction:
    letters drafted to an office the case no longer sits at are superseded, and an escalation
    or appeal drafts the letter to the new addressee."""
    supersede_left_behind(case, actor, SupersededBecause.SENT_BACK if trigger == "send_back"
                          else SupersededBecause.MOVED_UP if route is not None and trigger != "reopen"
                          else SupersededBecause.DECIDED)
    if trigger in ("escalate", "appeal") and route is not None:
        ladder_level = case.scheme.level(case.level)
        draft_letter(case, db.session.get(Office, case.office_id), actor=actor, level=case.level,
                     due_within_days=ladder_level.time_limit_days if ladder_level else None, event=event,
                     copy_office_id=_copy_to(case))


def supersede_left_behind(case: Case, actor, because: SupersededBecause) -> int:
    """Drafted escalation letters the case has moved away from: kept in the register, never sent.

    A letter stands while the case waits on its addressee; once the case sits at another
    office, or waits on none (sanctioned, rejected, resolved, closed), asking the old one to act
    would be false. Referral letters are about a bias finding, not where the case sits: left alone.
    One UPDATE … RETURNING, run after every step (the sweep's too): no letter is loaded.
    """
    left = sa.and_(Letter.case_id == case.id, Letter.status == LetterStatus.DRAFTED,
                   Letter.kind == LetterKind.ESCALATION)
    if case.status in WAITING_STATUSES and case.office_id is not None:
        left = sa.and_(left, Letter.addressee_office_id != case.office_id)
    # The version moves too, so a dispatch form open on someone's page is refused as stale.
    superseded = db.session.execute(
        sa.update(Letter).where(left)
        .values(status=LetterStatus.SUPERSEDED, superseded_at=utcnow(), superseded_because=because,
                version=Letter.version + 1)
        .returning(Letter.id, Letter.area_path)
        .execution_options(synchronize_session="fetch")
    ).all()
    for letter_id, area_path in superseded:
        record("letter.superseded", actor=actor, object_type=Letter.__tablename__, object_id=letter_id,
               area_path=area_path, data={"case_id": case.id, "status": LetterStatus.SUPERSEDED.value,
                                          "because": because.value})
    return len(superseded)


def letters_for_case(case: Case) -> list[Letter]:
    return db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)).all()


# --- drafting from the case page -----------------------------------------------------------

def drafting_office(case: Case) -> Office | None:
    """The office a letter about this case would go to now, or None when there is none to write to.

    The case must be waiting on an office; the office is the one the case is with (escalation
    already skipped anyone accused in a bias report), and never one that a report blocks.
    """
    if case.status not in WAITING_STATUSES or case.office_id is None:
        return None
    if case.office_id in routing.blocked_offices([case.id]).get(case.id, ()):
        return None
    return db.session.get(Office, case.office_id)


def pending_letter(case: Case, office: Office) -> Letter | None:
    """A letter to this office about this case that is drafted but not yet sent."""
    return db.session.scalars(
        sa.select(Letter).where(Letter.case_id == case.id, Letter.addressee_office_id == office.id,
                                Letter.status == LetterStatus.DRAFTED).order_by(Letter.id)
    ).first()


def draft_now(case: Case, actor: User, *, expected_version: int | None) -> Letter:
    """An in-charge's letter to the office now responsible, at the case's current level."""
    if expected_version is None or case.version != expected_version:
        raise Stale()
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise LetterError(_l("Only an in-charge or a supervisor can draft a letter."))
    office = drafting_office(case)
    if office is None:
        raise LetterError(_l("This case is not waiting on an office that a letter could go to."))
    waiting = pending_letter(case, office)
    if waiting is not None:
        raise LetterError(_l("Letter %(ref)s to this office has not been sent yet: print and send it first.",
                             ref=waiting.reference))
    level = case.scheme.level(case.level)
    letter = draft_letter(case, office, actor=actor, level=case.level,
                          due_within_days=level.time_limit_days if level else None, copy_office_id=_copy_to(case))
    # Moves the case's version, so a second click on the same page is refused as stale.
    case.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Stale() from exc
    return letter


# --- rendering and printing ----------------------------------------------------------------

def lock(letter_id: int) -> Letter | None:
    """The letter, freshly read and locked for this transaction (SQLite: writers are serialised)."""
    query = (sa.select(Letter).where(Letter.id == letter_id).with_for_update(of=Letter)
             .execution_options(populate_existing=True))
    return db.session.scalars(query).first()


def ensure_rendered(letter_id: int, actor=None) -> tuple[Letter, bytes]:
    """The letter and its PDF, rendered and stored on first use; later the stored, checked bytes.

    The row lock makes two first prints at once wait for each other: the second finds the
    PDF of the first and returns the same bytes. A stored file that no longer matches its
    hash raises storage.LetterFileError: it is an incident, not something to paper over.
    """
    letter = lock(letter_id)
    if letter is None:
        raise LetterError(_l("There is no such letter."))
    if letter.pdf_path:
        return letter, storage.load(letter.pdf_path, letter.pdf_sha256, letter.reference)
    if letter.status is LetterStatus.SUPERSEDED:
        raise LetterError(_l("This letter was superseded: the case no longer sits at this office. Do not send it."))
    pdf = render.render_pdf(letter)
    path, digest = storage.store(letter.reference, pdf)
    # A bulk UPDATE: fixing the content is not an edit, so it does not move the version that
    # dispatch forms on open pages carry.
    db.session.execute(
        sa.update(Letter).where(Letter.id == letter.id, Letter.pdf_path.is_(None))
        .values(pdf_path=path, pdf_sha256=digest, rendered_at=utcnow())
    )
    record("letter.rendered", actor=actor, obj=letter, data={"sha256": digest})
    return letter, pdf


def print_letter(letter_id: int, actor=None) -> tuple[Letter, bytes]:
    """The letter's PDF for printing or download; every print is audited."""
    letter, pdf = ensure_rendered(letter_id, actor)
    record("letter.printed", actor=actor, obj=letter, data={"sha256": letter.pdf_sha256})
    db.session.flush()
    return letter, pdf


def download_name(letter: Letter) -> str:
    return storage.safe_name(letter.reference) + ".pdf"


# --- dispatch and acknowledgement ----------------------------------------------------------

def _locked_at_version(letter: Letter, expected_version: int | None) -> Letter:
    letter = lock(letter.id)
    if letter is None or expected_version is None or letter.version != expected_version:
        raise Stale()
    return letter


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Stale() from exc


def record_dispatch(letter: Letter, actor: User, *, expected_version: int | None, mode: DispatchMode,
                    on: date, note: str | None = None) -> Letter:
    """Mark the letter sent. What was sent is the stored PDF: a letter never printed is rendered now."""
    letter = _locked_at_version(letter, expected_version)
    if letter.status is LetterStatus.SUPERSEDED:
        raise LetterError(_l("This letter was superseded: the case no longer sits at this office. Do not send it."))
    if letter.status is not LetterStatus.DRAFTED:
        raise LetterError(_l("The dispatch of this letter is already recorded."))
    if on > today():
        raise LetterError(_l("A dispatch date cannot be in the future."))
    if on < render.local_date(letter.created_at):
        raise LetterError(_l("A letter cannot be sent before the date it was written."))
    if not letter.pdf_path:
        ensure_rendered(letter.id, actor)
    letter.status = LetterStatus.DISPATCHED
    letter.dispatch_mode = mode
    letter.dispatched_on = on
    letter.dispatch_note = (note or "").strip() or None
    record("letter.dispatched", actor=actor, obj=letter, data={"mode": mode.value, "status": letter.status.value})
    _flush()
    return letter


def record_acknowledgement(letter: Letter, actor: User, *, expected_version: int | None, inward_number: str,
                           on: date) -> Letter:
    """The addressee's office received the letter and gave it this inward number."""
    letter = _locked_at_version(letter, expected_version)
    if letter.status is not LetterStatus.DISPATCHED:
        raise LetterError(_l("Record the dispatch of this letter before its acknowledgement."))
    if on > today():
        raise LetterError(_l("An acknowledgement date cannot be in the future."))
    if letter.dispatched_on and on < letter.dispatched_on:
        raise LetterError(_l("A letter cannot be received before it was sent."))
    inward = (inward_number or "").strip()
    if not inward:
        raise LetterError(_l("Enter the inward number given by the receiving office."))
    letter.status = LetterStatus.ACKNOWLEDGED
    letter.ack_inward_number = inward
    letter.ack_date = on
    record("letter.acknowledged", actor=actor, obj=letter, data={"status": letter.status.value})
    _flush()
    return letter
