"""Administrator pages of the calendar: holidays and each state's working week (URLs under /admin/holidays).

The view validates the form and hands one `caseflow.holidays.services` call to
`caseflow.web.commit`; a date that is already a holiday is refused there.
"""
from datetime import date

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseflow.areas.models import Area, AreaKind
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays import services
from caseflow.holidays.forms import DeleteForm, HolidayForm, WorkWeekForm
from caseflow.holidays.models import Holiday
from caseflow.i18n import locale_code
from caseflow.web import admin_required, commit

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 1950 <= year <= 2200 else today().year


def _render(form: HolidayForm, status: int):
    year = form.day.data.year if form.day.data else _year()
    rows = db.session.scalars(
        sa.select(Holiday).where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(Holiday.day)
    ).all()
    states = db.session.scalars(sa.select(Area).where(Area.kind == AreaKind.STATE).order_by(Area.name_en)).all()
    known = services.weeks()
    return render_template("holidays/holidays.html", form=form, holidays=rows, year=year,
                           weeks=[(state, describe(known.get(state.id, services.DEFAULT_WEEK))) for state in states]
                           ), status


@bp.route("", methods=["GET", "POST"])
@admin_required
def index():
    form = HolidayForm()
    if not form.validate_on_submit():
        return _render(form, 422 if form.errors else 200)
    holiday = commit(lambda: services.create_holiday(form.day.data, form.name_en.data, form.name_hi.data,
                                                     actor=current_user),
                     refused=lambda: _render(form, 422), back=request.url)
    flash(_("Holiday %(name)s added.", name=holiday.name(locale_code())), "success")
    return redirect(url_for(".index", year=holiday.day.year))


@bp.route("/<int:holiday_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(holiday_id: int):
    """The list's Delete leads to a page that asks first (it works without JavaScript); only
    that page's button deletes. A holiday taken away moves due dates, so one tap must not do it."""
    holiday = db.get_or_404(Holiday, holiday_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        return render_template("holidays/delete.html", holiday=holiday, form=form), 422 if form.errors else 200
    year, name = holiday.day.year, holiday.name(locale_code())
    commit(lambda: services.delete_holiday(holiday, actor=current_user),
           refused=lambda: redirect(url_for(".index", year=year)), back=url_for(".index", year=year))
    flash(_("Holiday %(name)s deleted.", name=name), "success")
    return redirect(url_for(".index", year=year))


_ORDINALS = {1: _l("first"), 2: _l("second"), 3: _l("third"), 4: _l("fourth"), 5: _l("fifth")}


def _day_names() -> dict[int, str]:
    return get_day_names("wide", locale=get_locale())


def describe(week: services.Week) -> str:
    """The week's days off in words, for the calendar page."""
    names = _day_names()
    parts = [names[day] for day in sorted(week.offs)]
    if week.saturdays:
        parts.append(_("%(which)s Saturday", which=", ".join(str(_ORDINALS[n]) for n in sorted(week.saturdays))))
    return "; ".join(parts) if parts else _("none")


def _week_form(state: Area, formdata=None) -> WorkWeekForm:
    week = services.weeks().get(state.id, services.DEFAULT_WEEK)
    form = WorkWeekForm(formdata=formdata, data={"offs": sorted(week.offs), "saturdays": sorted(week.saturdays)})
    form.offs.choices = list(_day_names().items())
    form.saturdays.choices = [(n, label) for n, label in _ORDINALS.items()]
    return form


@bp.route("/week/<int:state_id>", methods=["GET", "POST"])
@admin_required
def week(state_id: int):
    state = db.get_or_404(Area, state_id)
    if state.kind is not AreaKind.STATE:
        abort(404)
    form = _week_form(state, request.form if request.method == "POST" else None)

    def render(status: int):
        return render_template("holidays/week.html", form=form, state=state), status

    if request.method == "GET" or not form.validate_on_submit():
        return render(422 if form.errors else 200)
    commit(lambda: services.set_work_week(state, set(form.offs.data), set(form.saturdays.data), actor=current_user),
           refused=lambda: render(422), back=request.url)
    flash(_("The working week of %(state)s is saved. Due dates set from now on follow it.",
            state=state.name(locale_code())), "success")
    return redirect(url_for(".index"))
