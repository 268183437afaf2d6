"""The review lifecycle of a bias report: its table of states and steps, run by the shared
engine (caseflow/machine.py) with the state in `BiasReport.status`. The diagram in
docs/bias.md is generated from STEPS (`flask --app wsgi caseflow bias-diagram --doc docs/bias.md`).

Each step names who may fire it and when (`guards`, which also decide the buttons on the
report page) and the data it needs (`requires`). `record_finding` has two destinations: a
substantiated finding against an elected head (sarpanch, parshad) waits for a second
supervisor, every other finding concludes the review at once. The second supervisor is
anyone but the one who recorded the finding; the database refuses the same person too.
"""
from flask_babel import lazy_gettext as _l

from caseflow.auth.models import Role
from caseflow.bias.models import ELECTED_ROLES, BiasReport, Finding, ReviewStatus
from caseflow.db import utcnow
from caseflow.labels import REVIEW_STATUS as STATUS_LABELS
from caseflow.machine import Guard, Step, StepMachine
from caseflow.machine import TransitionRefused as TransitionRefused  # the refusal of a review step

R = ReviewStatus


def needs_confirmation(report: BiasReport, finding: Finding | None) -> bool:
    """A substantiated finding against an elected head is final only after a second supervisor."""
    if finding is not Finding.SUBSTANTIATED:
        return False
    office = report.accused_office
    return report.accused_role in ELECTED_ROLES or bool(office is not None and office.kind.elected)


# --- guards: who and when -------------------------------------------------------------

SUPERVISOR = Guard(lambda report, actor: actor.role is Role.SUPERVISOR,
                   _l("Only a supervisor can review a bias report."))
IS_REVIEWER = Guard(lambda report, actor: report.reviewer_id == actor.id,
                    _l("Only the supervisor reviewing this report can record its finding."))
NOT_REVIEWER = Guard(lambda report, actor: report.reviewer_id != actor.id,
                     _l("You are already reviewing this report."))
SECOND_SUPERVISOR = Guard(lambda report, actor: report.finding_by_id != actor.id,
                          _l("A second supervisor must confirm or send back this finding, not the one who recorded it."))


# --- requirements: what data a step needs ----------------------------------------------


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _need_reason(report, actor, data):
    return [] if _text(data, "reason") else [_l("A reason is required.")]


def _requires_finding(report, actor, data):
    problems = []
    finding = data.get("finding")
    if not isinstance(finding, Finding):
        problems.append(_l("Choose a finding."))
    if not _text(data, "reasons"):
        problems.append(_l("Written reasons for the finding are required."))
    if finding is Finding.REFERRED and not data.get("referral_office_id"):
        problems.append(_l("A referral needs the higher authority it is referred to."))
    return problems


# --- effects: what a step writes on the report ------------------------------------------


def _apply_take(report, actor, data, plan):
    report.reviewer_id = actor.id


def _apply_finding(report, actor, data, plan):
    report.finding = data["finding"]
    report.finding_reasons = _text(data, "reasons")
    report.finding_by_id = actor.id
    report.finding_at = utcnow()


def _apply_conclude_finding(report, actor, data, plan):
    _apply_finding(report, actor, data, plan)
    report.concluded_at = report.finding_at


def _apply_confirm(report, actor, data, plan):
    report.confirmed_by_id = actor.id
    report.confirmed_at = utcnow()
    report.concluded_at = report.confirmed_at


def _clear_finding(report):
    report.finding = None
    report.finding_reasons = None
    report.finding_by_id = None
    report.finding_at = None
    report.confirmed_by_id = None
    report.confirmed_at = None
    report.concluded_at = None


def _apply_send_back(report, actor, data, plan):
    # The reviewer stays; the finding goes, so they record a new one.
    _clear_finding(report)


def _apply_reopen(report, actor, data, plan):
    # The old finding stays in the timeline (BiasEvent); whoever reopens reviews it again.
    _clear_finding(report)
    report.reviewer_id = actor.id


STEPS: tuple[Step, ...] = (
    Step("take", (R.FILED,), R.IN_REVIEW, _l("Take for review"), (SUPERVISOR,), apply=_apply_take),
    Step("take_over", (R.IN_REVIEW,), R.IN_REVIEW, _l("Take over the review"), (SUPERVISOR, NOT_REVIEWER),
         _need_reason, apply=_apply_take),
    Step("record_finding", (R.IN_REVIEW,), R.AWAITING_CONFIRMATION, _l("Record finding"), (SUPERVISOR, IS_REVIEWER),
         _requires_finding, when=lambda report, data: needs_confirmation(report, data.get("finding")),
         apply=_apply_finding),
    Step("record_finding", (R.IN_REVIEW,), R.CONCLUDED, _l("Record finding"), (SUPERVISOR, IS_REVIEWER),
         _requires_finding, when=lambda report, data: not needs_confirmation(report, data.get("finding")),
         apply=_apply_conclude_finding),
    Step("confirm", (R.AWAITING_CONFIRMATION,), R.CONCLUDED, _l("Confirm the finding"),
         (SUPERVISOR, SECOND_SUPERVISOR), apply=_apply_confirm),
    Step("send_back", (R.AWAITING_CONFIRMATION,), R.IN_REVIEW, _l("Send back for review"),
         (SUPERVISOR, SECOND_SUPERVISOR), _need_reason, apply=_apply_send_back),
    Step("reopen", (R.CONCLUDED,), R.IN_REVIEW, _l("Reopen the review"), (SUPERVISOR,), _need_reason,
         apply=_apply_reopen),
)



def status_label(status: ReviewStatus):
    return STATUS_LABELS[status]


REVIEW_MACHINE = StepMachine(
    STEPS, states=ReviewStatus, initial=R.FILED, status_label=status_label,
    not_now_message=lambda status: _l("This action is not possible while the report is “%(status)s”.",
                                      status=status),
)
TRIGGERS = REVIEW_MACHINE.triggers
LABELS = REVIEW_MACHINE.labels


def available_triggers(report: BiasReport, actor) -> list[str]:
    """The steps this actor may take on this report now (before any data is asked for)."""
    return REVIEW_MACHINE.available(report, actor)


def refusal(report: BiasReport, actor, trigger: str, data: dict) -> list:
    """Why `trigger` cannot fire now with `data` (empty list: it can)."""
    return REVIEW_MACHINE.refusal(report, actor, trigger, data)


def mermaid_diagram() -> str:
    """The review lifecycle as a mermaid state diagram, generated from STEPS."""
    return REVIEW_MACHINE.mermaid(R.FILED)
