"""The verbs on a case. Each checks the version the user saw, changes the case through the
machine, appends the timeline event and flushes; the caller commits once.
"""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.services import district_of, resolve_office
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import workflow
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, CaseStatus, Channel, EventKind
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days
from caseflow.identity import scrub_aadhaar
from caseflow.schemes.models import Scheme
from caseflow.scope import path_in_scope
from caseflow.sequences import next_value


class CaseError(Refused):
    pass


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is None or case.version != expected_version:
        raise Stale()


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        # Another transaction committed a newer version between our read and our write.
        raise Stale() from exc


def open_cases_for(beneficiary: Beneficiary, scheme: Scheme) -> list[Case]:
    return db.session.scalars(
        sa.select(Case).where(
            Case.beneficiary_id == beneficiary.id,
            Case.scheme_id == scheme.id,
            Case.status.not_in((CaseStatus.CLOSED,)),
        )
    ).all()


def open_case(actor: User, beneficiary: Beneficiary, scheme: Scheme, *, note: str | None = None) -> Case:
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can open a case."))
    if not path_in_scope(actor, beneficiary.area_path):
        raise CaseError(_l("The beneficiary is outside your areas."))
    if not scheme.active:
        raise CaseError(_l("The scheme is not active."))
    district = district_of(beneficiary.settlement)
    year = today().year
    sequence = next_value(f"case:{district.code}", year)
    case = Case(
        reference=f"{district.code}/{year}/{sequence:06d}",
        beneficiary=beneficiary,
        scheme=scheme,
        area_id=beneficiary.settlement_id,
        area_path=beneficiary.area_path,
        district_id=district.id,
        status=CaseStatus.IDENTIFIED,
        assigned_to_id=actor.id if actor.role is Role.INCHARGE else None,
        created_by_id=actor.id,
    )
    db.session.add(case)
    db.session.flush()
    _event(case, actor, EventKind.CREATED, note=scrub_aadhaar(note))
    db.session.flush()
    record("case.opened", actor=actor, obj=case, data={
        "beneficiary_id": beneficiary.id, "scheme_id": scheme.id, "status": case.status})
    return case


def plan_level(case: Case, level: int, start: date | None = None) -> dict:
    """Who is responsible at `level` and by when: the office is None when none is configured."""
    ladder_level = case.scheme.level(level)
    if ladder_level is None:
        raise CaseError(_l("The scheme has no level %(n)d.", n=level))
    office = resolve_office(case.area_path, ladder_level.office_kind_id)
    return {
        "level": level,
        "office_id": office.id if office else None,
        "due_date": add_working_days(start or today(), ladder_level.time_limit_days),
    }


def _plan(case: Case, trigger: str, actor: User, data: dict) -> dict:
    if trigger == "submit":
        # The clock starts when we record the submission: an application filed earlier
        # and never acted on is escalated by the first sweep if its level's time is up.
        return plan_level(case, 1)
    if trigger in ("escalate", "appeal"):
        # The next level whose office is not accused in a bias report on this case.
        from caseflow.escalation.services import next_level

        return plan_level(case, next_level(case))
    if trigger == "reopen" and workflow.target(case, trigger, actor) in WAITING_STATUSES:
        return plan_level(case, case.level)
    return {}


def transition(case: Case, actor: User, trigger: str, data: dict, *, expected_version: int | None) -> CaseEvent:
    """Fire `trigger`. Raises Stale or workflow.TransitionRefused and then changes nothing."""
    _check_version(case, expected_version)
    if trigger not in workflow.TRIGGERS:
        raise workflow.TransitionRefused([f"unknown action {trigger!r}"])
    data = {k: scrub_aadhaar(v) if isinstance(v, str) else v for k, v in data.items()}
    problems = workflow.refusal(case, actor, trigger, data)
    if problems:
        raise workflow.TransitionRefused(problems)
    plan = _plan(case, trigger, actor, data)
    before = case.status
    workflow.fire(case, trigger, actor=actor, data=data, plan=plan)
    details = {k: (v.value if hasattr(v, "value") else v.isoformat() if isinstance(v, date) else v)
               for k, v in data.items() if k != "reason" and v not in (None, "", False)}
    event = _event(
        case,
        actor,
        EventKind.TRANSITION,
        trigger=trigger,
        from_status=before,
        to_status=case.status,
        level=case.level or None,
        office_id=case.office_id,
        note=data.get("reason") or data.get("override_reason") or None,
        details=details,
    )
    _flush()
    # Field names only: the values may be free text (references, reasons).
    record("case.transition", actor=actor, obj=case, data={
        "trigger": trigger, "from": before, "to": case.status, "level": case.level or None,
        "office_id": case.office_id, "event_id": event.id,
        "fields": sorted(k for k, v in data.items() if v not in (None, ""))})
    return event


def log_follow_up(
    case: Case,
    actor: User,
    *,
    expected_version: int | None,
    channel: Channel,
    response: str,
    office_id: int | None = None,
    promised_date: date | None = None,
) -> CaseEvent:
    """Record a contact with an official. A promised date becomes the case's next due date."""
    _check_version(case, expected_version)
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can log a follow-up."))
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseError(_l("The case has ended; reopen it first."))
    if promised_date is not None:
        if promised_date < today():
            raise CaseError(_l("A promised date cannot be in the past."))
        if case.status in WAITING_STATUSES:
            case.due_date = promised_date
    event = _event(
        case,
        actor,
        EventKind.FOLLOW_UP,
        channel=channel,
        office_id=office_id,
        note=scrub_aadhaar(response),
        promised_date=promised_date,
        level=case.level or None,
    )
    # Touch the case so a follow-up also moves the version: two people never both act on
    # the same snapshot unnoticed.
    case.updated_at = utcnow()
    _flush()
    record("case.follow_up", actor=actor, obj=case, data={
        "event_id": event.id, "channel": channel, "office_id": office_id,
        "promised_date_set": promised_date is not None})
    return event


def assign(case: Case, actor: User, assignee: User, *, expected_version: int | None) -> CaseEvent:
    _check_version(case, expected_version)
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can assign a case."))
    if assignee.role is not Role.INCHARGE or not assignee.active or not path_in_scope(assignee, case.area_path):
        raise CaseError(_l("The assignee must be an active in-charge of the case's area."))
    case.assigned_to_id = assignee.id
    event = _event(case, actor, EventKind.ASSIGNMENT, details={"assignee_id": assignee.id})
    _flush()
    record("case.assigned", actor=actor, obj=case, data={"event_id": event.id, "assignee_id": assignee.id})
    return event


def _event(case: Case, actor: User | None, kind: EventKind, **fields) -> CaseEvent:
    event = CaseEvent(case=case, kind=kind, actor_id=actor.id if actor else None, **fields)
    db.session.add(event)
    return event
