"""Case pages: the queue, opening a case, the case page, lifecycle steps and follow-ups."""
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from caseflow.areas.models import Office
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import cached, queries, routing, services, workflow
from caseflow.cases.forms import (
    CHANNEL_LABELS,
    CLOSE_REASON_LABELS,
    STEP_FORMS,
    AssignForm,
    FollowUpForm,
    OpenCaseForm,
    step_data,
    step_form,
)
from caseflow.cases.models import Case, CaseStatus, Channel
from caseflow.cases.panels import panels_for
from caseflow.db import today
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.identity import format_mobile, scrub_aadhaar
from caseflow.schemes.models import Scheme
from caseflow.scope import CASE_ROLES, load_or_404, path_in_scope
from caseflow.web import commit, stale_page

bp = Blueprint("cases", __name__)
SEARCH_KEY = "queue_search"
CHANGED = _l("This case changed")


@bp.before_request
@login_required
def _caseworkers_only():
    if current_user.role not in CASE_ROLES:
        abort(403)


def _filters() -> queries.QueueFilters:
    args = request.args
    status = args.get("status", "open")
    if status not in {"open", "all"} | {s.value for s in CaseStatus}:
        status = "open"
    return queries.QueueFilters(
        status=status,
        scheme_id=args.get("scheme", type=int),
        settlement_id=args.get("settlement", type=int),
        overdue=args.get("overdue") == "1",
        # The search text may be a person's name: it travels in the session, never the URL.
        search=_stored_search(),
        after=args.get("after"),
        district_id=args.get("district", type=int),
        level=args.get("level", type=int),
        office_id=args.get("office", type=int),
        aged=args.get("aged") if args.get("aged") in queries.AGE_BUCKETS else None,
        resolved=queries.parse_months(args.get("resolved")),
    )


def _stored_search() -> str:
    """The search kept in the session; one that could not have come from `search` is dropped,
    so a bad value cannot break every later load of the queue."""
    text = session.get(SEARCH_KEY, "")
    if not isinstance(text, str) or "\x00" in text or len(text) > 100:
        session.pop(SEARCH_KEY, None)
        return ""
    return text


# Per worker, per language: the standings a queue shows (a few hundred distinct ones) rendered
# once by the _sla.html macro, not a macro call and a translation per row of every page.
_badges: dict[tuple, Markup] = {}


def _badge(standing: tuple, locale: str) -> Markup:
    key = (locale, *standing)
    html = _badges.get(key)
    if html is None:
        if len(_badges) >= 10_000:
            _badges.clear()
        html = _badges[key] = Markup(get_template_attribute("cases/_sla.html", "sla")(standing))
    return html


@bp.get("/queue")
def queue():
    filters = _filters()
    on = today()
    locale = _locale()
    page = queries.queue(current_user, filters, on, current_app.config["QUEUE_PAGE_SIZE"])
    counts = queries.status_counts(current_user, filters, on)
    schemes = db.session.execute(sa.select(Scheme.id, Scheme.code).order_by(Scheme.code)).all()
    return render_template(
        "cases/queue.html",
        page=page,
        counts=counts,
        filters=filters,
        schemes=schemes,
        settlement_options=cached.settlement_options(current_user, locale, filters.settlement_id),
        badge=lambda row: _badge(queries.row_standing(row, on), locale),
        status_label=workflow.status_label,
        labels={status: str(workflow.status_label(status)) for status in CaseStatus},
        # Unformatted: the template fills in each row's level without a gettext per row.
        level_of=_("Level %(n)d"),
        statuses=list(CaseStatus),
    )


@bp.post("/queue/search")
def search():
    # CSRFProtect guards this POST like every other.
    text = scrub_aadhaar((request.form.get("q") or "").strip())[:100]
    if request.form.get("clear") or not text:
        session.pop(SEARCH_KEY, None)
    else:
        session[SEARCH_KEY] = text
    keep = {k: v for k, v in request.args.items() if k in ("status", "scheme", "settlement", "overdue", "district", "level", "office", "aged", "resolved")}
    return redirect(url_for("cases.queue", **keep))


@bp.route("/beneficiaries/<int:beneficiary_id>/cases/new", methods=["GET", "POST"])
def open_case(beneficiary_id: int):
    person = load_or_404(Beneficiary, beneficiary_id, current_user)
    form = OpenCaseForm()
    schemes = db.session.scalars(sa.select(Scheme).where(Scheme.active).order_by(Scheme.code)).all()
    form.scheme.choices = [(s.id, f"{s.code} — {s.name(_locale())}") for s in schemes]
    duplicates = []

    def render_open():
        return render_template("cases/open.html", form=form, person=person, duplicates=duplicates,
                               status_label=workflow.status_label)

    if form.validate_on_submit():
        scheme = db.session.get(Scheme, form.scheme.data)
        duplicates = services.open_cases_for(person, scheme)
        if duplicates and not form.confirm_duplicate.data:
            flash(_("This person already has a case for this scheme. Check it, or confirm to open another."),
                  "warning")
        else:
            case = commit(lambda: services.open_case(current_user, person, scheme, note=form.note.data),
                          refused=render_open, back=request.url, unsent=form.note.data)
            flash(_("Case %(ref)s opened.", ref=case.reference), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_open()


def _locale() -> str:
    return locale_code()


def _responsible(case: Case) -> tuple[Office | None, object | None]:
    """The office responsible now, resolved live; (None, level) flags a configuration gap."""
    level = case.scheme.level(case.level) if case.level else None
    if level is None:
        return None, None
    office_id = routing.ladder_offices(case)[level.level]
    return (db.session.get(Office, office_id) if office_id else None), level


def _followup_form(case: Case, formdata=None) -> FollowUpForm:
    form = FollowUpForm(formdata=formdata, prefix="fu", version=case.version)
    office_ids = list(dict.fromkeys(i for i in routing.ladder_offices(case).values() if i))
    offices = [db.session.get(Office, i) for i in office_ids]
    form.office.choices = [(0, _("Other / not listed"))] + [(o.id, o.title(_locale())) for o in offices]
    if formdata is None:
        current, _level = _responsible(case)
        form.office.data = current.id if current else 0
    return form


def _step_forms(case: Case, posted: tuple[str, object] | None = None) -> dict:
    forms = {}
    for trigger in workflow.available_triggers(case, current_user):
        if posted and posted[0] == trigger:
            forms[trigger] = posted[1]
        else:
            forms[trigger] = step_form(trigger, current_user, formdata=None, prefix=trigger, version=case.version)
    return forms


def _assign_form(case: Case, formdata=None) -> AssignForm:
    form = AssignForm(formdata=formdata, prefix="as", version=case.version)
    incharges = db.session.scalars(
        sa.select(User).where(User.role == Role.INCHARGE, User.active).order_by(User.display_name)
    ).all()
    form.assignee.choices = [(u.id, u.display_name) for u in incharges if path_in_scope(u, case.area_path)]
    if formdata is None and case.assigned_to_id:
        form.assignee.data = case.assigned_to_id
    return form


def _render_case(case: Case, *, step_forms=None, followup=None, assign=None, status: int = 200):
    # One routing memo for the page: the step buttons' guards, the responsible office, the
    # follow-up form's offices and the escalation panel all ask about the same ladder.
    with routing.using():
        return _render_case_page(case, step_forms=step_forms, followup=followup, assign=assign, status=status)


def _render_case_page(case: Case, *, step_forms, followup, assign, status: int):
    on = today()
    office, level = _responsible(case)
    events = case.events  # one query; actors and offices are joined
    assignee_ids = {e.details.get("assignee_id") for e in events if e.details}
    assignee_ids.discard(None)
    assignee_names = dict(
        db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(assignee_ids))).all()
    ) if assignee_ids else {}
    return render_template(
        "cases/show.html",
        panels=panels_for(case, current_user),
        case=case,
        person=case.beneficiary,
        office=office,
        level=level,
        standing=queries.sla_standing(case, on),
        events=events,
        assignee_names=assignee_names,
        step_forms=step_forms or _step_forms(case),
        step_labels=workflow.LABELS,
        done_labels=workflow.DONE_LABELS,
        followup=followup or _followup_form(case),
        assign=assign or _assign_form(case),
        status_label=workflow.status_label,
        channel_labels=CHANNEL_LABELS,
        close_reason_labels=CLOSE_REASON_LABELS,
        format_mobile=format_mobile,
        today=on,
    ), status


@bp.get("/cases/<int:case_id>")
def show(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    return _render_case(case)


@bp.post("/cases/<int:case_id>/do/<trigger>")
def step(case_id: int, trigger: str):
    if trigger not in STEP_FORMS:
        abort(404)
    case = load_or_404(Case, case_id, current_user)
    form = step_form(trigger, current_user, prefix=trigger)
    unsent = form.data.get("reason")
    if not form.validate_on_submit():
        if form.expected_version is not None and form.expected_version != case.version:
            return stale_page(url_for("cases.show", case_id=case.id), unsent, what=CHANGED)
        flash(_("The action was not taken: check the highlighted fields."), "error")
        return _render_case(case, step_forms=_step_forms(case, (trigger, form)), status=422)
    commit(lambda: services.transition(case, current_user, trigger, step_data(trigger, form),
                                       expected_version=form.expected_version),
           refused=lambda: _render_case(case, step_forms=_step_forms(case, (trigger, form)), status=422),
           back=url_for("cases.show", case_id=case.id), unsent=unsent, what=CHANGED)
    flash(_("Done: the case is now “%(status)s”.", status=workflow.status_label(case.status)), "success")
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.post("/cases/<int:case_id>/follow-up")
def follow_up(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    form = _followup_form(case, formdata=request.form)
    if not form.validate_on_submit():
        if form.expected_version is not None and form.expected_version != case.version:
            return stale_page(url_for("cases.show", case_id=case.id), form.response.data, what=CHANGED)
        flash(_("The follow-up was not saved: check the highlighted fields."), "error")
        return _render_case(case, followup=form, status=422)
    commit(lambda: services.log_follow_up(
               case,
               current_user,
               expected_version=form.expected_version,
               channel=Channel(form.channel.data),
               response=form.response.data,
               office_id=form.office.data or None,
               promised_date=form.promised_date.data,
           ),
           refused=lambda: _render_case(case, followup=form, status=422),
           back=url_for("cases.show", case_id=case.id), unsent=form.response.data, what=CHANGED)
    flash(_("Follow-up saved."), "success")
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    form = _assign_form(case, formdata=request.form)
    if not form.validate_on_submit():
        if form.expected_version is not None and form.expected_version != case.version:
            return stale_page(url_for("cases.show", case_id=case.id), what=CHANGED)
        flash(_("Choose an in-charge of this case's area."), "error")
        return _render_case(case, assign=form, status=422)
    assignee = db.session.get(User, form.assignee.data)
    commit(lambda: services.assign(case, current_user, assignee, expected_version=form.expected_version),
           refused=lambda: _render_case(case, assign=form, status=422),
           back=url_for("cases.show", case_id=case.id), what=CHANGED)
    flash(_("Case assigned to %(name)s.", name=assignee.display_name), "success")
    return redirect(url_for("cases.show", case_id=case.id), code=303)
