"""Administrator page of the holiday calendar (URLs under /admin/holidays).

The view validates the form and hands one `caseflow.holidays.services` call to
`caseflow.web.commit`; a date that is already a holiday is refused there.
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays import services
from caseflow.holidays.forms import DeleteForm, HolidayForm
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
    return render_template("holidays/holidays.html", form=form, holidays=rows, year=year), status


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
