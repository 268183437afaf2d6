"""Opening, filling in and signing quarterly reviews; who may see which.

Every verb checks the version the user saw, refuses any change to a signed review, changes the
review (through the review machine for the signatures), appends its audit entry (ids and codes
only) and flushes; the caller commits once.

Scope: a supervisor sees the reviews of the in-charges in their areas (`visible` on the
review's area path); an in-charge sees their own reviews only.
"""
import random
import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.models import Area
from caseflow.audit.services import changed_fields, record
from caseflow.audit.web import note_refused_object
from caseflow.auth.models import Role, User, user_areas
from caseflow.cases.models import Case
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.reviews import figures, workflow
from caseflow.reviews.models import Assessment, CheckAnswer, QuarterlyReview, ReviewStage, SpotCheck
from caseflow.reviews.quarters import Quarter, last_ended
from caseflow.scope import path_in_scope, visible

SAMPLE_SIZE = 10
# How many times likelier a case the in-charge resolved or closed in the quarter is drawn.
ENDED_WEIGHT = 3.0
# How far back the overdue list looks (older quarters are history, not a to-do).
OVERDUE_LOOKBACK = 4


class ReviewError(Refused):
    pass


READ_ONLY = _l("This review is signed by both and can no longer be changed.")


# --- reading -----------------------------------------------------------------------------------


def region_incharges(supervisor) -> list[User]:
    """The active in-charges with an area inside the supervisor's areas."""
    if supervisor is None or getattr(supervisor, "role", None) is not Role.SUPERVISOR:
        return []
    ids = sa.select(user_areas.c.user_id).join(Area, Area.id == user_areas.c.area_id).where(visible(supervisor, Area))
    return db.session.scalars(sa.select(User).where(User.id.in_(ids), User.role == Role.INCHARGE,
                                                    User.active.is_(True)).order_by(User.display_name, User.id)).all()


def visible_reviews(user) -> sa.ColumnElement[bool]:
    if user.role is Role.INCHARGE:
        return QuarterlyReview.incharge_id == user.id
    if user.role is Role.SUPERVISOR:
        return visible(user, QuarterlyReview)
    return sa.false()


def load_or_404(review_id: int, user) -> QuarterlyReview:
    review = db.session.scalar(sa.select(QuarterlyReview).where(QuarterlyReview.id == review_id,
                                                                visible_reviews(user))
                               .execution_options(populate_existing=True))
    if review is None:
        # The refusal goes on the audit trail, as for every scoped object (caseflow.scope).
        note_refused_object(QuarterlyReview, review_id, QuarterlyReview.area_path)
        abort(404)
    return review


def history(user, incharge_id: int | None = None) -> list[QuarterlyReview]:
    query = sa.select(QuarterlyReview).where(visible_reviews(user))
    if incharge_id is not None:
        query = query.where(QuarterlyReview.incharge_id == incharge_id)
    return db.session.scalars(query.order_by(QuarterlyReview.quarter_start.desc(), QuarterlyReview.id)).all()


def quarter_of(review: QuarterlyReview) -> Quarter:
    return Quarter(review.quarter_start)


def peer_ids(review: QuarterlyReview, supervisor: User | None = None) -> list[int]:
    supervisor = supervisor or review.supervisor_signed_by or review.opened_by
    return [u.id for u in region_incharges(supervisor) if u.id != review.incharge_id]


def review_figures(review: QuarterlyReview) -> dict:
    """The frozen figures once the supervisor signed; until then computed from the timeline now."""
    if review.figures is not None:
        return review.figures
    quarter = quarter_of(review)
    before = db.session.scalar(sa.select(QuarterlyReview.figures).where(
        QuarterlyReview.incharge_id == review.incharge_id,
        QuarterlyReview.quarter_start == quarter.previous().start,
        QuarterlyReview.figures.is_not(None)))
    return figures.compute(review.incharge, quarter, peer_ids=peer_ids(review), previous=before)


@dataclass
class Overdue:
    incharge: User
    quarter: Quarter
    review: QuarterlyReview | None


def overdue_reviews(supervisor, on: date | None = None) -> list[Overdue]:
    """Reviews of the supervisor's in-charges not signed by both by their quarter's end + 30 days
    (the last few quarters; a quarter before the in-charge's account began is not theirs)."""
    on = on or today()
    incharges = region_incharges(supervisor)
    if not incharges:
        return []
    quarters = []
    quarter = last_ended(on)
    for _step in range(OVERDUE_LOOKBACK):
        if quarter.deadline < on:
            quarters.append(quarter)
        quarter = quarter.previous()
    if not quarters:
        return []
    reviews = {(r.incharge_id, r.quarter_start): r for r in db.session.scalars(
        sa.select(QuarterlyReview).where(QuarterlyReview.incharge_id.in_([u.id for u in incharges]),
                                         QuarterlyReview.quarter_start.in_([q.start for q in quarters])))}
    late = []
    for quarter in quarters:
        for incharge in incharges:
            if incharge.created_at.date() >= quarter.end:
                continue
            review = reviews.get((incharge.id, quarter.start))
            if review is None or review.stage is not ReviewStage.SIGNED:
                late.append(Overdue(incharge, quarter, review))
    return late


# --- the sample -------------------------------------------------------------------------------


def draw_sample(candidates: dict[int, bool], seed: int, size: int = SAMPLE_SIZE) -> list[int]:
    """A weighted sample without replacement (Efraimidis–Spirakis), reproducible from `seed`.

    `candidates`: case id → resolved or closed in the quarter (drawn ENDED_WEIGHT times as
    likely). The cases are taken in id order, so the same seed and cases give the same sample.
    """
    rng = random.Random(seed)
    keyed = []
    for case_id in sorted(candidates):
        weight = ENDED_WEIGHT if candidates[case_id] else 1.0
        keyed.append((rng.random() ** (1.0 / weight), case_id))
    keyed.sort(reverse=True)
    return [case_id for _key, case_id in keyed[:size]]


# --- verbs -------------------------------------------------------------------------------------


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Stale() from exc


def _check(review: QuarterlyReview, expected_version: int | None) -> None:
    if expected_version is None or review.version != expected_version:
        raise Stale()
    if review.read_only:
        raise ReviewError(READ_ONLY)


def open_review(actor: User, incharge: User, quarter: Quarter, *, seed: int | None = None) -> QuarterlyReview:
    """Open the review of `incharge` for `quarter` and draw its spot-check sample."""
    if actor.role is not Role.SUPERVISOR or incharge not in region_incharges(actor):
        raise ReviewError(_l("You can review only the in-charges of your areas."))
    if quarter.end > today():
        raise ReviewError(_l("A quarter can be reviewed once it has ended."))
    exists = db.session.scalar(sa.select(QuarterlyReview.id).where(
        QuarterlyReview.incharge_id == incharge.id, QuarterlyReview.quarter_start == quarter.start))
    if exists is not None:
        raise ReviewError(_l("This in-charge's review of that quarter is already open."))
    review = QuarterlyReview(
        incharge_id=incharge.id, area_path=incharge.areas[0].path, quarter_start=quarter.start,
        stage=ReviewStage.OPEN, opened_by_id=actor.id,
        sample_seed=seed if seed is not None else secrets.randbits(48))
    db.session.add(review)
    db.session.flush()
    candidates = figures.sample_candidates(incharge, quarter)
    # Only cases the supervisor may open: an in-charge moved elsewhere keeps their old timeline.
    in_scope = {case_id for case_id, path in db.session.execute(
        sa.select(Case.id, Case.area_path).where(Case.id.in_(list(candidates)))) if path_in_scope(actor, path)} \
        if candidates else set()
    chosen = draw_sample({k: v for k, v in candidates.items() if k in in_scope}, review.sample_seed)
    for position, case_id in enumerate(chosen, start=1):
        db.session.add(SpotCheck(review_id=review.id, case_id=case_id, position=position,
                                 weighted=candidates[case_id]))
    record("review.opened", actor=actor, obj=review, data={
        "incharge_id": incharge.id, "quarter_start": quarter.start, "checks": len(chosen)})
    _flush()
    return review


def _supervisor_of(review: QuarterlyReview, actor: User) -> None:
    if actor.role is not Role.SUPERVISOR or not path_in_scope(actor, review.area_path):
        raise ReviewError(_l("Only a supervisor of the in-charge's areas can do this."))
    if review.stage is not ReviewStage.OPEN:
        raise ReviewError(_l("The supervisor has signed this review: the checks, notes and assessment are final."))


def record_check(review: QuarterlyReview, check: SpotCheck, actor: User, *, expected_version: int | None,
                 reachable: CheckAnswer, received: CheckAnswer, file_complete: CheckAnswer,
                 note: str | None) -> SpotCheck:
    """What the supervisor found for one case of the sample."""
    _check(review, expected_version)
    _supervisor_of(review, actor)
    if check.review_id != review.id:
        raise ReviewError(_l("This case is not in the review's sample."))
    check.reachable, check.received, check.file_complete = reachable, received, file_complete
    check.note = (note or "").strip() or None
    fields = changed_fields(check, "reachable", "received", "file_complete", "note")
    check.checked_by_id = actor.id
    check.checked_at = utcnow()
    review.changed_at = check.checked_at  # bumps the review's version: a second editor is told
    # Now, before the audit entry's flush: the versioned UPDATE is where a change committed
    # meanwhile shows, and it must surface as Stale.
    _flush()
    record("review.check_recorded", actor=actor, obj=review, data={
        "spot_check_id": check.id, "case_id": check.case_id, "reachable": reachable, "received": received,
        "file_complete": file_complete, "fields": fields})
    _flush()
    return check


def save_notes(review: QuarterlyReview, actor: User, *, expected_version: int | None, notes: str | None,
               assessment: Assessment | None) -> QuarterlyReview:
    _check(review, expected_version)
    _supervisor_of(review, actor)
    review.notes = (notes or "").strip() or None
    review.assessment = assessment
    fields = changed_fields(review, "notes", "assessment")
    _flush()
    record("review.notes_saved", actor=actor, obj=review, data={"assessment": assessment, "fields": fields})
    _flush()
    return review


def save_response(review: QuarterlyReview, actor: User, *, expected_version: int | None,
                  response: str | None) -> QuarterlyReview:
    _check(review, expected_version)
    if review.incharge_id != actor.id:
        raise ReviewError(_l("Only the in-charge reviewed can respond."))
    if review.stage is not ReviewStage.AWAITING_RESPONSE:
        raise ReviewError(_l("You can respond once the supervisor has signed the review."))
    review.response = (response or "").strip() or None
    fields = changed_fields(review, "response")
    _flush()
    record("review.response_saved", actor=actor, obj=review, data={"fields": fields})
    _flush()
    return review


def sign(review: QuarterlyReview, actor: User, trigger: str, *, expected_version: int | None) -> QuarterlyReview:
    """A signature: the supervisor's freezes the figures; the in-charge's makes the review read-only."""
    _check(review, expected_version)
    if trigger not in workflow.TRIGGERS:
        raise workflow.TransitionRefused([_l("This action is not possible now.")])
    if trigger == "sign_supervisor" and not path_in_scope(actor, review.area_path):
        raise ReviewError(_l("Only a supervisor of the in-charge's areas can do this."))
    step, problems = workflow.REVIEW_MACHINE.decide(review, actor, trigger, {})
    if step is None:
        raise workflow.TransitionRefused(problems)
    before = review.stage
    plan = {"at": utcnow()}
    if trigger == "sign_supervisor":
        # The region is the signing supervisor's: the median they assessed against is frozen.
        plan["figures"] = figures.compute(
            review.incharge, quarter_of(review), peer_ids=peer_ids(review, actor),
            previous=db.session.scalar(sa.select(QuarterlyReview.figures).where(
                QuarterlyReview.incharge_id == review.incharge_id,
                QuarterlyReview.quarter_start == quarter_of(review).previous().start,
                QuarterlyReview.figures.is_not(None))))
    workflow.REVIEW_MACHINE.fire(review, trigger, actor=actor, data={}, plan=plan, step=step)
    _flush()
    record("review.signed_by_supervisor" if trigger == "sign_supervisor" else "review.signed_by_incharge",
           actor=actor, obj=review, data={"from": before, "to": review.stage})
    _flush()
    return review
