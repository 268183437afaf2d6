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

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseflow.areas.models import Area, AreaKind
from caseflow.audit.web import writer_transaction
from caseflow.cases.models import Case
from caseflow.exceptions import Stale
from caseflow.extensions import db
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
from caseflow.scope import CASE_ROLES, in_scope, load_or_404

bp = Blueprint("letters", __name__)
log = logging.getLogger("caseflow.letters")
PAGE_SIZE = 50
# What the letter templates need to label a letter (see templates/letters/_letter.html).
LABELS = SimpleNamespace(
    status=STATUS_LABELS,
    mode=DISPATCH_MODE_LABELS,
    local_date=local_date,
    status_name=lambda value: STATUS_LABELS[LetterStatus(value)],
)


@bp.before_request
@login_required
def _caseworkers_only():
    if current_user.role not in CASE_ROLES:
        abort(403)


def _pdf_response(data: bytes, filename: str):
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Letters carry personal data: never in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _broken_file(exc: storage.LetterFileError):
    db.session.rollback()
    # A reference is a register number, not personal data.
    log.error("stored PDF of letter %s: %s", exc.reference, exc)
    return render_template("letters/broken.html", reference=exc.reference), 500


# --- the case page -------------------------------------------------------------------------

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
        return _stale_case(case.id)
    try:
        letter = services.draft_now(case, current_user, expected_version=form.expected_version)
    except Stale:
        return _stale_case(case.id)
    except services.LetterError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(_("Letter %(ref)s drafted. Print it, send it, then record how it was sent.", ref=letter.reference),
          "success")
    return redirect(back, code=303)


def _stale_case(case_id: int):
    db.session.rollback()
    return render_template("cases/stale.html", case_id=case_id, unsent=None), 409


# --- one letter ----------------------------------------------------------------------------

@bp.get("/letters/<int:letter_id>/pdf")
def pdf(letter_id: int):
    """Print or reprint: the first print renders and stores the PDF, every later one returns its bytes."""
    load_or_404(Letter, letter_id, current_user)
    writer_transaction()
    try:
        letter, data = services.print_letter(letter_id, current_user)
    except storage.LetterFileError as exc:
        return _broken_file(exc)
    db.session.commit()
    return _pdf_response(data, services.download_name(letter))


def _back(letter: Letter, back: str | None):
    if back == "case":
        return redirect(url_for("cases.show", case_id=letter.case_id, _anchor=f"letter-{letter.id}"), code=303)
    return redirect(url_for("letters.register", _anchor=f"letter-{letter.id}"), code=303)


def _stale_letter(letter: Letter):
    db.session.rollback()
    return render_template("letters/stale.html", letter_id=letter.id, case_id=letter.case_id), 409


def _refused(letter: Letter, form, back: str | None):
    """A form that did not validate: a stale version is a conflict, anything else is explained."""
    if form.expected_version is not None and form.expected_version != letter.version:
        return _stale_letter(letter)
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
        return _refused(letter, form, back)
    try:
        services.record_dispatch(letter, current_user, expected_version=form.expected_version,
                                 mode=DispatchMode(form.mode.data), on=form.dispatched_on.data, note=form.note.data)
    except Stale:
        return _stale_letter(letter)
    except storage.LetterFileError as exc:
        return _broken_file(exc)
    except services.LetterError as exc:
        db.session.rollback()
        flash(f"{letter.reference}: {exc}", "error")
        return _back(letter, back)
    db.session.commit()
    flash(_("Dispatch of letter %(ref)s recorded.", ref=letter.reference), "success")
    return _back(letter, back)


@bp.post("/letters/<int:letter_id>/acknowledge")
def acknowledge(letter_id: int):
    letter = load_or_404(Letter, letter_id, current_user)
    form = acknowledge_form(letter, formdata=request.form)
    back = form.back.data
    if not form.validate_on_submit():
        return _refused(letter, form, back)
    try:
        services.record_acknowledgement(letter, current_user, expected_version=form.expected_version,
                                        inward_number=form.inward_number.data, on=form.ack_date.data)
    except Stale:
        return _stale_letter(letter)
    except services.LetterError as exc:
        db.session.rollback()
        flash(f"{letter.reference}: {exc}", "error")
        return _back(letter, back)
    db.session.commit()
    flash(_("Acknowledgement of letter %(ref)s recorded.", ref=letter.reference), "success")
    return _back(letter, back)


# --- the register and batches ----------------------------------------------------------------

def _districts() -> list[Area]:
    """Districts the user works in: those their areas lie in, or lie under their areas."""
    ids = set()
    clauses = []
    for area in current_user.areas:
        if area.kind is AreaKind.STATE:
            clauses.append(in_scope(current_user, Area.path))
        elif area.district_id:
            ids.add(area.district_id)
    query = sa.select(Area).where(Area.kind == AreaKind.DISTRICT, sa.or_(Area.id.in_(ids), *clauses))
    return db.session.scalars(query.order_by(Area.name_en)).all()


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters(districts: list[Area], default_status: str | None) -> services.RegisterFilters:
    args = request.args
    district_id = args.get("district", type=int)
    status = args.get("status", default_status or "all")
    return services.RegisterFilters(
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
    districts = _districts()
    filters = _filters(districts, default_status=None)
    query = services.register_query(current_user, filters)
    before = request.args.get("before", type=int)
    page_query = query.where(Letter.id < before) if before else query
    rows = db.session.scalars(page_query.order_by(Letter.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    batch_filters = services.RegisterFilters(
        district_id=filters.district_id, status=filters.status or LetterStatus.DRAFTED.value,
        date_from=filters.date_from, date_to=filters.date_to)
    batch_count, batch_upto = db.session.execute(
        services.register_query(current_user, batch_filters).with_only_columns(sa.func.count(), sa.func.max(Letter.id))
        .order_by(None)
    ).one()
    return render_template(
        "letters/register.html",
        letters=rows,
        next_before=rows[-1].id if more else None,
        filters=filters,
        districts=districts,
        statuses=list(LetterStatus),
        labels=LABELS,
        filter_args={k: v for k, v in filters.as_args().items() if k != "upto"},
        dispatch_forms={x.id: dispatch_form(x) for x in rows if x.status is LetterStatus.DRAFTED},
        ack_forms={x.id: acknowledge_form(x) for x in rows if x.status is LetterStatus.DISPATCHED},
        batch_args=replace(batch_filters, upto=batch_upto or 0).as_args(),
        batch_count=batch_count,
        batch_limit=_batch_limit(),
    )


def _batch_filters() -> services.RegisterFilters:
    return _filters(_districts(), default_status=LetterStatus.DRAFTED.value)


@bp.get("/letters/batch")
def batch():
    """One step of a batch: render the next few letters, show how far it got, and refresh until done.

    The browser drives the work (the page reloads itself through the Refresh header), so a
    batch of hundreds never holds one request, a worker or a database lock for long, and any
    app server can take the next step.
    """
    filters = _batch_filters()
    if filters.upto is None:
        upto = db.session.scalar(services.register_query(current_user, filters)
                                 .with_only_columns(sa.func.max(Letter.id)).order_by(None))
        filters = replace(filters, upto=upto or 0)
    progress = services.batch_progress(current_user, filters)
    too_many = progress.total > _batch_limit()
    if progress.total and not progress.done and not too_many:
        writer_transaction()
        try:
            services.render_batch_chunk(current_user, filters, current_user,
                                        current_app.config.get("LETTERS_BATCH_CHUNK", 10))
        except storage.LetterFileError as exc:
            return _broken_file(exc)
        db.session.commit()
        progress = services.batch_progress(current_user, filters)
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
    progress = services.batch_progress(current_user, filters)
    if filters.upto is None or not progress.total or not progress.done or progress.total > _batch_limit():
        return redirect(url_for("letters.batch", **filters.as_args()))
    writer_transaction()
    out = BytesIO()
    try:
        services.write_batch(services.batch_letter_ids(current_user, filters), current_user, out)
    except storage.LetterFileError as exc:
        return _broken_file(exc)
    db.session.commit()
    return _pdf_response(out.getvalue(), f"letters-{filters.upto}.pdf")
