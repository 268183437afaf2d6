"""The lifecycle of a quarterly review, run by the shared step-machine engine
(caseflow/machine.py) with its state in `QuarterlyReview.stage`.

The supervisor signs first, then the in-charge: the in-charge responds to an assessment that
can no longer change, and their signature closes the review. Once both have signed the review
is read-only (the services refuse every edit; the database refuses an UPDATE).
"""
from flask_babel import lazy_gettext as _l

from caseflow.auth.models import Role
from caseflow.labels import REVIEW_STAGE
from caseflow.machine import Guard, Step, StepMachine
from caseflow.machine import TransitionRefused as TransitionRefused  # the refusal of a review step
from caseflow.reviews.models import QuarterlyReview, ReviewStage

S = ReviewStage

STAGE_LABELS = REVIEW_STAGE

SUPERVISOR = Guard(lambda review, actor: actor.role is Role.SUPERVISOR,
                   _l("Only a supervisor can sign a review as its supervisor."))
THE_INCHARGE = Guard(lambda review, actor: review.incharge_id == actor.id,
                     _l("Only the in-charge reviewed can sign their response."))


def _needs_assessment(review, actor, data):
    return [] if review.assessment is not None else [_l("Choose an overall assessment before signing.")]


def _needs_response(review, actor, data):
    return [] if (review.response or "").strip() else [_l("Write your response before signing.")]


def _apply_supervisor(review, actor, data, plan):
    review.supervisor_signed_by_id = actor.id
    review.supervisor_signed_at = plan["at"]
    review.figures = plan["figures"]


def _apply_incharge(review, actor, data, plan):
    review.incharge_signed_at = plan["at"]


STEPS: tuple[Step, ...] = (
    Step("sign_supervisor", (S.OPEN,), S.AWAITING_RESPONSE, _l("Sign as supervisor"), (SUPERVISOR,),
         _needs_assessment, apply=_apply_supervisor),
    Step("sign_incharge", (S.AWAITING_RESPONSE,), S.SIGNED, _l("Sign as in-charge"), (THE_INCHARGE,),
         _needs_response, apply=_apply_incharge),
)


def stage_label(stage: ReviewStage):
    return STAGE_LABELS[stage]


REVIEW_MACHINE = StepMachine(
    STEPS, states=ReviewStage, initial=S.OPEN, attribute="stage", status_label=stage_label,
    not_now_message=lambda stage: _l("This action is not possible while the review is “%(stage)s”.", stage=stage),
)
TRIGGERS = REVIEW_MACHINE.triggers
LABELS = REVIEW_MACHINE.labels


def available_triggers(review: QuarterlyReview, actor) -> list[str]:
    return REVIEW_MACHINE.available(review, actor)
