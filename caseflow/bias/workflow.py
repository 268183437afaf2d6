"""The review lifecycle of a bias report: one `transitions` machine, built once, state in
`BiasReport.status`, built like the case machine (caseflow/cases/workflow.py). The diagram in
docs/bias.md is generated from STEPS (`flask --app wsgi caseflow bias-diagram --doc docs/bias.md`).

Each step names who may fire it and when (`guards`, which also decide the buttons on the
report page) and the data it needs (`requires`). `record_finding` has two destinations: a
substantiated finding against an elected head (sarpanch, parshad) waits for a second
supervisor, every other finding concludes the review at once. The second supervisor is
anyone but the one who recorded the finding; the database refuses the same person too.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from transitions import Machine, MachineError

from caseflow.auth.models import Role, User
from caseflow.bias.models import ELECTED_ROLES, BiasReport, Finding, ReviewStatus
from caseflow.db import utcnow
from caseflow.exceptions import Refused
from caseflow.labels import REVIEW_STATUS as STATUS_LABELS

R = ReviewStatus


@dataclass(frozen=True)
class Guard:
    test: Callable[[BiasReport, User], bool]
    message: object  # a lazy string


@dataclass(frozen=True)
class Step:
    trigger: str
    sources: tuple[ReviewStatus, ...]
    dest: ReviewStatus
    label: object
    guards: tuple[Guard, ...] = ()
    # Returns the problems with the supplied data (empty when it is complete).
    requires: Callable[[BiasReport, User, dict], list] = field(default=lambda report, actor, data: [])
    # Picks this step among steps of the same trigger and source by the data (the finding).
    when: Callable[[BiasReport, dict], bool] = field(default=lambda report, data: True)
    apply: Callable[[BiasReport, User, dict], None] = field(default=lambda report, actor, data: None)


class TransitionRefused(Refused):
    """The step is not allowed now; `messages` say why, for the user."""


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


def _apply_take(report, actor, data):
    report.reviewer_id = actor.id


def _apply_finding(report, actor, data):
    report.finding = data["finding"]
    report.finding_reasons = _text(data, "reasons")
    report.finding_by_id = actor.id
    report.finding_at = utcnow()


def _apply_conclude_finding(report, actor, data):
    _apply_finding(report, actor, data)
    report.concluded_at = report.finding_at


def _apply_confirm(report, actor, data):
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


def _apply_send_back(report, actor, data):
    # The reviewer stays; the finding goes, so they record a new one.
    _clear_finding(report)


def _apply_reopen(report, actor, data):
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

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(step.trigger for step in STEPS))
LABELS = {step.trigger: step.label for step in STEPS}


def _conditions(step: Step):
    def guards_pass(event):
        return all(g.test(event.model, event.kwargs["actor"]) for g in step.guards)

    def data_complete(event):
        return not step.requires(event.model, event.kwargs["actor"], event.kwargs["data"])

    def branch_matches(event):
        return step.when(event.model, event.kwargs["data"])

    return [guards_pass, data_complete, branch_matches]


def _before(step: Step):
    def apply(event):
        step.apply(event.model, event.kwargs["actor"], event.kwargs["data"])

    return apply


REVIEW_MACHINE = Machine(
    model=None,
    states=ReviewStatus,
    initial=R.FILED,
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


def steps_from(status: ReviewStatus, trigger: str | None = None) -> list[Step]:
    return [s for s in STEPS if status in s.sources and (trigger is None or s.trigger == trigger)]


def available_triggers(report: BiasReport, actor: User) -> list[str]:
    """The steps this actor may take on this report now (before any data is asked for)."""
    found = []
    for step in steps_from(report.status):
        if step.trigger not in found and all(g.test(report, actor) for g in step.guards):
            found.append(step.trigger)
    return found


def refusal(report: BiasReport, actor: User, trigger: str, data: dict) -> list:
    """Why `trigger` cannot fire now with `data` (empty list: it can)."""
    candidates = steps_from(report.status, trigger)
    if not candidates:
        return [_l("This action is not possible while the report is “%(status)s”.",
                   status=status_label(report.status))]
    messages: list = []
    for step in candidates:
        failed = [g.message for g in step.guards if not g.test(report, actor)]
        if not failed:
            return step.requires(report, actor, data)
        messages.extend(m for m in failed if m not in messages)
    return messages


def target(report: BiasReport, trigger: str, actor: User, data: dict) -> ReviewStatus | None:
    for step in steps_from(report.status, trigger):
        if all(g.test(report, actor) for g in step.guards) and step.when(report, data):
            return step.dest
    return None


def fire(report: BiasReport, trigger: str, *, actor: User, data: dict) -> None:
    """Run the step on the machine. Raises TransitionRefused, changing nothing, if it may not."""
    problems = refusal(report, actor, trigger, data)
    if problems:
        raise TransitionRefused(problems)
    try:
        moved = REVIEW_MACHINE.events[trigger].trigger(report, actor=actor, data=data)
    except MachineError:
        moved = False
    if not moved:
        raise TransitionRefused(refusal(report, actor, trigger, data) or [_l("This action is not possible now.")])


def status_label(status: ReviewStatus):
    return STATUS_LABELS[status]


def mermaid_diagram() -> str:
    """The review lifecycle as a mermaid state diagram, generated from STEPS."""
    lines = ["stateDiagram-v2", f"    [*] --> {R.FILED.value}"]
    seen = set()
    for step in STEPS:
        for source in step.sources:
            edge = (source.value, step.dest.value, step.trigger)
            if edge not in seen:
                seen.add(edge)
                lines.append(f"    {source.value} --> {step.dest.value}: {step.trigger}")
    return "\n".join(lines) + "\n"
