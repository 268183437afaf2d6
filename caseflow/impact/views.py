"""The impact summary page, its downloads, and consent to publicity and stories (URLs under /impact).

Who sees what: a summary is for an area inside the user's own areas (a supervisor: their
region or any area under it; an in-charge: their district or smaller areas of it), checked by
caseflow.scope like every other page; an area outside them is the same 404 as a missing one.
The summary holds aggregates only (small counts suppressed); a story and its beneficiary's
name appear only while that person's consent to publicity stands. Each PNG or PDF made is audited.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.areas.models import Area, AreaKind
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import today
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.impact import output, periods, services
from caseflow.impact.forms import ConsentForm, StoryForm, WithdrawForm
from caseflow.impact.models import ConsentForm as ConsentKind
from caseflow.impact.models import OutputFormat, PeriodKind, Story
from caseflow.impact.summary import summarise
from caseflow.inputs import db_int
from caseflow.scope import areas_of, case_pages_only, load_or_404, path_in_scope, visible
from caseflow.web import commit

bp = Blueprint("impact", __name__, url_prefix="/impact")

# Areas offered in the selector: down to blocks and urban bodies (smaller ones mostly come out
# as "fewer than 5"); any area in scope can still be asked for by id.
SELECTOR_KINDS = (AreaKind.STATE, AreaKind.DISTRICT, AreaKind.BLOCK, AreaKind.URBAN_BODY)
STORIES_ON_SHEET = 3
SELECT_NAMES = {"month": "month", "quarter": "quarter", "financial_year": "fy"}


case_pages_only(bp)


def _area() -> Area:
    raw = request.args.get("area", "")
    if not raw:
        mine = sorted(areas_of(current_user), key=lambda a: a.path)
        if not mine:
            abort(404)
        return mine[0]
    try:
        area_id = db_int(raw)
    except ValueError:
        abort(404)
    return load_or_404(Area, area_id, current_user)


def _period() -> periods.Period:
    # The page's selector has one list per kind (month, quarter, fy); the downloads say `value`.
    args = request.args
    kind = args.get("period") or PeriodKind.MONTH.value
    value = args.get("value") or args.get(SELECT_NAMES.get(kind, ""))
    return periods.parse(kind, value, args.get("start"), args.get("end"), today=today())


def _choices(selected: Area) -> list[Area]:
    rows = db.session.scalars(sa.select(Area).where(visible(current_user, Area), Area.kind.in_(SELECTOR_KINDS))
                              .order_by(Area.path).limit(500)).all()
    return rows if selected in rows else [selected, *rows]


def _query(area: Area, period: periods.Period, **extra) -> dict:
    """The selector's query string for the downloads (ids and dates only)."""
    args = {"area": area.id, "period": period.kind.value}
    if period.kind is PeriodKind.CUSTOM:
        args.update(start=period.start.isoformat(), end=period.end.isoformat())
    else:
        args["value"] = period.key
    return {**args, **extra}


@bp.get("")
def summary():
    area = _area()
    error = None
    try:
        period = _period()
    except periods.PeriodError as exc:
        error, period = exc.messages[0], periods.month(today().year, today().month)
    result = summarise(area, period)
    stories = services.public_stories(area, period, limit=STORIES_ON_SHEET)
    loc = locale_code()
    now = today()
    html = render_template(
        "impact/summary.html", summary=result, stories=stories, area=area, period=period, error=error,
        areas=_choices(area), months=periods.recent_months(now), quarters=periods.recent_quarters(now),
        years=periods.recent_financial_years(now), kinds=list(PeriodKind), query=_query(area, period),
        rows=len(result.rows), **{k: v for k, v in output.context(result, stories, loc).items()
                                  if k not in ("summary", "stories", "locale")}, locale=loc)
    return html, 422 if error else 200


def _download(kind: OutputFormat):
    area = _area()
    try:
        period = _period()
    except periods.PeriodError as exc:
        abort(Response(str(exc.messages[0]), status=422, mimetype="text/plain"))
    lang = request.args.get("lang") or locale_code()
    if lang not in ("hi", "en"):
        abort(404)
    result = summarise(area, period)
    stories = services.public_stories(area, period, limit=STORIES_ON_SHEET)
    if kind is OutputFormat.PNG:
        body, mimetype, suffix = output.card_png(result, stories, lang), "image/png", "png"
        stories = stories[:1]
    else:
        body, mimetype, suffix = output.sheet_pdf(result, stories, lang), "application/pdf", "pdf"
    commit(lambda: services.record_generation(actor=current_user, area=area, period=period, output=kind, locale=lang,
                                              stories=stories),
           refused=lambda: abort(409), back=None)
    # Named by ids and dates only: no place name or person in the file name either.
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    name = f"impact-{area.id}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{lang}-{stamp}.{suffix}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Cache-Control": "no-store"})


@bp.get("/card.png")
def card():
    return _download(OutputFormat.PNG)


@bp.get("/sheet.pdf")
def sheet():
    return _download(OutputFormat.PDF)


# --- consent to publicity and stories, from the beneficiary page --------------------------------

def _back(person_id: int) -> str:
    return url_for("beneficiaries.show", beneficiary_id=person_id) + "#publicity"


@bp.post("/beneficiaries/<int:beneficiary_id>/consent")
def consent(beneficiary_id: int):
    person = load_or_404(Beneficiary, beneficiary_id, current_user)
    form = ConsentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(_back(person.id), 303)
    commit(lambda: services.record_consent(person, actor=current_user, given_as=ConsentKind(form.given_as.data),
                                           note=form.note.data),
           refused=lambda: redirect(_back(person.id), 303), back=_back(person.id))
    flash(_("Consent to publicity recorded."), "success")
    return redirect(_back(person.id), 303)


@bp.post("/beneficiaries/<int:beneficiary_id>/withdraw")
def withdraw(beneficiary_id: int):
    person = load_or_404(Beneficiary, beneficiary_id, current_user)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    commit(lambda: services.withdraw_consent(person, actor=current_user),
           refused=lambda: redirect(_back(person.id), 303), back=_back(person.id))
    flash(_("Consent to publicity withdrawn: no summary or story made from now on shows this person."), "success")
    return redirect(_back(person.id), 303)


@bp.post("/cases/<int:case_id>/story")
def story(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    form = StoryForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(_back(case.beneficiary_id), 303)

    def write():
        for earlier in db.session.scalars(sa.select(Story).where(Story.case_id == case.id,
                                                                 Story.retracted_at.is_(None))):
            services.retract_story(earlier, actor=current_user)  # one story per case: the new one replaces it
        return services.write_story(case, actor=current_user, text=form.text.data)

    commit(write, refused=lambda: redirect(_back(case.beneficiary_id), 303), back=_back(case.beneficiary_id))
    flash(_("Story saved. It appears in summaries while the consent stands."), "success")
    return redirect(_back(case.beneficiary_id), 303)


@bp.post("/cases/<int:case_id>/story/retract")
def retract(case_id: int):
    case = load_or_404(Case, case_id, current_user)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    stories = db.session.scalars(sa.select(Story).where(Story.case_id == case.id, Story.retracted_at.is_(None))).all()

    def take_down():
        for item in stories:
            services.retract_story(item, actor=current_user)

    if stories:
        commit(take_down, refused=lambda: redirect(_back(case.beneficiary_id), 303), back=_back(case.beneficiary_id))
        flash(_("Story taken down."), "success")
    return redirect(_back(case.beneficiary_id), 303)


@bp.app_template_global()
def publicity_panel(person: Beneficiary) -> dict:
    """What the beneficiary page shows of consent to publicity and stories (see _publicity.html)."""
    stories = {s.case_id: s for s in services.stories_of(person)}
    return {
        "standing": services.standing_consent(person),
        "history": services.consent_history(person),
        "resolved": [c for c in person.cases if c.status is CaseStatus.RESOLVED],
        "stories": stories,
        "consent_form": ConsentForm(prefix=""),
        "story_form": StoryForm(),
        "plain_form": WithdrawForm(),
        "in_scope": path_in_scope(current_user, person.area_path),
    }
