"""Pages of the quarterly review: the index (history, reviews to open, overdue ones), the
review page (figures, spot checks, notes and assessment, response, signatures) and its PDF.

A supervisor sees the reviews of the in-charges in their areas; an in-charge sees their own
only. Anything else is the same 404 as a review that does not exist.
"""
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseflow.auth.models import Role
from caseflow.db import today
from caseflow.i18n import locale_code
from caseflow.identity import scrub_aadhaar
from caseflow.labels import ASSESSMENT, CHECK_ANSWER, CLOSE_REASON
from caseflow.letters.render import html_to_pdf
from caseflow.reviews import figures as figure_defs
from caseflow.reviews import services, workflow
from caseflow.reviews.forms import CheckForm, NotesForm, OpenReviewForm, ResponseForm, SignForm
from caseflow.reviews.models import QuarterlyReview, ReviewStage
from caseflow.reviews.quarters import Quarter, last_ended
from caseflow.scope import case_pages_only, supervisor_only
from caseflow.web import commit

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
CHANGED = _l("This review changed")

COUNT_LABELS = {
    "identified": _l("Cases identified"),
    "documented": _l("Documents verified"),
    "submitted": _l("Applications submitted"),
    "escalated": _l("Escalated (by the in-charge)"),
    "sanctioned": _l("Sanctioned"),
    "rejected": _l("Rejections recorded"),
    "resolved": _l("Resolved (benefit delivered)"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "follow_ups": _l("Follow-ups logged"),
    "letters_dispatched": _l("Letters dispatched"),
    "letters_acknowledged": _l("Letters acknowledged"),
    "bias_reports": _l("Bias reports filed"),
}
STEP_LABELS = {
    "verify": _l("From identified to documented"),
    "submit": _l("From documented to submitted"),
    "escalate": _l("To escalation"),
    "sanction": _l("To sanction"),
    "deliver": _l("From sanctioned to delivered"),
    "close": _l("To closure"),
}


case_pages_only(bp)




@bp.app_context_processor
def _overdue_line():
    # The supervisor's queue shows one line about late reviews; computed only if the page asks.
    def reviews_overdue() -> int:
        if not current_user.is_authenticated or current_user.role is not Role.SUPERVISOR:
            return 0
        return len(services.overdue_reviews(current_user))

    return {"reviews_overdue": reviews_overdue}


def _context(review: QuarterlyReview) -> dict:
    quarter = services.quarter_of(review)
    return {
        "review": review,
        "quarter": quarter,
        "figures": services.review_figures(review),
        "count_keys": figure_defs.COUNTS,
        "count_labels": COUNT_LABELS,
        "step_labels": STEP_LABELS,
        "timed_steps": figure_defs.TIMED_STEPS,
        "close_reason_labels": CLOSE_REASON,
        "assessment_labels": ASSESSMENT,
        "answer_labels": CHECK_ANSWER,
        "stage_label": workflow.stage_label,
        "step_names": workflow.LABELS,
    }


@bp.get("/")
def index():
    on = today()
    context = {"reviews": services.history(current_user), "stage_label": workflow.stage_label,
               "assessment_labels": ASSESSMENT, "Quarter": Quarter}
    if current_user.role is Role.SUPERVISOR:
        incharges = services.region_incharges(current_user)
        quarter = last_ended(on)
        opened = {(r.incharge_id, r.quarter_start) for r in context["reviews"]}
        context.update(
            overdue=services.overdue_reviews(current_user, on),
            to_open=[u for u in incharges if (u.id, quarter.start) not in opened],
            last_quarter=quarter,
            open_form=_open_form(incharges, on, formdata=None),
        )
    return render_template("reviews/index.html", **context)


def _open_form(incharges, on: date, **kwargs) -> OpenReviewForm:
    """Any in-charge of the region, any of the last few ended quarters (an earlier one left undone)."""
    form = OpenReviewForm(**kwargs)
    form.incharge.choices = [(u.id, u.display_name) for u in incharges]
    quarters, quarter = [], last_ended(on)
    for _step in range(services.OVERDUE_LOOKBACK):
        quarters.append((quarter.code(), quarter.label()))
        quarter = quarter.previous()
    form.quarter.choices = quarters
    return form


@bp.post("/open")
@supervisor_only
def open_review():
    incharges = services.region_incharges(current_user)
    form = _open_form(incharges, today())
    if not form.validate_on_submit():
        abort(422)
    quarter = Quarter(date.fromisoformat(form.quarter.data))
    incharge = next((u for u in incharges if u.id == form.incharge.data), None)
    if incharge is None:
        abort(404)
    review = commit(lambda: services.open_review(current_user, incharge, quarter),
                    refused=lambda: (index(), 422), back=url_for("reviews.index"))
    flash(_("Review opened."), "success")
    return redirect(url_for("reviews.show", review_id=review.id))


def _forms(review: QuarterlyReview, **given) -> dict:
    forms = {}
    if review.stage is ReviewStage.OPEN and current_user.role is Role.SUPERVISOR:
        forms["notes_form"] = given.get("notes_form") or NotesForm(
            formdata=None, version=review.version, notes=review.notes,
            assessment=review.assessment.value if review.assessment else "")
        forms["check_forms"] = {
            c.id: (given.get("check_forms") or {}).get(c.id) or CheckForm(
                formdata=None, prefix=f"c{c.id}", version=review.version, reachable=c.reachable.value,
                received=c.received.value, file_complete=c.file_complete.value, note=c.note)
            for c in review.checks}
    if review.stage is ReviewStage.AWAITING_RESPONSE and review.incharge_id == current_user.id:
        forms["response_form"] = given.get("response_form") or ResponseForm(
            formdata=None, version=review.version, response=review.response)
    forms["sign_form"] = SignForm(formdata=None, version=review.version)
    forms["triggers"] = workflow.available_triggers(review, current_user)
    return forms


def _render(review: QuarterlyReview, status: int = 200, **given):
    return render_template("reviews/show.html", **_context(review), **_forms(review, **given)), status


@bp.get("/<int:review_id>")
def show(review_id: int):
    review = services.load_or_404(review_id, current_user)
    return _render(review)


@bp.post("/<int:review_id>/check")
@supervisor_only
def record_check(review_id: int):
    review = services.load_or_404(review_id, current_user)
    check = next((c for c in review.checks if str(c.id) == request.form.get("check", "")), None)
    if check is None:
        abort(422)
    form = CheckForm(prefix=f"c{check.id}")
    if not form.validate_on_submit():
        return _render(review, 422, check_forms={check.id: form})
    back = url_for("reviews.show", review_id=review.id, _anchor=f"check-{check.id}")
    commit(lambda: services.record_check(review, check, current_user, expected_version=form.expected_version,
                                         note=form.note.data, **form.answers()),
           refused=lambda: _render(review, 422), back=back, unsent=form.note.data, what=CHANGED)
    flash(_("Spot check saved."), "success")
    return redirect(back)


@bp.post("/<int:review_id>/notes")
@supervisor_only
def save_notes(review_id: int):
    review = services.load_or_404(review_id, current_user)
    form = NotesForm()
    if not form.validate_on_submit():
        return _render(review, 422, notes_form=form)
    back = url_for("reviews.show", review_id=review.id)
    commit(lambda: services.save_notes(review, current_user, expected_version=form.expected_version,
                                       notes=form.notes.data, assessment=form.chosen),
           refused=lambda: _render(review, 422, notes_form=form), back=back, unsent=form.notes.data, what=CHANGED)
    flash(_("Notes and assessment saved."), "success")
    return redirect(back)


@bp.post("/<int:review_id>/response")
def save_response(review_id: int):
    review = services.load_or_404(review_id, current_user)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _render(review, 422, response_form=form)
    back = url_for("reviews.show", review_id=review.id)
    commit(lambda: services.save_response(review, current_user, expected_version=form.expected_version,
                                          response=form.response.data),
           refused=lambda: _render(review, 422, response_form=form), back=back, unsent=form.response.data,
           what=CHANGED)
    flash(_("Response saved."), "success")
    return redirect(back)


@bp.post("/<int:review_id>/sign")
def sign(review_id: int):
    review = services.load_or_404(review_id, current_user)
    form = SignForm()
    trigger = request.form.get("trigger", "")
    if trigger not in workflow.TRIGGERS or not form.validate_on_submit():
        abort(422)
    back = url_for("reviews.show", review_id=review.id)
    commit(lambda: services.sign(review, current_user, trigger, expected_version=form.expected_version),
           refused=lambda: _render(review, 422), back=back, what=CHANGED)
    flash(_("Signed."), "success")
    return redirect(back)


@bp.get("/<int:review_id>/pdf")
def pdf(review_id: int):
    review = services.load_or_404(review_id, current_user)
    body = review_pdf(review, locale_code())
    name = f"review-{review.id}-{review.quarter_start.isoformat()}.pdf"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


def review_pdf(review: QuarterlyReview, language: str) -> bytes:
    """The review as an A4 PDF in `language`, with the letters' fonts and locked-down fetcher."""
    with force_locale(language):
        template = current_app.jinja_env.get_template("reviews/pdf.html")
        html = template.render(**_context(review), language=language,
                               organisation=current_app.config.get("ORGANISATION_NAME") or "caseflow",
                               incharge_name=review.incharge.display_name,
                               checks=review.checks, printed_on=today())
    return html_to_pdf(scrub_aadhaar(html))

