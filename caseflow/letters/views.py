"""Pages of the letters domain: the register, printing, dispatch and acknowledgement, drafting
from the case page, and batch printing with a progress page.

Printing is a GET (a link opens the PDF), yet it writes: the first print renders and stores
the PDF, and every print is audited. Such views switch to a writer transaction first
(`writer_transaction`), so on SQLite the write cannot fail half-way.
"""
import logging
from dataclasses import replace
from datetime import date
from io import BytesIO
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseflow.areas.models import Area
from caseflow.audit.web import writer_transaction
from caseflow.cases import panels
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.inputs import date_in_range
from caseflow.labels import SUPERSEDED_BECAUSE
from caseflow.letters import register as letter_register
from caseflow.letters import services, storage
from caseflow.letters.forms import (
    DISPATCH_MODE_LABELS,
    STATUS_LABELS,
    DraftForm,
    acknowledge_form,
    dispatch_form,
)
from caseflow.letters.models import DispatchMode, Letter, LetterStatus
from caseflow.letters.render import local_date
from caseflow.scope import case_pages_only, districts, load_or_404
from caseflow.web import commit, stale_page

bp = Blueprint("letters", __name__)
log = logging.getLogger("caseflow.letters")
PAGE_SIZE = 50
CASE_CHANGED = _l("This case changed")
LETTER_CHANGED = _l("This letter changed")
# What the letter templates need to label a letter (see templates/letters/_letter.html).
LABELS = SimpleNamespace(
    status=STATUS_LABELS,
    mode=DISPATCH_MODE_LABELS,
    local_date=local_date,
    superseded=SUPERSEDED_BECAUSE,
    status_name=lambda value: STATUS_LABELS[LetterStatus(value)],
)


case_pages_only(bp)


def _pdf_response(data: bytes, filename: str):
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Letters carry personal data: never in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(storage.LetterFileError)
def _broken_file(exc: storage.LetterFileError):
    db.session.rollback()
    # A reference is a register number, not personal data.
    log.error("stored PDF of letter %s: %s", exc.reference, exc)
    return render_template("letters/broken.html", reference=exc.reference), 500


# --- the case page -------------------------------------------------------------------------

@panels.register(bp, "letters", order=20)
def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/letters/_case_panel.html)."""
    letters = services.letters_for_case(case)
    office = services.drafting_office(case)
    return {
        "letters": letters,
        "dispatch_forms": {x.id: dispatch_form(x, back="case") for x in letters if x.status is LetterStatus.DRAFTED},
        "ack_forms": {x.id: acknowledge_form(x, back="case") for x in letters if x.status is LetterStatus.DISPATCHED},
        "office": office,
        "pending": services.pending_letter(case, office) if office else None,
        "draft_form": DraftForm(formdata=None, prefix="letter", version=case.version) if office else None,
        "labels": LABELS,
    }


@bp.post("/cases/<int:case_id>/letters/draft")
def draft(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    form = DraftForm(prefix="letter")
    back = url_for("cases.show", case_id=case.id, _anchor="letters")
    if not form.validate_on_submit():
        # The form has only the case's version: a failure is a page loaded before a change.
        return stale_page(back, what=CASE_CHANGED)
    letter = commit(lambda: services.draft_now(case, current_user, expected_version=form.expected_version),
                    refused=lambda: redirect(back, code=303), back=back, what=CASE_CHANGED)
    flash(_("Letter %(ref)s drafted. Print it, send it, then record how it was sent.", ref=letter.reference),
          "success")
    return redirect(back, code=303)


# --- one letter ----------------------------------------------------------------------------

@bp.get("/letters/<int:letter_id>/pdf")
def pdf(letter_id: int):
    """Print or reprint: the first print renders and stores the PDF, every later one returns its bytes."""
    load_or_404(Letter, letter_id, current_user)
    writer_transaction()
    letter, data = commit(lambda: services.print_letter(letter_id, current_user),
                          refused=lambda: _back(db.session.get(Letter, letter_id), None), back=None)
    return _pdf_response(data, services.download_name(letter))


def _back_url(letter: Letter, back: str | None) -> str:
    if back == "case":
        return url_for("cases.show", case_id=letter.case_id, _anchor=f"letter-{letter.id}")
    return url_for("letters.register", _anchor=f"letter-{letter.id}")


def _back(letter: Letter, back: str | None):
    return redirect(_back_url(letter, back), code=303)


def _invalid(letter: Letter, form, back: str | None):
    """A form that did not validate: a stale version is a conflict, anything else is explained."""
    if form.expected_version is not None and form.expected_version != letter.version:
        return stale_page(_back_url(letter, back), what=LETTER_CHANGED)
    for field in form:
        for error in field.errors:
            flash(f"{letter.reference}: {field.label.text}: {error}", "error")
    return _back(letter, back)


@bp.post("/letters/<int:letter_id>/dispatch")
def dispatch(letter_id: int):
    letter = load_or_404(Letter, letter_id, current_user)
    form = dispatch_form(letter, formdata=request.form)
    back = form.back.data
    if not form.validate_on_submit():
        return _invalid(letter, form, back)
    commit(lambda: services.record_dispatch(
               letter, current_user, expected_version=form.expected_version, mode=DispatchMode(form.mode.data),
               on=form.dispatched_on.data, note=form.note.data),
           refused=lambda: _back(letter, back), back=_back_url(letter, back), unsent=form.note.data,
           what=LETTER_CHANGED)
    flash(_("Dispatch of letter %(ref)s recorded.", ref=letter.reference), "success")
    return _back(letter, back)


@bp.post("/letters/<int:letter_id>/acknowledge")
def acknowledge(letter_id: int):
    letter = load_or_404(Letter, letter_id, current_user)
    form = acknowledge_form(letter, formdata=request.form)
    back = form.back.data
    if not form.validate_on_submit():
        return _invalid(letter, form, back)
    commit(lambda: services.record_acknowledgement(
               letter, current_user, expected_version=form.expected_version,
               inward_number=form.inward_number.data, on=form.ack_date.data),
           refused=lambda: _back(letter, back), back=_back_url(letter, back), unsent=form.inward_number.data,
           what=LETTER_CHANGED)
    flash(_("Acknowledgement of letter %(ref)s recorded.", ref=letter.reference), "success")
    return _back(letter, back)


# --- the register and batches ----------------------------------------------------------------

def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None and raw or not date_in_range(day, filter=True):
        flash(_("A date filter was not a valid date; it was left out."), "error")
        return None
    return day


def _filters(districts: list[Area], default_status: str | None) -> letter_register.RegisterFilters:
    args = request.args
    district_id = args.get("district", type=int)
    status = args.get("status", default_status or "all")
    return letter_register.RegisterFilters(
        district_id=district_id if district_id in {d.id for d in districts} else None,
        status=status if status in {s.value for s in LetterStatus} else None,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        upto=args.get("upto", type=int),
    )


def _batch_limit() -> int:
    return current_app.config.get("LETTERS_BATCH_LIMIT", 1000)


@bp.get("/letters")
def register():
    my_districts = districts(current_user)
    filters = _filters(my_districts, default_status=None)
    query = letter_register.register_query(current_user, filters)
    before = request.args.get("before", type=int)
    page_query = query.where(Letter.id < before) if before else query
    rows = db.session.scalars(page_query.order_by(Letter.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    preview = letter_register.batch_preview(current_user, filters)
    return render_template(
        "letters/register.html",
        letters=rows,
        next_before=rows[-1].id if more else None,
        filters=filters,
        districts=my_districts,
        statuses=list(LetterStatus),
        labels=LABELS,
        filter_args={k: v for k, v in filters.as_args().items() if k != "upto"},
        dispatch_forms={x.id: dispatch_form(x) for x in rows if x.status is LetterStatus.DRAFTED},
        ack_forms={x.id: acknowledge_form(x) for x in rows if x.status is LetterStatus.DISPATCHED},
        batch=preview,
        batch_args=replace(letter_register.batch_filters(filters), upto=preview.upto).as_args(),
        batch_limit=_batch_limit(),
    )


def _batch_filters() -> letter_register.RegisterFilters:
    """The batch's filters from its URL: always with a status, and fixed by `upto` once started."""
    filters = _filters(districts(current_user), default_status=None)
    return replace(filters, status=letter_register.batch_filters(filters).status)


@bp.get("/letters/batch")
def batch():
    """One step of a batch: render the next few letters, show how far it got, and refresh until done.

    With the background workers running (caseflow.letters.background) the letters are stored
    already and the first step goes straight to "ready": the batch then only joins stored PDFs.
    The rendering here is the fallback for letters printed before a worker reached them.

    The browser drives the work (the page reloads itself through the Refresh header), so a
    batch of hundreds never holds one request, a worker or a database lock for long, and any
    app server can take the next step.
    """
    filters = _batch_filters()
    if filters.upto is None:
        filters = replace(filters, upto=letter_register.batch_preview(current_user, filters).upto)
    progress = letter_register.batch_progress(current_user, filters)
    too_many = progress.total > _batch_limit()
    if progress.total and not progress.done and not too_many:
        writer_transaction()
        commit(lambda: letter_register.render_batch_chunk(current_user, filters, current_user,
                                                   current_app.config.get("LETTERS_BATCH_CHUNK", 10)),
               refused=lambda: redirect(url_for("letters.register")), back=None)
        progress = letter_register.batch_progress(current_user, filters)
    here = url_for("letters.batch", **filters.as_args())
    response = current_app.make_response(render_template(
        "letters/batch.html", progress=progress, too_many=too_many, limit=_batch_limit(), here=here,
        pdf_url=url_for("letters.batch_pdf", **filters.as_args()),
        register_url=url_for("letters.register", **{k: v for k, v in filters.as_args().items() if k != "upto"}),
    ))
    if progress.total and not progress.done and not too_many:
        response.headers["Refresh"] = f"0; url={here}"
    return response


@bp.get("/letters/batch.pdf")
def batch_pdf():
    """The finished batch as one PDF: the stored letters one after another, each audited as printed."""
    filters = _batch_filters()
    progress = letter_register.batch_progress(current_user, filters)
    if filters.upto is None or not progress.total or not progress.done or progress.total > _batch_limit():
        return redirect(url_for("letters.batch", **filters.as_args()))
    writer_transaction()
    out = BytesIO()
    commit(lambda: letter_register.write_batch(letter_register.batch_letter_ids(current_user, filters), current_user, out),
           refused=lambda: redirect(url_for("letters.batch", **filters.as_args())), back=None)
    return _pdf_response(out.getvalue(), f"letters-{filters.upto}.pdf")
