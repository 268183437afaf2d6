"""The case lifecycle: one `transitions` machine, built once, state in `Case.status`.

Each step names who may fire it and when (`guards`), and the data it needs (`requires`).
The machine enforces both; the case page asks the same guards which buttons to show, so
the page and the machine cannot disagree. A service fires a step with
`fire(case, trigger, actor=..., data=..., plan=...)`; `plan` carries what the service
worked out from the database beforehand (next level, responsible office, due date).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from transitions import Machine, MachineError

from caseflow.auth.models import Role, User
from caseflow.cases.models import OPEN_STATUSES, Case, CaseStatus, CloseReason
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused
from caseflow.labels import CASE_STATUS as STATUS_LABELS
from caseflow.labels import CASE_STEP_DONE as DONE_LABELS  # noqa: F401 (the timeline's words, re-exported)

S = CaseStatus


@dataclass(frozen=True)
class Guard:
    test: Callable[[Case, User], bool]
    message: object  # a lazy string


@dataclass(frozen=True)
class Step:
    trigger: str
    sources: tuple[CaseStatus, ...]
    dest: CaseStatus
    label: object
    guards: tuple[Guard, ...] = ()
    # Returns the problems with the supplied data (empty when it is complete).
    requires: Callable[[Case, User, dict], list] = field(default=lambda case, actor, data: [])
    apply: Callable[[Case, dict, dict], None] = field(default=lambda case, data, plan: None)


class TransitionRefused(Refused):
    """The step is not allowed now; `messages` say why, for the user."""


# --- guards: who and when -------------------------------------------------------------

class _System:
    """The escalation sweep acting on its own (cron): no user, no role, no id.

    Only `escalate` admits it, and only for an overdue case; events and audit entries it
    writes carry no actor.
    """

    id = None
    role = None
    is_authenticated = False

    def __repr__(self) -> str:
        return "<system>"


SYSTEM = _System()

CASEWORKER = Guard(
    lambda case, actor: actor.role in (Role.INCHARGE, Role.SUPERVISOR),
    _l("Only an in-charge or a supervisor can change a case."),
)
CASEWORKER_OR_SYSTEM = Guard(
    lambda case, actor: actor is SYSTEM or CASEWORKER.test(case, actor), CASEWORKER.message
)
HAS_NEXT_LEVEL = Guard(
    lambda case, actor: case.level < case.scheme.top_level,
    _l("The case is already at the top level of the scheme's ladder."),
)


def _within_reopen_window(case: Case, actor: User) -> bool:
    if case.ended_at is None:
        return False
    return utcnow() - case.ended_at <= timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])


IN_REOPEN_WINDOW = Guard(_within_reopen_window, _l("A case can be reopened only within the reopening period."))


# --- requirements: what data a step needs ----------------------------------------------


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _need_text(*keys_and_messages):
    def check(case, actor, data):
        return [message for key, message in keys_and_messages if not _text(data, key)]

    return check


def _need_date(data: dict, key: str, message, problems: list, not_future: bool = True):
    value = data.get(key)
    if not isinstance(value, date):
        problems.append(message)
    elif not_future and value > today():
        problems.append(_l("A date cannot be in the future."))


def _requires_submit(case, actor, data):
    problems = _need_text(("application_ref", _l("The application reference is required.")))(case, actor, data)
    _need_date(data, "application_date", _l("The application date is required."), problems)
    if not case.scheme.levels:
        problems.append(_l("The scheme has no escalation ladder; ask an administrator to configure it."))
    return problems


def _requires_escalate(case, actor, data):
    # Before the deadline an escalation must say why (the sweep escalates overdue cases).
    if case.is_overdue(today()):
        return []
    if actor is SYSTEM:
        return [_l("The sweep escalates only overdue cases.")]
    return _need_text(("reason", _l("Escalating before the due date needs a reason.")))(case, actor, data)


def _requires_sanction(case, actor, data):
    problems = _need_text(("sanction_ref", _l("The sanction order number is required.")))(case, actor, data)
    _need_date(data, "sanction_date", _l("The sanction date is required."), problems)
    return problems


def _requires_deliver(case, actor, data):
    problems = _need_text(("proof_of_delivery", _l("Proof of delivery is required.")))(case, actor, data)
    _need_date(data, "delivered_on", _l("The delivery date is required."), problems)
    if not data.get("beneficiary_confirmed"):
        if actor.role is not Role.SUPERVISOR:
            problems.append(_l("The beneficiary must confirm receipt; only a supervisor can override this."))
        elif not _text(data, "override_reason"):
            problems.append(_l("Overriding the beneficiary's confirmation needs a written reason."))
    return problems


def _requires_close(case, actor, data):
    if not isinstance(data.get("close_reason"), CloseReason):
        return [_l("Choose a reason for closing the case.")]
    return []


# --- effects: what a step writes on the case --------------------------------------------


def _apply_verify(case, data, plan):
    case.verified_at = utcnow()


def _apply_submit(case, data, plan):
    case.application_ref = _text(data, "application_ref")
    case.application_date = data["application_date"]
    if _text(data, "grievance_ref"):
        case.grievance_ref = _text(data, "grievance_ref")
    _apply_level(case, data, plan)


def _apply_level(case, data, plan):
    case.level = plan["level"]
    case.office_id = plan["office_id"]
    case.due_date = plan["due_date"]


def _apply_sanction(case, data, plan):
    case.sanction_ref = _text(data, "sanction_ref")
    case.sanction_date = data["sanction_date"]
    case.due_date = None  # no office is sitting on it any more: the clock stops


def _apply_reject(case, data, plan):
    case.rejection_reason = _text(data, "reason")
    case.due_date = None


def _apply_deliver(case, data, plan):
    case.proof_of_delivery = _text(data, "proof_of_delivery")
    case.delivered_on = data["delivered_on"]
    case.beneficiary_confirmed = bool(data.get("beneficiary_confirmed"))
    case.confirmation_override_reason = None if case.beneficiary_confirmed else _text(data, "override_reason")
    case.due_date = None
    case.ended_at = utcnow()


def _apply_close(case, data, plan):
    case.close_reason = data["close_reason"]
    case.due_date = None
    case.ended_at = utcnow()


def _apply_reopen(case, data, plan):
    case.close_reason = None
    case.ended_at = None


def _apply_reopen_waiting(case, data, plan):
    _apply_reopen(case, data, plan)
    _apply_level(case, data, plan)


def reopen_target(case: Case) -> CaseStatus:
    """Where a reopened case goes back into the flow: where its paperwork had reached.

    A resolved case reopens because the benefit stopped or never arrived: the office at its
    level must act again, so it waits on that office with a fresh clock. A case closed after
    its sanction goes back to sanctioned, awaiting delivery.
    """
    if case.status is S.CLOSED and case.sanction_ref:
        return S.SANCTIONED
    if case.application_ref and case.level > 1:
        return S.ESCALATED
    if case.application_ref:
        return S.SUBMITTED
    if case.verified_at:
        return S.DOCUMENTED
    return S.IDENTIFIED


_reason = _need_text(("reason", _l("A reason is required.")))
_ACTIVE = (S.SUBMITTED, S.ESCALATED)

STEPS: tuple[Step, ...] = (
    Step("verify", (S.IDENTIFIED,), S.DOCUMENTED, _l("Mark documents verified"), (CASEWORKER,), apply=_apply_verify),
    Step("submit", (S.DOCUMENTED,), S.SUBMITTED, _l("Record submission"), (CASEWORKER,), _requires_submit, _apply_submit),
    Step("escalate", _ACTIVE, S.ESCALATED, _l("Escalate to next level"), (CASEWORKER_OR_SYSTEM, HAS_NEXT_LEVEL), _requires_escalate, _apply_level),
    Step("sanction", _ACTIVE, S.SANCTIONED, _l("Record sanction"), (CASEWORKER,), _requires_sanction, _apply_sanction),
    Step("reject", _ACTIVE, S.REJECTED, _l("Record rejection"), (CASEWORKER,), _reason, _apply_reject),
    Step("appeal", (S.REJECTED,), S.ESCALATED, _l("Appeal to next level"), (CASEWORKER, HAS_NEXT_LEVEL), _reason, _apply_level),
    Step("deliver", (S.SANCTIONED,), S.RESOLVED, _l("Record delivery"), (CASEWORKER,), _requires_deliver, _apply_deliver),
    Step("close", OPEN_STATUSES, S.CLOSED, _l("Close case"), (CASEWORKER,), _requires_close, _apply_close),
) + tuple(
    # One reopen step per destination; the machine takes the first whose guard passes.
    Step("reopen", sources, dest, _l("Reopen case"),
         (CASEWORKER, IN_REOPEN_WINDOW, Guard(lambda case, actor, d=dest: reopen_target(case) is d, "")),
         _reason, _apply_reopen_waiting if dest in _ACTIVE else _apply_reopen)
    for sources, dest in (
        ((S.CLOSED,), S.IDENTIFIED),
        ((S.CLOSED,), S.DOCUMENTED),
        ((S.CLOSED,), S.SANCTIONED),
        ((S.RESOLVED, S.CLOSED), S.SUBMITTED),
        ((S.RESOLVED, S.CLOSED), S.ESCALATED),
    )
)

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(step.trigger for step in STEPS))
LABELS = {step.trigger: step.label for step in STEPS}


def _conditions(step: Step):
    def guards_pass(event):
        return all(g.test(event.model, event.kwargs["actor"]) for g in step.guards)

    def data_complete(event):
        return not step.requires(event.model, event.kwargs["actor"], event.kwargs["data"])

    return [guards_pass, data_complete]


def _before(step: Step):
    def apply(event):
        step.apply(event.model, event.kwargs["data"], event.kwargs.get("plan") or {})

    return apply


CASE_MACHINE = Machine(
    model=None,
    states=CaseStatus,
    initial=S.IDENTIFIED,
    transitions=[
        {
            "trigger": step.trigger,
            "source": list(step.sources),
            "dest": step.dest,
            "conditions": _conditions(step),
            "before": _before(step),
        }
        for step in STEPS
    ],
    model_attribute="status",
    auto_transitions=False,
    send_event=True,
)


def steps_from(status: CaseStatus, trigger: str | None = None) -> list[Step]:
    return [s for s in STEPS if status in s.sources and (trigger is None or s.trigger == trigger)]


def available_triggers(case: Case, actor: User) -> list[str]:
    """The steps this actor may take on this case now (before any data is asked for)."""
    found = []
    for step in steps_from(case.status):
        if step.trigger not in found and all(g.test(case, actor) for g in step.guards):
            found.append(step.trigger)
    return found


def refusal(case: Case, actor: User, trigger: str, data: dict) -> list:
    """Why `trigger` cannot fire now with `data` (empty list: it can)."""
    candidates = steps_from(case.status, trigger)
    if not candidates:
        return [_l("This action is not possible while the case is “%(status)s”.", status=status_label(case.status))]
    messages: list = []
    for step in candidates:
        failed = [g.message for g in step.guards if not g.test(case, actor)]
        if not failed:
            return step.requires(case, actor, data)
        messages.extend(m for m in failed if m and m not in messages)
    return messages


def target(case: Case, trigger: str, actor: User) -> CaseStatus | None:
    for step in steps_from(case.status, trigger):
        if all(g.test(case, actor) for g in step.guards):
            return step.dest
    return None


def fire(case: Case, trigger: str, *, actor: User, data: dict, plan: dict | None = None) -> None:
    """Run the step on the machine. Raises TransitionRefused, changing nothing, if it may not."""
    problems = refusal(case, actor, trigger, data)
    if problems:
        raise TransitionRefused(problems)
    try:
        moved = CASE_MACHINE.events[trigger].trigger(case, actor=actor, data=data, plan=plan)
    except MachineError:
        moved = False
    if not moved:
        raise TransitionRefused(refusal(case, actor, trigger, data) or [_l("This action is not possible now.")])


def status_label(status: CaseStatus):
    return STATUS_LABELS[status]


def mermaid_diagram() -> str:
    """The lifecycle as a mermaid state diagram, generated from STEPS."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.IDENTIFIED.value}"]
    seen = set()
    for step in STEPS:
        for source in step.sources:
            edge = (source.value, step.dest.value, step.trigger)
            if edge not in seen:
                seen.add(edge)
                lines.append(f"    {source.value} --> {step.dest.value}: {step.trigger}")
    return "\n".join(lines) + "\n"
