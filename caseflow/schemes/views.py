"""Administrator pages of schemes and their escalation ladders (URLs under /admin/schemes).

Views validate the form and hand one `caseflow.schemes.services` call to `caseflow.web.commit`;
a refusal (a clashing code, a ladder shorter than where cases are) shows the form again with
the service's message.
"""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.areas.models import OfficeKind
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.schemes import services
from caseflow.schemes.forms import LADDER_ROWS, LadderForm, SchemeForm
from caseflow.schemes.models import Scheme
from caseflow.web import admin_required, commit

bp = Blueprint("schemes", __name__, url_prefix="/admin/schemes")


@bp.get("")
@admin_required
def index():
    rows = db.session.scalars(sa.select(Scheme).order_by(Scheme.code)).all()
    return render_template("schemes/schemes.html", schemes=rows)


def _render_form(form: SchemeForm, scheme_id: int | None, status: int):
    scheme = db.get_or_404(Scheme, scheme_id) if scheme_id is not None else None
    return render_template("schemes/scheme_form.html", form=form, scheme=scheme), status


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    form = SchemeForm(data={"active": True})
    if not form.validate_on_submit():
        return _render_form(form, None, 422 if form.errors else 200)
    scheme = commit(lambda: services.save_scheme(None, **form.fields(), actor=current_user),
                    refused=lambda: _render_form(form, None, 422), back=request.url)
    flash(_("Scheme %(code)s added. Now set its escalation ladder.", code=scheme.code), "success")
    return redirect(url_for(".ladder", scheme_id=scheme.id))


@bp.route("/<int:scheme_id>", methods=["GET", "POST"])
@admin_required
def edit(scheme_id: int):
    scheme = db.get_or_404(Scheme, scheme_id)
    form = SchemeForm(obj=scheme)
    if not form.validate_on_submit():
        return _render_form(form, scheme_id, 422 if form.errors else 200)
    commit(lambda: services.save_scheme(scheme, **form.fields(), actor=current_user),
           refused=lambda: _render_form(form, scheme_id, 422), back=request.url)
    flash(_("Scheme %(code)s saved.", code=scheme.code), "success")
    return redirect(url_for(".index"))


def _ladder_form(scheme: Scheme) -> tuple[LadderForm, bool]:
    rows = [{"office_kind": lv.office_kind_id, "days": lv.time_limit_days} for lv in scheme.levels]
    # Always at least one blank row beyond the current ladder, so it can grow.
    rows += [{"office_kind": 0, "days": None}] * (max(LADDER_ROWS, len(rows) + 1) - len(rows))
    form = LadderForm(data={"rows": rows})
    loc = locale_code()
    kinds = sorted(db.session.scalars(sa.select(OfficeKind)), key=lambda k: k.name(loc).casefold())
    form.set_kind_choices([(k.id, k.name(loc)) for k in kinds])
    return form, bool(kinds)


@bp.route("/<int:scheme_id>/ladder", methods=["GET", "POST"])
@admin_required
def ladder(scheme_id: int):
    scheme = db.get_or_404(Scheme, scheme_id)
    form, has_kinds = _ladder_form(scheme)

    def page(status: int):
        return render_template("schemes/ladder.html", form=form, scheme=db.get_or_404(Scheme, scheme_id),
                               has_kinds=has_kinds), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    commit(lambda: services.set_ladder(scheme, form.levels(), actor=current_user),
           refused=lambda: page(422), back=request.url)
    flash(_("Ladder of %(code)s saved.", code=scheme.code), "success")
    return redirect(url_for(".index"))
