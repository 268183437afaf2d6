"""The case lifecycle: its table of states and steps, run by the shared engine
(caseflow/machine.py) with the state in `Case.status`.

Each step names who may take it and when (`guards`), and the data it needs (`requires`).
The case page asks the same guards which buttons to show, so the page and the machine cannot
disagree. Moves on the ladder (escalate, appeal, send back) have a guard that asks the one
routing walk (caseflow/cases/routing.py) whether the move can be made: *Escalate* is not
offered when there is no office above, or when every level above is accused.
`caseflow.cases.services.transition` is the only caller of `CASE_MACHINE.fire`; `plan`
carries what it worked out beforehand (level, responsible office, due date).
"""
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from caseflow.auth.models import Role, User
from caseflow.cases import routing
from caseflow.cases.models import OPEN_STATUSES, Case, CaseStatus, CloseReason
from caseflow.db import today, utcnow
from caseflow.labels import CASE_STATUS as STATUS_LABELS
from caseflow.labels import CASE_STEP_DONE as DONE_LABELS  # noqa: F401 (the timeline's words, re-exported)
from caseflow.machine import Guard, Step, StepMachine
from caseflow.machine import TransitionRefused as TransitionRefused  # the refusal of a case step

S = CaseStatus


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
    lambda case, actor: actor is SYSTEM or actor.role in (Role.INCHARGE, Role.SUPERVISOR), CASEWORKER.message
)
SUPERVISOR = Guard(lambda case, actor: actor.role is Role.SUPERVISOR,
                   _l("Only a supervisor can send a case back down."))
CAN_MOVE_UP = Guard(lambda case, actor: routing.route_up(case).possible,
                    lambda case, actor: routing.why_not_up(case))
CAN_MOVE_DOWN = Guard(lambda case, actor: case.level > 1 and routing.route_down(case).possible,
                      lambda case, actor: routing.why_not_down(case))


def _within_reopen_window(case: Case, actor: User) -> bool:
    if case.ended_at is None:
        return False
    return utcnow() - case.ended_at <= timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])


IN_REOPEN_WINDOW = Guard(
    _within_reopen_window,
    lambda case, actor: _l("A case can be reopened only within %(n)d days of being resolved or closed.",
                           n=current_app.config["REOPEN_WINDOW_DAYS"]),
)


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


def is_early(case: Case) -> bool:
    """An escalation before the level's time limit has run out (it must say why)."""
    return not case.is_overdue(today())


def _requires_escalate(case, actor, data):
    # Before the deadline an escalation must say why (the sweep escalates overdue cases).
    if not is_early(case):
        return []
    if actor is SYSTEM:
        return [_l("The sweep escalates only overdue cases.")]
    return _need_text(("reason", _l("Escalating before the due date needs a reason.")))(case, actor, data)


def _requires_sanction(case, actor, data):
    problems = _need_text(("sanction_ref", _l("The sanction order number is required.")))(case, actor, data)
    _need_date(data, "sanction_date", _l("The sanction date is required."), problems)
    return problems


def may_override_confirmation(actor) -> bool:
    """Only a supervisor may record a delivery the beneficiary has not confirmed."""
    return getattr(actor, "role", None) is Role.SUPERVISOR


def _requires_deliver(case, actor, data):
    problems = _need_text(("proof_of_delivery", _l("Proof of delivery is required.")))(case, actor, data)
    _need_date(data, "delivered_on", _l("The delivery date is required."), problems)
    if case.scheme.proof_file_required and not data.get("proof_file"):
        problems.append(_l("This scheme needs a proof file: attach a photo or PDF of the proof of delivery."))
    if not data.get("beneficiary_confirmed"):
        if not may_override_confirmation(actor):
            problems.append(_l("The beneficiary must confirm receipt; only a supervisor can override this."))
        elif not _text(data, "override_reason"):
            problems.append(_l("Overriding the beneficiary's confirmation needs a written reason."))
    return problems


def _requires_close(case, actor, data):
    if not isinstance(data.get("close_reason"), CloseReason):
        return [_l("Choose a reason for closing the case.")]
    return []


# --- effects: what a step writes on the case --------------------------------------------


def _apply_verify(case, actor, data, plan):
    case.verified_at = utcnow()


def _apply_submit(case, actor, data, plan):
    case.application_ref = _text(data, "application_ref")
    case.application_date = data["application_date"]
    if _text(data, "grievance_ref"):
        case.grievance_ref = _text(data, "grievance_ref")
    _apply_level(case, actor, data, plan)


def _apply_level(case, actor, data, plan):
    case.level = plan["level"]
    case.office_id = plan["office_id"]
    case.due_date = plan["due_date"]
    # The case sits at a new level: whatever flag the sweep put on it no longer holds.
    case.attention = case.attention_since = None


def _apply_sanction(case, actor, data, plan):
    case.sanction_ref = _text(data, "sanction_ref")
    case.sanction_date = data["sanction_date"]
    case.due_date = None  # no office is sitting on it any more: the clock stops


def _apply_reject(case, actor, data, plan):
    case.rejection_reason = _text(data, "reason")
    case.due_date = None


def _apply_deliver(case, actor, data, plan):
    case.proof_of_delivery = _text(data, "proof_of_delivery")
    case.delivered_on = data["delivered_on"]
    case.beneficiary_confirmed = bool(data.get("beneficiary_confirmed"))
    case.confirmation_override_reason = None if case.beneficiary_confirmed else _text(data, "override_reason")
    case.due_date = None
    case.ended_at = utcnow()


def _apply_close(case, actor, data, plan):
    case.close_reason = data["close_reason"]
    case.due_date = None
    case.ended_at = utcnow()


def _apply_reopen(case, actor, data, plan):
    case.close_reason = None
    case.ended_at = None


def _apply_reopen_waiting(case, actor, data, plan):
    _apply_reopen(case, actor, data, plan)
    _apply_level(case, actor, data, plan)


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
# Steps that move the case to another office on its ladder; their plan comes from routing.
MOVES = {"escalate": "up", "appeal": "up", "send_back": "down"}

STEPS: tuple[Step, ...] = (
    Step("verify", (S.IDENTIFIED,), S.DOCUMENTED, _l("Mark documents verified"), (CASEWORKER,), apply=_apply_verify),
    Step("submit", (S.DOCUMENTED,), S.SUBMITTED, _l("Record submission"), (CASEWORKER,), _requires_submit,
         apply=_apply_submit),
    Step("escalate", _ACTIVE, S.ESCALATED, _l("Escalate to next level"), (CASEWORKER_OR_SYSTEM, CAN_MOVE_UP),
         _requires_escalate, apply=_apply_level),
    Step("sanction", _ACTIVE, S.SANCTIONED, _l("Record sanction"), (CASEWORKER,), _requires_sanction,
         apply=_apply_sanction),
    Step("reject", _ACTIVE, S.REJECTED, _l("Record rejection"), (CASEWORKER,), _reason, apply=_apply_reject),
    Step("appeal", (S.REJECTED,), S.ESCALATED, _l("Appeal to next level"), (CASEWORKER, CAN_MOVE_UP), _reason,
         apply=_apply_level),
    # Back to level 1 is back to "submitted"; any higher level stays "escalated".
    Step("send_back", (S.ESCALATED,), S.SUBMITTED, _l("Send back one level"), (SUPERVISOR, CAN_MOVE_DOWN), _reason,
         when=lambda case, data: case.level == 2, apply=_apply_level),
    Step("send_back", (S.ESCALATED,), S.ESCALATED, _l("Send back one level"), (SUPERVISOR, CAN_MOVE_DOWN), _reason,
         when=lambda case, data: case.level > 2, apply=_apply_level),
    Step("deliver", (S.SANCTIONED,), S.RESOLVED, _l("Record delivery"), (CASEWORKER,), _requires_deliver,
         apply=_apply_deliver),
    Step("close", OPEN_STATUSES, S.CLOSED, _l("Close case"), (CASEWORKER,), _requires_close, apply=_apply_close),
) + tuple(
    # One reopen step per destination; `when` picks the one where the paperwork had reached.
    Step("reopen", sources, dest, _l("Reopen case"), (CASEWORKER, IN_REOPEN_WINDOW), _reason,
         when=lambda case, data, d=dest: reopen_target(case) is d,
         apply=_apply_reopen_waiting if dest in _ACTIVE else _apply_reopen)
    for sources, dest in (
        ((S.CLOSED,), S.IDENTIFIED),
        ((S.CLOSED,), S.DOCUMENTED),
        ((S.CLOSED,), S.SANCTIONED),
        ((S.RESOLVED, S.CLOSED), S.SUBMITTED),
        ((S.RESOLVED, S.CLOSED), S.ESCALATED),
    )
)



def status_label(status: CaseStatus):
    return STATUS_LABELS[status]


CASE_MACHINE = StepMachine(
    STEPS, states=CaseStatus, initial=S.IDENTIFIED, status_label=status_label,
    not_now_message=lambda status: _l("This action is not possible while the case is “%(status)s”.", status=status),
)
TRIGGERS = CASE_MACHINE.triggers
LABELS = CASE_MACHINE.labels


def available_triggers(case: Case, actor: User) -> list[str]:
    """The steps this actor may take on this case now (before any data is asked for)."""
    return CASE_MACHINE.available(case, actor)


def refusal(case: Case, actor: User, trigger: str, data: dict) -> list:
    """Why `trigger` cannot fire now with `data` (empty list: it can)."""
    return CASE_MACHINE.refusal(case, actor, trigger, data)


def mermaid_diagram() -> str:
    """The lifecycle as a mermaid state diagram, generated from STEPS."""
    return CASE_MACHINE.mermaid(S.IDENTIFIED)
