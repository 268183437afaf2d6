"""The letters' verbs: drafting into the per-district dispatch register, rendering on first
print, recording dispatch and acknowledgement, and assembling batches for printing.

Like every service, these flush and never commit. Rendering writes the PDF file before the
commit (the row must name the stored file and its hash); files are named by their content,
so one left behind by a rolled-back transaction is harmless and is never mistaken for a
stored letter.
"""
from dataclasses import dataclass
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
from caseflow.cases.services import insert_events
from caseflow.cases.signals import Taken
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.letters import render, storage
from caseflow.letters.models import DispatchMode, Letter, LetterKind, LetterStatus, SupersededBecause
from caseflow.sequences import insert_rows, next_values, next_values_many


class LetterError(Refused):
    """The request cannot be carried out; the message says why, for the user."""




def register_reference(district: Area, year: int) -> str:
    """The next number of the district's dispatch register: never reused, even if unused."""
    return register_references(district, year, 1)[0]


def register_references(district: Area, year: int, count: int) -> list[str]:
    """The district's next `count` register numbers, taken with one counter update."""
    return [_reference(district.code, year, sequence) for sequence in next_values(f"letter:{district.code}", year, count)]


def _reference(code: str, year: int, sequence: int) -> str:
    return f"{code}/LTR/{year}/{sequence:05d}"


@dataclass(frozen=True)
class Draft:
    """One letter to enter in the register (see `draft_letters`)."""

    case: Case
    office: Office
    kind: LetterKind = LetterKind.ESCALATION
    level: int | None = None
    due_within_days: int | None = None
    bias_report_id: int | None = None
    event_id: int | None = None
    copy_office_id: int | None = None


def draft_letter(case: Case, office: Office, *, actor=None, kind: LetterKind = LetterKind.ESCALATION,
                 level: int | None = None, due_within_days: int | None = None, bias_report_id: int | None = None,
                 event: CaseEvent | None = None, copy_office_id: int | None = None) -> Letter:
    """Enter a letter to `office` about `case` in the register: `draft_letters` with one draft."""
    [letter_id] = draft_letters([Draft(case, office, kind, level, due_within_days, bias_report_id,
                                       event.id if event is not None else None, copy_office_id)], actor=actor)
    return db.session.get(Letter, letter_id)


def draft_letters(drafts: list[Draft], *, actor=None) -> list[int]:
    """Enter letters in their districts' registers, in the addressees' languages; their ids, in order.

    Only the register entries and the snapshots are written here (no PDF is rendered in the
    drafting transaction). `event_id`: the step that made the letter (what the letter says of
    it comes from that record); `copy_office_id`: the office copied in. Register numbers are
    taken per district for the whole list (one counter update each), in the order given, so a
    batch numbers its letters exactly as drafting them one by one would. The rows, their
    LETTER events and audit entries are inserted in one statement each; the text snapshots
    are masked here as the flush guard would mask them.
    """
    if not drafts:
        return []
    year = today().year
    districts = [district_of(draft.case.area) for draft in drafts]
    per_district: dict[int, list[int]] = {}
    for i, district in enumerate(districts):
        per_district.setdefault(district.id, []).append(i)
    # One counter update for all the districts; the UPDATE locks their rows in one statement.
    numbers = next_values_many({f"letter:{districts[ix[0]].code}": len(ix) for ix in per_district.values()}, year)
    references: list[str | None] = [None] * len(drafts)
    for indexes in per_district.values():
        code = districts[indexes[0]].code
        for i, sequence in zip(indexes, numbers[f"letter:{code}"], strict=True):
            references[i] = _reference(code, year, sequence)
    actor_id = getattr(actor, "id", None)
    now = utcnow()
    rows = []
    for draft, district, reference in zip(drafts, districts, references, strict=True):
        office, case = draft.office, draft.case
        rows.append({
            "reference": reference, "kind": draft.kind, "case_id": case.id, "bias_report_id": draft.bias_report_id,
            "district_id": district.id, "area_path": case.area_path, "level": draft.level,
            "event_id": draft.event_id, "copy_office_id": draft.copy_office_id, "addressee_office_id": office.id,
            "addressee_title": office.title(office.language),
            "addressee_holder": office.holder_name,
            "language": office.language, "due_within_days": draft.due_within_days, "status": LetterStatus.DRAFTED,
            "created_by_id": actor_id, "created_at": now, "version": 1,
        })
    table = Letter.__table__
    letter_ids = insert_rows(table, rows)
    insert_events([{"case_id": draft.case.id, "kind": EventKind.LETTER, "actor_id": actor_id,
                    "office_id": draft.office.id, "level": draft.level, "details": {"letter_id": letter_id},
                    "at": now} for draft, letter_id in zip(drafts, letter_ids, strict=True)])
    for draft, row, letter_id in zip(drafts, rows, letter_ids, strict=True):
        record("letter.drafted", actor=actor, object_type=table.name, object_id=letter_id, area_path=row["area_path"],
               data={"case_id": draft.case.id, "kind": draft.kind.value, "level": draft.level})
    return letter_ids


def _copy_to(case: Case) -> int | None:
    """The office above the one the case sits at, copied in on a letter (the same routing walk)."""
    route = routing.route_up(case)
    return route.office_id if route.possible else None


def on_steps_taken(trigger: str, *, actor, taken: list[Taken]) -> None:
    """After the steps of a batch of cases (caseflow.cases.signals.steps_taken), in the same
    transaction: letters drafted to an office a case no longer sits at are superseded, and
    escalations and appeals draft the letters to the new addressees."""
    by_reason: dict[SupersededBecause, list[Case]] = {}
    for step in taken:
        because = (SupersededBecause.SENT_BACK if trigger == "send_back"
                   else SupersededBecause.MOVED_UP if step.route is not None and trigger != "reopen"
                   else SupersededBecause.DECIDED)
        by_reason.setdefault(because, []).append(step.case)
    for because, cases in by_reason.items():
        supersede_left_behind(cases, actor, because)
    if trigger not in ("escalate", "appeal"):
        return
    moved = [step for step in taken if step.route is not None]
    if not moved:
        return
    offices = _offices({step.case.office_id for step in moved})
    drafts = []
    for step in moved:
        case = step.case
        ladder_level = case.scheme.level(case.level)
        drafts.append(Draft(case, offices[case.office_id], level=case.level,
                            due_within_days=ladder_level.time_limit_days if ladder_level else None,
                            event_id=step.event_id, copy_office_id=_copy_to(case)))
    draft_letters(drafts, actor=actor)


def _offices(ids: set[int]) -> dict[int, Office]:
    """The offices by id: those the session holds (the sweep's batch read them), the rest in one query."""
    mapper = sa.inspect(Office)
    found = {}
    for office_id in ids:
        office = db.session.identity_map.get(mapper.identity_key_from_primary_key((office_id,)))
        if office is not None:
            found[office_id] = office
    missing = ids - found.keys()
    if missing:
        found.update((o.id, o) for o in db.session.scalars(sa.select(Office).where(Office.id.in_(missing))))
    return found


def supersede_left_behind(cases: list[Case], actor, because: SupersededBecause) -> int:
    """Drafted escalation letters the cases have moved away from: kept in the register, never sent.

    A letter stands while its case waits on its addressee; once the case sits at another
    office, or waits on none (sanctioned, rejected, resolved, closed), asking the old one to act
    would be false. Referral letters are about a bias finding, not where the case sits: left alone.
    One UPDATE … RETURNING for the batch, reading each case's office as now stored: no letter is loaded.
    """
    if not cases:
        return 0
    c = Case.__table__
    sitting_at = (sa.select(c.c.office_id)
                  .where(c.c.id == Letter.case_id, c.c.status.in_(WAITING_STATUSES), c.c.office_id.is_not(None))
                  .scalar_subquery())
    left = sa.and_(Letter.case_id.in_([case.id for case in cases]), Letter.status == LetterStatus.DRAFTED,
                   Letter.kind == LetterKind.ESCALATION,
                   sa.or_(sitting_at.is_(None), Letter.addressee_office_id != sitting_at))
    # The version moves too, so a dispatch form open on someone's page is refused as stale.
    superseded = db.session.execute(
        sa.update(Letter).where(left)
        .values(status=LetterStatus.SUPERSEDED, superseded_at=utcnow(), superseded_because=because,
                version=Letter.version + 1)
        .returning(Letter.id, Letter.area_path, Letter.case_id)
        .execution_options(synchronize_session="fetch")
    ).all()
    for letter_id, area_path, case_id in sorted(superseded):
        record("letter.superseded", actor=actor, object_type=Letter.__tablename__, object_id=letter_id,
               area_path=area_path, data={"case_id": case_id, "status": LetterStatus.SUPERSEDED.value,
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
