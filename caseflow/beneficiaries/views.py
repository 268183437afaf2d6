"""Registering a beneficiary and the beneficiary page."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseflow.areas.models import Area, AreaKind
from caseflow.beneficiaries import services
from caseflow.beneficiaries.forms import BASIS_LABELS, GENDER_LABELS, RELATION_LABELS, BeneficiaryForm
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import workflow
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.identity import format_mobile
from caseflow.scope import CASE_ROLES, in_scope, load_or_404

bp = Blueprint("beneficiaries", __name__, url_prefix="/beneficiaries")


@bp.before_request
@login_required
def _caseworkers_only():
    if current_user.role not in CASE_ROLES:
        abort(403)


def _settlement_choices():
    rows = db.session.execute(
        sa.select(Area.id, Area.name_en, Area.name_hi)
        .where(Area.kind == AreaKind.SETTLEMENT, Area.active, in_scope(current_user, Area.path))
        .order_by(Area.path)
    ).all()
    hindi = locale_code() == "hi"
    return [(row.id, row.name_hi if hindi else row.name_en) for row in rows]


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = BeneficiaryForm()
    form.settlement.choices = _settlement_choices()
    duplicates = []
    if form.validate_on_submit():
        settlement = load_or_404_area(form.settlement.data)
        duplicates = services.possible_duplicates(current_user, form.name.data, settlement.id, form.mobile.data)
        if duplicates and not form.confirm_duplicate.data:
            flash(_("Someone similar is already registered. Check below, or confirm this is a different person."),
                  "warning")
        else:
            try:
                person = services.register(current_user, settlement, **form.service_fields())
            except services.BeneficiaryError as exc:
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(_("Beneficiary registered. Now open a case for a scheme."), "success")
                return redirect(url_for("cases.open_case", beneficiary_id=person.id))
    if form.aadhaar.data and getattr(form.aadhaar, "cut", False):
        flash(_("Only the last 4 digits of the Aadhaar number were kept."), "warning")
    status = 422 if form.errors else 200
    return render_template("beneficiaries/new.html", form=form, duplicates=duplicates), status


def load_or_404_area(area_id: int) -> Area:
    area = db.session.scalar(
        sa.select(Area).where(Area.id == area_id, Area.kind == AreaKind.SETTLEMENT, in_scope(current_user, Area.path))
    )
    if area is None:
        abort(404)
    return area


@bp.get("/<int:beneficiary_id>")
def show(beneficiary_id: int):
    person = load_or_404(Beneficiary, beneficiary_id, current_user)
    cases = db.session.scalars(sa.select(Case).where(Case.beneficiary_id == person.id).order_by(Case.id)).all()
    return render_template(
        "beneficiaries/show.html",
        person=person,
        cases=cases,
        status_label=workflow.status_label,
        format_mobile=format_mobile,
        gender_labels=GENDER_LABELS,
        relation_labels=RELATION_LABELS,
        basis_labels=BASIS_LABELS,
    )
