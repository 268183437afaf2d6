"""Registering a beneficiary and the beneficiary page."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.areas.models import Area, AreaKind
from caseflow.beneficiaries import services
from caseflow.beneficiaries.forms import BASIS_LABELS, GENDER_LABELS, RELATION_LABELS, BeneficiaryForm
from caseflow.beneficiaries.models import Beneficiary
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.identity import format_mobile
from caseflow.labels import CASE_STATUS
from caseflow.scope import case_pages_only, load_or_404, visible
from caseflow.web import commit

bp = Blueprint("beneficiaries", __name__, url_prefix="/beneficiaries")


case_pages_only(bp)


def _settlement_choices():
    rows = db.session.execute(
        sa.select(Area.id, Area.name_en, Area.name_hi)
        .where(Area.kind == AreaKind.SETTLEMENT, Area.active, visible(current_user, Area))
        .order_by(Area.path)
    ).all()
    hindi = locale_code() == "hi"
    return [(row.id, row.name_hi if hindi else row.name_en) for row in rows]


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = BeneficiaryForm()
    form.settlement.choices = _settlement_choices()
    duplicates = []

    def render_new():
        if form.aadhaar.data and getattr(form.aadhaar, "cut", False):
            flash(_("Only the last 4 digits of the Aadhaar number were kept."), "warning")
        status = 422 if form.errors else 200
        return render_template("beneficiaries/new.html", form=form, duplicates=duplicates), status

    if form.validate_on_submit():
        # The choices hold only settlements in scope; this also answers a forged id with a 404.
        settlement = load_or_404(Area, form.settlement.data, current_user)
        duplicates = services.possible_duplicates(current_user, form.name.data, settlement.id, form.mobile.data)
        if duplicates and not form.confirm_duplicate.data:
            flash(_("Someone similar is already registered. Check below, or confirm this is a different person."),
                  "warning")
        else:
            person = commit(lambda: services.register(current_user, settlement, **form.service_fields()),
                            refused=render_new, back=request.url)
            flash(_("Beneficiary registered. Now open a case for a scheme."), "success")
            return redirect(url_for("cases.open_case", beneficiary_id=person.id))
    return render_new()


@bp.get("/<int:beneficiary_id>")
def show(beneficiary_id: int):
    person = load_or_404(Beneficiary, beneficiary_id, current_user)
    return render_template(
        "beneficiaries/show.html",
        person=person,
        cases=person.cases,
        status_label=CASE_STATUS.get,
        format_mobile=format_mobile,
        gender_labels=GENDER_LABELS,
        relation_labels=RELATION_LABELS,
        basis_labels=BASIS_LABELS,
    )
