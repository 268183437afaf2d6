"""Pages of the bias domain: filing a report from a case, the supervisor queue, the report page
with its review steps and the logged identity reveal, the pattern view and its CSV export.

Who sees what: supervisors see every report in their areas; an in-charge lists only the
reports they filed and may open any report of their areas (without the complainant). The
complainant's identity is shown to the in-charge or supervisor who filed the report and,
after a written reason that is logged, to a supervisor of the report's area, on that one
response only.
"""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseflow.auth.models import Role
from caseflow.bias import patterns as pattern_stats
from caseflow.bias import queries, services, workflow
from caseflow.bias.forms import (
    FINDING_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    STEP_FORMS,
    ExportForm,
    FileReportForm,
    FindingForm,
    RevealForm,
    review_data,
)
from caseflow.bias.models import AccusedRole, BiasKind, BiasReport, Finding, ReviewStatus
from caseflow.cases import panels
from caseflow.cases.models import Case
from caseflow.db import today
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.inputs import db_int
from caseflow.labels import BIAS_STEP_DONE
from caseflow.letters.models import Letter
from caseflow.scope import case_pages_only, districts, load_or_404, supervisor_only
from caseflow.web import commit, stale_page

bp = Blueprint("bias", __name__)
PATTERN_ROWS = 50  # per table on the page; a state has thousands of panchayats, the CSV has them all
CHANGED = _l("This report changed")


case_pages_only(bp)




def _locale() -> str:
    return locale_code()


def _labels() -> dict:
    return dict(role_labels=ROLE_LABELS, kind_labels=KIND_LABELS, finding_labels=FINDING_LABELS,
                status_label=workflow.status_label, step_labels=workflow.LABELS, done_labels=BIAS_STEP_DONE)


@panels.register(bp, "bias", order=30)
def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/bias/_case_panel.html)."""
    reports = services.reports_for_case(case)
    return {
        "reports": reports,
        "open": sum(1 for r in reports if r.status is not ReviewStatus.CONCLUDED),
        "can_file": services.may_file(user, case),
        **_labels(),
    }


# --- the queue ---------------------------------------------------------------------------


def _enum_arg(name: str, enum_cls):
    try:
        return enum_cls(request.args.get(name)) if request.args.get(name) else None
    except ValueError:
        return None


def _filters() -> queries.QueueFilters:
    args = request.args
    status = args.get("status", "open")
    if status not in {"open", "all"} | {s.value for s in ReviewStatus}:
        status = "open"
    age = args.get("age", type=int)
    return queries.QueueFilters(
        status=status,
        age=age if age in queries.AGES else None,
        area_id=args.get("area", type=int),
        role=_enum_arg("role", AccusedRole),
        kind=_enum_arg("kind", BiasKind),
        after=args.get("after"),
    )


@bp.get("/bias")
def queue():
    filters = _filters()
    page = queries.queue(current_user, filters)
    return render_template(
        "bias/queue.html",
        page=page,
        filters=filters,
        counts=queries.status_counts(current_user, filters),
        areas=queries.area_choices(current_user),
        ages=queries.AGES,
        statuses=list(ReviewStatus),
        roles=list(AccusedRole),
        kinds=list(BiasKind),
        **_labels(),
    )


# --- filing --------------------------------------------------------------------------------


def _file_form(case: Case, formdata=None) -> FileReportForm:
    form = FileReportForm(formdata=formdata)
    form.other_office.choices = [(0, _("Not listed"))] + [
        (o.id, o.title(_locale())) for o in services.other_office_choices(case)]
    return form


@bp.route("/cases/<int:case_id>/bias/new", methods=["GET", "POST"])
def new(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    form = _file_form(case, formdata=request.form if request.method == "POST" else None)
    offices = {role: services.accused_office_for(case, role) for role in services.ROLE_KIND_CODES}

    def render_new(status: int):
        return render_template("bias/new.html", form=form, case=case, offices=offices, **_labels()), status

    status = 200
    if request.method == "POST":
        status = 422
        if not form.validate():
            flash(_("The report was not filed: check the highlighted fields."), "error")
        else:
            someone_else = form.complainant.data == "other"
            complainant = services.Complainant(
                is_beneficiary=not someone_else,
                name=form.complainant_name.data if someone_else else None,
                relation=form.complainant_relation.data if someone_else else None,
                contact=form.complainant_contact.data,
                consent_to_be_named=form.consent_to_be_named.data,
                protection_concern=form.protection_concern.data,
            )
            report = commit(
                lambda: services.file_report(
                    case,
                    current_user,
                    accused_role=AccusedRole(form.accused_role.data),
                    other_office_id=form.other_office.data or None,
                    holder_name=form.holder_name.data,
                    kind=BiasKind(form.kind.data),
                    incident_date=form.incident_date.data,
                    account=form.account.data,
                    evidence_notes=form.evidence_notes.data,
                    witnesses=form.witnesses.data,
                    complainant=complainant,
                ),
                refused=lambda: render_new(422), back=request.url, unsent=form.account.data)
            flash(_("Bias report filed. The complainant's identity is kept confidential."), "success")
            return redirect(url_for("bias.show", report_id=report.id), code=303)
    return render_new(status)


# --- the report page -------------------------------------------------------------------------


def _step_forms(report: BiasReport, posted: tuple[str, object] | None = None) -> dict:
    forms = {}
    for trigger in workflow.available_triggers(report, current_user):
        if posted and posted[0] == trigger:
            form = posted[1]
        else:
            form = STEP_FORMS[trigger](formdata=None, prefix=trigger, version=report.version)
        if isinstance(form, FindingForm):
            choices = services.referral_choices(report)
            form.referral_office.choices = [(0, "—")] + [(o.id, o.title(_locale())) for o in choices]
            if posted is None or posted[0] != trigger:
                default = services.default_referral(choices)
                form.referral_office.data = default.id if default else 0
        forms[trigger] = form
    return forms


def _render_report(report: BiasReport, *, step_forms=None, reveal_form=None, identity=None, revealed=False,
                   status: int = 200):
    is_supervisor = current_user.role is Role.SUPERVISOR
    if identity is None:
        identity = services.filer_identity(report, current_user)
    letters = db.session.scalars(sa.select(Letter).where(Letter.bias_report_id == report.id)
                                 .order_by(Letter.id)).all()
    return render_template(
        "bias/show.html",
        report=report,
        case=report.case,
        events=services.events(report),
        reveals=services.reveals(report) if is_supervisor else [],
        identity=identity,
        revealed=revealed,
        reveal_form=(reveal_form or RevealForm(formdata=None)) if is_supervisor and identity is None else None,
        step_forms=step_forms if step_forms is not None else _step_forms(report),
        letters=letters,
        needs_confirmation=report.status is ReviewStatus.AWAITING_CONFIRMATION,
        elected=workflow.needs_confirmation(report, Finding.SUBSTANTIATED),
        **_labels(),
    ), status


@bp.get("/bias/reports/<int:report_id>")
def show(report_id: int):
    report = load_or_404(BiasReport, report_id, current_user)
    return _render_report(report)


@bp.post("/bias/reports/<int:report_id>/do/<step>")
@supervisor_only
def review(report_id: int, step: str):
    if step not in STEP_FORMS:
        abort(404)
    report = load_or_404(BiasReport, report_id, current_user)
    form = STEP_FORMS[step](prefix=step)
    if isinstance(form, FindingForm):
        form.referral_office.choices = [(0, "—")] + [(o.id, o.title(_locale())) for o in services.referral_choices(report)]
    unsent = form.data.get("reasons") or form.data.get("reason")
    back = url_for("bias.show", report_id=report.id)
    if not form.validate_on_submit():
        if form.expected_version is not None and form.expected_version != report.version:
            return stale_page(back, unsent, what=CHANGED)
        flash(_("The action was not taken: check the highlighted fields."), "error")
        return _render_report(report, step_forms=_step_forms(report, (step, form)), status=422)
    commit(lambda: services.review(report, current_user, step, review_data(step, form),
                                   expected_version=form.expected_version),
           refused=lambda: _render_report(report, step_forms=_step_forms(report, (step, form)), status=422),
           back=back, unsent=unsent, what=CHANGED)
    flash(_("Done: the report is now “%(status)s”.", status=workflow.status_label(report.status)), "success")
    return redirect(url_for("bias.show", report_id=report.id), code=303)


@bp.post("/bias/reports/<int:report_id>/reveal")
@supervisor_only
def reveal(report_id: int):
    report = load_or_404(BiasReport, report_id, current_user)
    form = RevealForm()
    if not form.validate_on_submit():
        flash(_("Say why you need to see who complained."), "error")
        return _render_report(report, reveal_form=form, status=422)
    identity = commit(lambda: services.reveal_identity(report, current_user, form.reason.data),
                      refused=lambda: _render_report(report, reveal_form=form, status=422),
                      back=url_for("bias.show", report_id=report.id), unsent=form.reason.data, what=CHANGED)
    # Shown on this response only: reloading the report page hides it again.
    return _render_report(report, identity=identity, revealed=True)


# --- patterns ---------------------------------------------------------------------------------


@bp.get("/bias/patterns")
@supervisor_only
def patterns():
    district_id = request.args.get("district", type=int)
    result = pattern_stats.patterns(current_user, district_id)
    return render_template(
        "bias/patterns.html",
        result=result,
        districts=districts(current_user),
        district_id=district_id,
        export_form=ExportForm(district=district_id or ""),
        signal_p=pattern_stats.SIGNAL_P,
        page_rows=PATTERN_ROWS,
        format_p=pattern_stats.format_p,
        percent=pattern_stats.percent,
        days=pattern_stats.days,
        findings=list(Finding),
        **_labels(),
    )


@bp.post("/bias/patterns/export")
@supervisor_only
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        district_id = db_int(form.district.data) if form.district.data else None
    except ValueError:
        abort(400)
    body = commit(lambda: services.export_patterns(current_user, district_id, _locale()),
                  refused=lambda: redirect(url_for("bias.patterns")), back=None)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="bias-patterns-{today().isoformat()}.csv"',
        "Cache-Control": "no-store",
    })
