"""The verbs on a case. Each checks the version the user saw, changes the case through the
machine, appends the timeline event and flushes; the caller commits once.
"""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.services import district_of
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import routing, signals, workflow
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, CaseStatus, Channel, EventKind
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.machine import TransitionRefused
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
    _event(case, actor, EventKind.CREATED, note=note)
    db.session.flush()
    record("case.opened", actor=actor, obj=case, data={
        "beneficiary_id": beneficiary.id, "scheme_id": scheme.id, "status": case.status})
    return case


def _route(case: Case, trigger: str, dest: CaseStatus) -> routing.Route | None:
    """Where the step puts the case on its ladder (None: the step does not move it)."""
    direction = workflow.MOVES.get(trigger)
    if direction == "up":
        return routing.route_up(case)
    if direction == "down":
        return routing.route_down(case)
    if trigger == "submit":
        # The clock starts when we record the submission: an application filed earlier
        # and never acted on is escalated by the first sweep if its level's time is up.
        return routing.route_at(case, 1)
    if trigger == "reopen" and dest in WAITING_STATUSES:
        return routing.route_at(case, case.level)
    return None


def _move_details(case: Case, trigger: str, actor, route: routing.Route, from_level: int) -> dict:
    """What the timeline (and the letter) keeps of a move: where from, what was skipped, and
    whether the level's time had run out or the step was taken early with a reason."""
    details = {"from_level": from_level, "to_level": route.level}
    if route.skipped:
        details["skipped_levels"] = list(route.skipped)
    if trigger == "escalate":
        details["early"] = workflow.is_early(case)
        if not details["early"]:
            details["overdue_since"] = case.due_date.isoformat()
        if actor is workflow.SYSTEM:
            details["sweep"] = True
    return details


def transition(case: Case, actor, trigger: str, data: dict, *, expected_version: int | None,
               lookups: routing.Lookups | None = None) -> CaseEvent:
    """Take one step of the case machine: the only path for every step, moves included.

    Escalation from the case page, an appeal and the sweep all come here: the machine's
    guards decide (each once), routing says where the case goes (skipping accused offices),
    the step sets level, office and due date, the event and the audit entry are written,
    and `signals.step_taken` lets the letters domain draft and supersede letters. Raises
    Stale or TransitionRefused and then changes nothing. `lookups`: the sweep's memo.
    """
    _check_version(case, expected_version)
    if trigger not in workflow.TRIGGERS:
        raise TransitionRefused([_l("This action is not possible now.")])
    if actor is not workflow.SYSTEM and not path_in_scope(actor, case.area_path):
        raise TransitionRefused([_l("The case is outside your areas.")])
    with routing.using(lookups):
        step, problems = workflow.CASE_MACHINE.decide(case, actor, trigger, data)
        if step is None:
            raise TransitionRefused(problems)
        route = _route(case, trigger, step.dest)
        plan = {} if route is None else {
            "level": route.level, "office_id": route.office_id, "due_date": routing.due_date(route)}
        before, from_level = case.status, case.level
        moved = {} if route is None else _move_details(case, trigger, actor, route, from_level)
        workflow.CASE_MACHINE.fire(case, trigger, actor=actor, data=data, plan=plan, step=step)
        event = _step_event(case, actor, trigger, data, before, moved)
        if route is not None and route.skipped:
            record("case.bias_skip", actor=actor, obj=case, data={
                "from_level": from_level, "to_level": case.level, "skipped_levels": list(route.skipped)})
        # Still inside the routing memo: the letters domain asks routing for the office to copy in.
        signals.step_taken.send(case, actor=actor, trigger=trigger, event=event, route=route)
    _flush()
    return event


def _step_event(case: Case, actor, trigger: str, data: dict, before: CaseStatus, moved: dict) -> CaseEvent:
    """The step's timeline event and its audit entry (field names only: values may be free text)."""
    details = {k: (v.value if hasattr(v, "value") else v.isoformat() if isinstance(v, date) else v)
               for k, v in data.items() if k not in ("reason", "override_reason") and v not in (None, "", False)}
    event = _event(case, actor, EventKind.TRANSITION, trigger=trigger, from_status=before, to_status=case.status,
                   level=case.level or None, office_id=case.office_id,
                   note=data.get("reason") or data.get("override_reason") or None, details={**details, **moved})
    _flush()
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
        note=response,
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
