"""Case pages: the queue, opening a case, the case page, lifecycle steps, follow-ups and the
evidence files attached to them (stored and served by caseflow.evidence)."""
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal as format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from caseflow.areas.models import Area, Office
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import cached, export, queries, routing, services, workflow
from caseflow.cases import search as search_kinds
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
from caseflow.cases.search import search as search_cases
from caseflow.db import read_only_transaction, today
from caseflow.evidence import services as evidence
from caseflow.evidence.files import Prepared
from caseflow.evidence.forms import EvidenceForm
from caseflow.evidence.models import EvidenceKind
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.identity import format_mobile, scrub_aadhaar
from caseflow.inputs import accepts_files, db_int
from caseflow.schemes.models import Scheme
from caseflow.scope import case_pages_only, load_or_404, path_in_scope
from caseflow.spreadsheets import XLSX_MAX_ROWS, csv_chunks, xlsx_file
from caseflow.web import commit, stale_page

bp = Blueprint("cases", __name__)
SEARCH_KEY = "queue_search"
# How a search result was found, shown beside it.
MATCH_LABELS = {
    search_kinds.REFERENCE: _l("Reference number"),
    search_kinds.MOBILE: _l("Mobile number"),
    search_kinds.AADHAAR: _l("Aadhaar last 4 digits"),
    search_kinds.NUMBER: _l("Application or grievance number"),
    search_kinds.NAME: _l("Name"),
    search_kinds.SIMILAR_NAME: _l("Similar name"),
}
CHANGED = _l("This case changed")


case_pages_only(bp)


# The queue's filters and place live in the (signed) session cookie, so a visit to "My queue",
# a case's "Back to queue" or a search finds the queue as it was left.
FILTERS_KEY = "queue_filters"
PLACE_KEY = "queue_after"
_FILTER_ARGS = ("status", "scheme", "settlement", "overdue")
# A dashboard figure's link names exactly the cases behind it: such a queue takes its filters
# from the URL alone and is not remembered (the next "My queue" is the queue as the user left it).
_DASHBOARD_ARGS = ("district", "level", "office", "aged", "resolved")
_STATUSES = frozenset({"open", "all"} | {s.value for s in CaseStatus})


def _chosen_filters() -> dict[str, str]:
    """The filters in the URL when it names any (and they are remembered), else the remembered ones."""
    args = request.args
    from_dashboard = any(key in args for key in _DASHBOARD_ARGS)
    if from_dashboard or any(key in args for key in _FILTER_ARGS):
        chosen = {key: args.get(key, "")[:20] for key in _FILTER_ARGS}
        if not from_dashboard and session.get(FILTERS_KEY) != chosen:
            session[FILTERS_KEY] = chosen
        return chosen
    stored = session.get(FILTERS_KEY)
    if not isinstance(stored, dict):
        return {}
    return {key: value for key, value in stored.items() if key in _FILTER_ARGS and isinstance(value, str)}


def _int_or_none(value: str | None) -> int | None:
    try:
        return db_int(value) if value else None
    except ValueError:
        return None


def _filters() -> queries.QueueFilters:
    chosen = _chosen_filters()
    status = chosen.get("status") or "open"
    if status not in _STATUSES:
        status = "open"
    after = request.args.get("after") or None
    if after is not None and queries.parse_cursor(after) is None:
        after = None
    # Remembered for the case page's "Back to queue" (a due date and a case id: nothing personal).
    if session.get(PLACE_KEY) != after:
        if after:
            session[PLACE_KEY] = after
        else:
            session.pop(PLACE_KEY, None)
    return queries.QueueFilters(
        status=status,
        scheme_id=_int_or_none(chosen.get("scheme")),
        settlement_id=_int_or_none(chosen.get("settlement")),
        overdue=chosen.get("overdue") == "1",
        # The search text may be a person's name: it travels in the session, never the URL.
        search=_stored_search(),
        after=after,
        **_dashboard_filters(request.args),
    )


def _dashboard_filters(args) -> dict:
    return dict(
        district_id=args.get("district", type=int),
        level=args.get("level", type=int),
        office_id=args.get("office", type=int),
        aged=args.get("aged") if args.get("aged") in queries.AGE_BUCKETS else None,
        resolved=queries.parse_months(args.get("resolved")),
    )


def queue_place() -> str:
    """The URL of the queue page the user last looked at, filters and page (for "Back to queue")."""
    after = session.get(PLACE_KEY)
    return url_for("cases.queue", after=after if isinstance(after, str) else None)


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
    found = None
    if filters.search:
        found = search_cases(current_user, filters.search)
        page = queries.QueuePage(cases=[], next_cursor=None)
    else:
        page = queries.queue(current_user, filters, on, current_app.config["QUEUE_PAGE_SIZE"])
    settlement_name = None
    if filters.settlement_id:
        area = db.session.get(Area, filters.settlement_id)
        if area is not None and path_in_scope(current_user, area.path):
            settlement_name = area.name_hi if locale == "hi" else area.name_en
    counts = {} if found is not None else queries.status_counts(current_user, filters, on)
    schemes = db.session.execute(sa.select(Scheme.id, Scheme.code).order_by(Scheme.code)).all()
    return render_template(
        "cases/queue.html",
        page=page,
        found=found,
        match_labels=MATCH_LABELS,
        settlement_name=settlement_name,
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


@bp.post("/queue/export")
def export_cases():
    """The queue under its current filters as a CSV or XLSX file; on the audit trail first."""
    fmt = request.form.get("format")
    if fmt not in export.FORMATS:
        abort(400)
    filters = _filters()
    filters.after, filters.search = None, ""
    on, locale = today(), _locale()
    n = export.count(current_user, filters, on)
    largest = min(current_app.config["EXPORT_MAX_ROWS"], XLSX_MAX_ROWS if fmt == "xlsx" else n)
    if n > largest:
        flash(_("These filters select %(n)s cases; an export holds at most %(max)s. Choose a scheme, a "
                "settlement or a status first.", n=format_number(n), max=format_number(largest)), "error")
        return redirect(url_for(".queue"), 303)
    commit(lambda: export.record_export(current_user, filters, fmt, n),
           refused=lambda: redirect(url_for(".queue"), 303), back=None)
    # The rows are only read: a reader's transaction, so a long export never holds SQLite's write lock.
    read_only_transaction.set(True)  # undone with the request's own token at teardown
    name = f"cases-{on.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    rows = export.rows(current_user.id, filters, on, locale)
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(export.header(), rows)),
                        mimetype="text/csv", headers=headers)
    body = xlsx_file(export.header(), rows, sheet=_("Cases"))
    return Response(stream_with_context(_chunks(body)), headers=headers,
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _chunks(body, size: int = 256 * 1024):
    with body:
        while chunk := body.read(size):
            yield chunk


@bp.post("/queue/search")
def search():
    # CSRFProtect guards this POST like every other.
    text = scrub_aadhaar((request.form.get("q") or "").strip())[:100]
    if request.form.get("clear") or not text:
        session.pop(SEARCH_KEY, None)
    else:
        session[SEARCH_KEY] = text
    # The filters are remembered in the session: the queue comes back as it was.
    return redirect(url_for("cases.queue"))


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


def _render_case(case: Case, *, step_forms=None, followup=None, assign=None, attach=None, status: int = 200):
    # One routing memo for the page: the step buttons' guards, the responsible office, the
    # follow-up form's offices and the escalation panel all ask about the same ladder.
    with routing.using():
        return _render_case_page(case, step_forms=step_forms, followup=followup, assign=assign, attach=attach,
                                 status=status)


def _timeline(events, files) -> tuple[list, dict]:
    """The timeline, newest first: the events, with the files attached to the case itself merged
    in by time; and the files attached to each event, by event id (shown under it)."""
    by_event: dict[int, list] = {}
    loose = []
    for f in files:
        (by_event.setdefault(f.event_id, []) if f.event_id else loose).append(f)
    items = [("event", e.at, e.id, e) for e in events] + [("file", f.at, f.id, f) for f in loose]
    items.sort(key=lambda item: (item[1], item[0] == "file", item[2]), reverse=True)
    return [(kind, obj) for kind, _at, _id, obj in items], by_event


def _render_case_page(case: Case, *, step_forms, followup, assign, attach, status: int):
    on = today()
    office, level = _responsible(case)
    events = case.events  # one query; actors and offices are joined
    files = evidence.for_case(case.id)
    timeline, files_by_event = _timeline(events, files)
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
        timeline=timeline,
        files=files,
        files_by_event=files_by_event,
        attach=attach or EvidenceForm(formdata=None, prefix="ev"),
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
        queue_url=queue_place(),
    ), status


@bp.get("/cases/<int:case_id>")
def show(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    return _render_case(case)


@bp.post("/cases/<int:case_id>/do/<trigger>")
@accepts_files
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
    proof = form.proof_file.prepared if "proof_file" in form._fields else None

    def take_step():
        event = services.transition(case, current_user, trigger, step_data(trigger, form),
                                    expected_version=form.expected_version)
        if proof is not None:
            evidence.attach(case, current_user, proof, kind=EvidenceKind.DELIVERY, event_id=event.id)
        return event

    _commit_keeping_file(case, proof, None, take_step,
                         refused=lambda: _render_case(case, step_forms=_step_forms(case, (trigger, form)), status=422),
                         back=url_for("cases.show", case_id=case.id), unsent=unsent, what=CHANGED)
    flash(_("Done: the case is now “%(status)s”.", status=workflow.status_label(case.status)), "success")
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.post("/cases/<int:case_id>/follow-up")
@accepts_files
def follow_up(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    # The form's fields and its file (an explicit formdata leaves request.files out).
    form = _followup_form(case, formdata=CombinedMultiDict((request.files, request.form)))
    if not form.validate_on_submit():
        if form.expected_version is not None and form.expected_version != case.version:
            return stale_page(url_for("cases.show", case_id=case.id), form.response.data, what=CHANGED)
        flash(_("The follow-up was not saved: check the highlighted fields."), "error")
        return _render_case(case, followup=form, status=422)
    prepared = form.file.prepared

    def log():
        event = services.log_follow_up(
            case,
            current_user,
            expected_version=form.expected_version,
            channel=Channel(form.channel.data),
            response=form.response.data,
            office_id=form.office.data or None,
            promised_date=form.promised_date.data,
        )
        if prepared is not None:
            evidence.attach(case, current_user, prepared, kind=EvidenceKind.FOLLOW_UP, event_id=event.id,
                            caption=form.caption.data)
        return event

    _commit_keeping_file(case, prepared, form.caption.data, log,
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


@bp.post("/cases/<int:case_id>/evidence")
@accepts_files
def attach(case_id: int):
    """A file that belongs to the case itself. No case version is checked: attaching only
    appends, so it never loses to (or undoes) a change someone else made meanwhile."""
    case = load_or_404(Case, case_id, current_user)
    form = EvidenceForm(prefix="ev")
    if not form.validate_on_submit():
        flash(_("The file was not attached: see the message by the field."), "error")
        return _render_case(case, attach=form, status=422)
    commit(lambda: evidence.attach(case, current_user, form.file.prepared, caption=form.caption.data),
           refused=lambda: _render_case(case, attach=form, status=422),
           back=url_for("cases.show", case_id=case.id))
    flash(_("File attached."), "success")
    return redirect(url_for("cases.show", case_id=case.id) + "#files", code=303)


def _commit_keeping_file(case: Case, prepared: Prepared | None, caption: str | None, call, **kwargs):
    """`commit(call)`; but when the step is refused as stale (the case changed since the page was
    loaded), the file that came with it is not lost: it is attached to the case on its own, and
    the 409 page goes out as usual."""
    try:
        return commit(call, **kwargs)
    except HTTPException as exc:
        response = getattr(exc, "response", None)
        if prepared is None or response is None or response.status_code != 409:
            raise
        try:
            evidence.attach(case, current_user, prepared, caption=caption)
            db.session.commit()
        except Refused:
            db.session.rollback()
            raise exc from None
        flash(_("The file you sent was kept: it is attached to the case. Reload the case and try the rest "
                "again."), "warning")
        raise
