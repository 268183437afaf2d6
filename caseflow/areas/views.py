"""Administrator pages of the area tree, office kinds and offices (URLs under /admin).

Views load, validate the form and hand one `caseflow.areas.services` call to
`caseflow.web.commit`; a refusal (a clashing name, code or office) shows the form again with
the service's message. Who is scoped to an area is the user pages' business (`auth.admin`).
"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from caseflow.areas import services
from caseflow.areas.forms import (
    KIND_LABELS,
    TREE_KINDS,
    AreaCreateForm,
    AreaEditForm,
    AreaPickForm,
    OfficeForm,
    OfficeKindEditForm,
    OfficeKindForm,
    area_label,
)
from caseflow.areas.models import CHILD_KINDS, Area, AreaKind, Office, OfficeKind, subtree_bounds
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.web import admin_required, commit

bp = Blueprint("areas", __name__, url_prefix="/admin")

PAGE_SIZE = 100
CHILDREN_PAGE_SIZE = 200


@bp.context_processor
def _labels():
    return {"kind_label": KIND_LABELS.get}


def _page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def _by_name(objects):
    loc = locale_code()
    return sorted(objects, key=lambda obj: obj.name(loc).casefold())


# ---------------------------------------------------------------- area tree


def _nest(areas: list[Area]) -> list[dict]:
    """Nodes {area, children} from areas ordered by path, so each parent comes before its children."""
    roots, nodes = [], {}
    for area in areas:
        node = nodes[area.id] = {"area": area, "children": []}
        parent = nodes.get(area.parent_id)
        (parent["children"] if parent else roots).append(node)
    return roots


def _state_form() -> AreaCreateForm:
    form = AreaCreateForm(prefix="state", data={"kind": AreaKind.STATE.value})
    form.kind.choices = [(AreaKind.STATE.value, KIND_LABELS[AreaKind.STATE])]
    return form


def _child_form(area: Area) -> AreaCreateForm | None:
    kinds = sorted(CHILD_KINDS[area.kind], key=lambda k: k.value)
    if not kinds:
        return None
    form = AreaCreateForm(prefix="child")
    form.kind.choices = [(k.value, KIND_LABELS[k]) for k in kinds]
    return form


def _edit_form(area: Area) -> AreaEditForm:
    return AreaEditForm(
        prefix="edit",
        needs_code=area.kind is AreaKind.DISTRICT,
        data={"name_en": area.name_en, "name_hi": area.name_hi, "code": area.code, "active": area.active},
    )


def _render_tree(form: AreaCreateForm, status: int = 200):
    tree = db.session.scalars(sa.select(Area).where(Area.kind.in_(TREE_KINDS)).order_by(Area.path)).all()
    return render_template("areas/tree.html", roots=_nest(tree), form=form), status


def _create_area(form: AreaCreateForm, parent: Area | None, refused) -> Area:
    return commit(lambda: services.create_area(
        kind=AreaKind(form.kind.data), name_en=form.name_en.data, name_hi=form.name_hi.data, parent=parent,
        code=form.code.data, actor=current_user,
    ), refused=refused, back=request.url)


@bp.route("/areas", methods=["GET", "POST"])
@admin_required
def tree():
    form = _state_form()
    if not form.validate_on_submit():
        return _render_tree(form, 422 if form.errors else 200)
    state = _create_area(form, None, lambda: _render_tree(form, 422))
    flash(_("%(name)s added.", name=state.name(locale_code())), "success")
    return redirect(url_for(".show", area_id=state.id))


def _render_area(area: Area, *, edit_form=None, child_form=None, status: int = 200):
    ancestors = db.session.scalars(
        sa.select(Area).where(Area.id.in_(area.ancestor_ids[:-1])).order_by(Area.path)
    ).all()
    children = db.paginate(
        sa.select(Area).where(Area.parent_id == area.id).order_by(Area.name_en),
        page=_page_number(),
        per_page=CHILDREN_PAGE_SIZE,
        error_out=False,
    )
    loc = locale_code()
    offices = sorted(db.session.scalars(sa.select(Office).where(Office.area_id == area.id)).all(),
                     key=lambda o: o.kind.name(loc).casefold())
    return render_template(
        "areas/area.html",
        area=area,
        ancestors=ancestors,
        children=children,
        offices=offices,
        edit_form=edit_form or _edit_form(area),
        child_form=child_form or _child_form(area),
    ), status


@bp.get("/areas/<int:area_id>")
@admin_required
def show(area_id: int):
    return _render_area(db.get_or_404(Area, area_id))


@bp.post("/areas/<int:area_id>")
@admin_required
def update(area_id: int):
    area = db.get_or_404(Area, area_id)
    form = _edit_form(area)
    if not form.validate_on_submit():
        return _render_area(area, edit_form=form, status=422)
    commit(lambda: services.rename_area(
        area, name_en=form.name_en.data, name_hi=form.name_hi.data, code=form.code.data, active=form.active.data,
        actor=current_user,
    ), refused=lambda: _render_area(db.get_or_404(Area, area_id), edit_form=form, status=422), back=request.url)
    flash(_("%(name)s saved.", name=area.name(locale_code())), "success")
    return redirect(url_for(".show", area_id=area.id))


@bp.post("/areas/<int:area_id>/children")
@admin_required
def add_child(area_id: int):
    area = db.get_or_404(Area, area_id)
    form = _child_form(area)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return _render_area(area, child_form=form, status=422)
    child = _create_area(form, area, lambda: _render_area(db.get_or_404(Area, area_id), child_form=form, status=422))
    flash(_("%(name)s added.", name=child.name(locale_code())), "success")
    return redirect(url_for(".show", area_id=area.id))


# ---------------------------------------------------------------- office kinds


def _render_office_kinds(form: OfficeKindForm, status: int = 200):
    kinds = db.session.scalars(sa.select(OfficeKind).order_by(OfficeKind.code)).all()
    return render_template("areas/office_kinds.html", kinds=kinds, form=form), status


@bp.route("/office-kinds", methods=["GET", "POST"])
@admin_required
def office_kinds():
    form = OfficeKindForm()
    if not form.validate_on_submit():
        return _render_office_kinds(form, 422 if form.errors else 200)
    kind = commit(lambda: services.create_office_kind(
        code=form.code.data, name_en=form.name_en.data, name_hi=form.name_hi.data, elected=form.elected.data,
        actor=current_user,
    ), refused=lambda: _render_office_kinds(form, 422), back=request.url)
    flash(_("Office kind %(name)s added.", name=kind.name(locale_code())), "success")
    return redirect(url_for(".office_kinds"))


@bp.route("/office-kinds/<int:kind_id>", methods=["GET", "POST"])
@admin_required
def office_kind_edit(kind_id: int):
    kind = db.get_or_404(OfficeKind, kind_id)
    form = OfficeKindEditForm(obj=kind)
    if not form.validate_on_submit():
        return render_template("areas/office_kind_form.html", kind=kind, form=form), 422 if form.errors else 200
    commit(lambda: services.update_office_kind(
        kind, name_en=form.name_en.data, name_hi=form.name_hi.data, elected=form.elected.data, actor=current_user,
    ), refused=lambda: (render_template("areas/office_kind_form.html", kind=kind, form=form), 422), back=request.url)
    flash(_("Office kind %(name)s saved.", name=kind.name(locale_code())), "success")
    return redirect(url_for(".office_kinds"))


# ---------------------------------------------------------------- offices


@bp.get("/offices")
@admin_required
def offices():
    form = AreaPickForm(request.args)
    picked = db.session.get(Area, form.area.data) if request.args.get("area", type=int) else None
    choices = [(a.id, area_label(a)) for a in db.session.scalars(
        sa.select(Area).where(Area.kind.in_(TREE_KINDS)).order_by(Area.path)
    )]
    if picked is not None and picked.kind not in TREE_KINDS:
        choices.append((picked.id, area_label(picked)))
    form.area.choices = [(0, "—")] + choices
    vacant = request.args.get("vacant") == "1"
    page = None
    if picked is not None:
        lo, hi = subtree_bounds(picked.path)
        query = (
            sa.select(Office)
            .join(Office.area)
            .options(contains_eager(Office.area))
            .where(Area.path >= lo, Area.path < hi)
            .order_by(Area.path, Office.kind_id)
        )
        if vacant:
            query = query.where(Office.holder_name.is_(None))
        page = db.paginate(query, page=_page_number(), per_page=PAGE_SIZE, error_out=False)
    return render_template("areas/offices.html", form=form, picked=picked, page=page, vacant=vacant)


def _office_form(office: Office | None) -> OfficeForm:
    data = {"language": "hi"}
    if office is not None:
        data = {
            "kind_id": office.kind_id,
            "holder_name": office.holder_name,
            "holder_phone": office.holder_phone,
            "holder_email": office.holder_email,
            "address": office.address,
            "language": office.language,
        }
    form = OfficeForm(data=data)
    form.kind_id.choices = [(k.id, k.name(locale_code())) for k in _by_name(db.session.scalars(sa.select(OfficeKind)))]
    return form


def _render_office(form: OfficeForm, area_id: int, office_id: int | None, status: int):
    # After a rollback the objects are reloaded: the page shows what is stored, the form what was typed.
    area = db.get_or_404(Area, area_id)
    office = db.get_or_404(Office, office_id) if office_id is not None else None
    return render_template("areas/office_form.html", form=form, area=area, office=office), status


@bp.route("/areas/<int:area_id>/offices/new", methods=["GET", "POST"])
@admin_required
def office_new(area_id: int):
    area = db.get_or_404(Area, area_id)
    form = _office_form(None)
    if not form.kind_id.choices:
        flash(_("Add an office kind first."), "warning")
        return redirect(url_for(".office_kinds"))
    if not form.validate_on_submit():
        return _render_office(form, area_id, None, 422 if form.errors else 200)
    office = commit(lambda: services.save_office(None, area_id=area.id, **form.fields(), actor=current_user),
                    refused=lambda: _render_office(form, area_id, None, 422), back=request.url)
    flash(_("Office %(title)s added.", title=office.title(locale_code())), "success")
    return redirect(url_for(".show", area_id=area.id))


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@admin_required
def office_edit(office_id: int):
    office = db.get_or_404(Office, office_id)
    area_id = office.area_id
    form = _office_form(office)
    if not form.validate_on_submit():
        return _render_office(form, area_id, office_id, 422 if form.errors else 200)
    old_holder = office.holder_name
    commit(lambda: services.save_office(office, **form.fields(), actor=current_user),
           refused=lambda: _render_office(form, area_id, office_id, 422), back=request.url)
    if office.holder_name != old_holder:
        flash(_("Office %(title)s saved; the new holder counts from today.", title=office.title(locale_code())),
              "success")
    else:
        flash(_("Office %(title)s saved.", title=office.title(locale_code())), "success")
    return redirect(url_for(".show", area_id=office.area_id))
