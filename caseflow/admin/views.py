"""The administrator's landing page: how much of each kind of configuration exists, and what is missing.

Each domain keeps its own administrator pages (`areas.views`, `schemes.views`,
`holidays.views`, `auth.admin`); this page only counts and links to them.
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template

from caseflow.areas.models import Area, Office, OfficeKind
from caseflow.auth.models import User
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays.models import Holiday
from caseflow.schemes.models import Scheme
from caseflow.web import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@bp.get("/")
@admin_required
def index():
    year = today().year
    counts = {
        "users": _count(User, User.active),
        "areas": _count(Area),
        "office_kinds": _count(OfficeKind),
        "offices": _count(Office),
        "vacant": _count(Office, Office.holder_name.is_(None)),
        "schemes": _count(Scheme, Scheme.active),
        "holidays": _count(Holiday, Holiday.day.between(date(year, 1, 1), date(year, 12, 31))),
    }
    # An active scheme without a ladder cannot route a submitted case to anyone.
    no_ladder = db.session.scalars(
        sa.select(Scheme).where(Scheme.active, ~Scheme.levels.any()).order_by(Scheme.code)
    ).all()
    return render_template("admin/index.html", counts=counts, year=year, no_ladder=no_ladder)
