"""The dashboard page: one GET, its area and period chosen in a GET form.

Scoped like the queue (caseflow.dashboards.figures): in-charges and supervisors only;
administrators configure and see no case data (DESIGN §1), so they get the same 403 as on the
queue. A state-wide supervisor's dashboard is the whole organisation's.
"""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.cases.models import CaseStatus
from caseflow.cases.workflow import status_label
from caseflow.dashboards import figures
from caseflow.dashboards.snapshot import PERIODS
from caseflow.db import today
from caseflow.escalation.services import latest_run
from caseflow.i18n import locale_code, number
from caseflow.inputs import db_int
from caseflow.scope import case_pages_only

bp = Blueprint("dashboards", __name__)


case_pages_only(bp)


@bp.get("/dashboard")
def dashboard():
    months = request.args.get("months", default=figures.DEFAULT_PERIOD, type=int)
    area = request.args.get("area", "")
    try:
        district_id = db_int(area) if area else None
        board = figures.build(current_user, today(), district_id=district_id, months=months, locale=locale_code())
    except (ValueError, figures.BadSelection):
        return render_template("errors/error.html", title=_("Not one of the choices"),
                               message=_("Choose an area and a period from the lists.")), 422
    return render_template(
        "dashboards/index.html",
        board=board,
        areas=figures.area_options(current_user),
        periods=PERIODS,
        last_run=latest_run(),
        count=number,
        status_label=lambda value: status_label(CaseStatus(value)),
    )
