"""Administrator pages: users and their areas, the area tree, office kinds, offices, schemes
and their ladders, and the holiday calendar.

Every page is for administrators only. Views load, validate, call a domain service, commit once
and redirect; the services in `auth`, `areas`, `schemes` and `holidays` make every change.
Uniqueness is checked before calling a service so the message can say which value clashes;
the database constraint still decides a race, and a clash there rolls back with a general message.
"""
from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from caseflow.admin.forms import (
    KIND_LABELS,
    LADDER_ROWS,
    ROLE_LABELS,
    AreaCreateForm,
    AreaEditForm,
    AreaPickForm,
    DeleteForm,
    HolidayForm,
    LadderForm,
    OfficeForm,
    OfficeKindEditForm,
    OfficeKindForm,
    PasswordResetForm,
    SchemeForm,
    UserAreaForm,
    UserCreateForm,
    UserEditForm,
)
from caseflow.areas import services as area_services
from caseflow.areas.models import CHILD_KINDS, PATH_SEGMENT, Area, AreaKind, Office, OfficeKind, subtree_bounds
from caseflow.auth import services as auth_services
from caseflow.auth.models import Role, User, user_areas
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays import services as holiday_services
from caseflow.holidays.models import Holiday
from caseflow.i18n import locale_code
from caseflow.schemes import services as scheme_services
from caseflow.schemes.models import Scheme

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 100
CHILDREN_PAGE_SIZE = 200
# The tree page stops here: below are tens of thousands of panchayats and wards and
# hundreds of thousands of settlements, shown one parent at a time on the area page.
TREE_KINDS = (AreaKind.STATE, AreaKind.DISTRICT, AreaKind.BLOCK, AreaKind.URBAN_BODY)
LOCAL_KINDS = (AreaKind.GRAM_PANCHAYAT, AreaKind.WARD)
# A district pilot lists its panchayats and wards in the user form; a state has ~25,000 and
# a select that size is megabytes on a phone, so there they are granted from the area page.
LOCAL_CHOICE_LIMIT = 1500


def admin_required(view):
    """Anonymous visitors go to the login page; signed-in users who are not administrators get 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.context_processor
def _labels():
    return {"kind_label": KIND_LABELS.get, "role_label": ROLE_LABELS.get}


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _page() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _exists(*where) -> bool:
    return db.session.execute(sa.select(sa.literal(1)).where(*where).limit(1)).first() is not None


def _area_label(area: Area) -> str:
    depth = len(area.path) // PATH_SEGMENT - 1
    label = _("%(name)s (%(kind)s)", name=area.name(locale_code()), kind=KIND_LABELS[area.kind])
    if not area.active:
        label = _("%(area)s – inactive", area=label)
    return "— " * depth + label


def _areas_by_id(ids) -> list[Area]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.path)))


def _by_name(objects):
    loc = locale_code()
    return sorted(objects, key=lambda obj: obj.name(loc).casefold())


# ---------------------------------------------------------------- overview


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


# ---------------------------------------------------------------- users


def _area_choices(keep: list[Area] = ()) -> tuple[list[tuple[int, str]], bool]:
    """Areas a user may be scoped to, and whether panchayats and wards were left out."""
    local_count = _count(Area, Area.kind.in_(LOCAL_KINDS))
    limited = local_count > LOCAL_CHOICE_LIMIT
    where = Area.kind.in_(TREE_KINDS if limited else TREE_KINDS + LOCAL_KINDS)
    if keep:
        where = sa.or_(where, Area.id.in_([a.id for a in keep]))
    areas = db.session.scalars(sa.select(Area).where(where).order_by(Area.path))
    return [(a.id, _area_label(a)) for a in areas], limited


@bp.get("/users")
@admin_required
def users():
    role = request.args.get("role")
    query = sa.select(User).order_by(User.username)
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    else:
        role = None
    page = db.paginate(query, page=_page(), per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", page=page, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserCreateForm(data={"role": Role.INCHARGE.value, "locale": "hi"})
    form.areas.choices, limited = _area_choices()
    if form.validate_on_submit():
        if _exists(User.username == form.username.data):
            form.username.errors.append(_("That username is taken."))
        else:
            try:
                user = auth_services.create_user(
                    username=form.username.data,
                    display_name=form.display_name.data,
                    password=form.password.data,
                    role=Role(form.role.data),
                    areas=_areas_by_id(form.areas.data),
                    locale=form.locale.data,
                )
                db.session.commit()
            except auth_services.AccountError as exc:
                db.session.rollback()
                flash(str(exc), "error")  # the services word their refusals for the user
            except IntegrityError:
                db.session.rollback()
                form.username.errors.append(_("That username is taken."))
            else:
                flash(_("Account %(username)s created.", username=user.username), "success")
                return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None, limited=limited)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = _get_or_404(User, user_id)
    form = UserEditForm(
        data={
            "display_name": user.display_name,
            "role": user.role.value,
            "areas": [a.id for a in user.areas],
            "locale": user.locale,
            "active": user.active,
        }
    )
    form.areas.choices, limited = _area_choices(keep=user.areas)
    is_self = user.id == current_user.id
    if form.validate_on_submit():
        # Guards against an administrator locking the last way in: their own account.
        if is_self and not form.active.data:
            form.active.errors.append(_("You cannot disable your own account."))
        elif is_self and form.role.data != Role.ADMIN.value:
            form.role.errors.append(_("You cannot remove your own administrator role."))
        else:
            was_active = user.active
            try:
                auth_services.update_user(
                    user,
                    display_name=form.display_name.data,
                    role=Role(form.role.data),
                    areas=_areas_by_id(form.areas.data),
                    locale=form.locale.data,
                    active=form.active.data,
                )
                db.session.commit()
            except auth_services.AccountError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                if is_self:
                    login_user(user)  # a changed scope ends every session; this one carries on
                if was_active and not user.active:
                    flash(_("Account %(username)s disabled; its sessions have ended.", username=user.username),
                          "success")
                else:
                    flash(_("Account %(username)s saved.", username=user.username), "success")
                return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user, limited=limited, is_self=is_self)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def user_password(user_id: int):
    user = _get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            auth_services.set_password(user, form.password.data)
            db.session.commit()
        except auth_services.AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        else:
            if user.id == current_user.id:
                login_user(user)
            flash(_("Password of %(username)s reset; their sessions have ended.", username=user.username),
                  "success")
            return redirect(url_for(".user_edit", user_id=user.id))
    return render_template("admin/user_password.html", form=form, user=user)


# ---------------------------------------------------------------- areas


def _nest(areas: list[Area]) -> list[dict]:
    """Nodes {area, children} from areas ordered by path, so each parent comes before its children."""
    roots, nodes = [], {}
    for area in areas:
        node = nodes[area.id] = {"area": area, "children": []}
        parent = nodes.get(area.parent_id)
        (parent["children"] if parent else roots).append(node)
    return roots


def _sibling_named(parent_id: int | None, name_en: str, exclude_id: int | None = None) -> bool:
    where = [Area.parent_id == parent_id, sa.func.lower(Area.name_en) == name_en.lower()]
    if exclude_id is not None:
        where.append(Area.id != exclude_id)
    return _exists(*where)


def _code_taken(code: str | None, exclude_id: int | None = None) -> bool:
    if not code:
        return False
    where = [Area.code == code]
    if exclude_id is not None:
        where.append(Area.id != exclude_id)
    return _exists(*where)


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


def _add_area(form: AreaCreateForm, parent: Area | None) -> Area | None:
    """Create the area the form describes; on a problem, mark the form and return None."""
    kind = AreaKind(form.kind.data)
    code = form.code.data if kind is AreaKind.DISTRICT else None
    if _sibling_named(parent.id if parent else None, form.name_en.data):
        form.name_en.errors.append(_("An area of that name already exists here."))
        return None
    if _code_taken(code):
        form.code.errors.append(_("Another area already has that code."))
        return None
    try:
        area = area_services.create_area(
            kind=kind, name_en=form.name_en.data, name_hi=form.name_hi.data, parent=parent, code=code
        )
        db.session.commit()
    except area_services.AreaError as exc:
        db.session.rollback()
        form.kind.errors.append(str(exc))
        return None
    except IntegrityError:
        db.session.rollback()
        form.name_en.errors.append(_("The name or code is already in use. Nothing was saved."))
        return None
    return area


@bp.route("/areas", methods=["GET", "POST"])
@admin_required
def areas():
    form = _state_form()
    if form.validate_on_submit():
        state = _add_area(form, None)
        if state is not None:
            flash(_("%(name)s added.", name=state.name(locale_code())), "success")
            return redirect(url_for(".area", area_id=state.id))
    tree = db.session.scalars(sa.select(Area).where(Area.kind.in_(TREE_KINDS)).order_by(Area.path)).all()
    return render_template("admin/areas.html", roots=_nest(tree), form=form)


def _render_area(area: Area, *, edit_form=None, child_form=None, grant_form=None):
    ancestors = _areas_by_id(area.ancestor_ids[:-1])
    children = db.paginate(
        sa.select(Area).where(Area.parent_id == area.id).order_by(Area.name_en),
        page=_page(),
        per_page=CHILDREN_PAGE_SIZE,
        error_out=False,
    )
    offices = _by_name_of_kind(db.session.scalars(sa.select(Office).where(Office.area_id == area.id)).all())
    scoped_users = db.session.scalars(
        sa.select(User)
        .join(user_areas, user_areas.c.user_id == User.id)
        .where(user_areas.c.area_id == area.id)
        .order_by(User.username)
    ).all()
    return render_template(
        "admin/area.html",
        area=area,
        ancestors=ancestors,
        children=children,
        offices=offices,
        scoped_users=scoped_users,
        edit_form=edit_form or _edit_form(area),
        child_form=child_form or _child_form(area),
        grant_form=grant_form or (UserAreaForm(prefix="grant") if area.kind is not AreaKind.SETTLEMENT else None),
    )


def _by_name_of_kind(offices: list[Office]) -> list[Office]:
    loc = locale_code()
    return sorted(offices, key=lambda o: o.kind.name(loc).casefold())


@bp.get("/areas/<int:area_id>")
@admin_required
def area(area_id: int):
    return _render_area(_get_or_404(Area, area_id))


@bp.post("/areas/<int:area_id>")
@admin_required
def area_update(area_id: int):
    area = _get_or_404(Area, area_id)
    form = _edit_form(area)
    if form.validate_on_submit():
        code = (form.code.data or None) if area.kind is AreaKind.DISTRICT else None
        if _sibling_named(area.parent_id, form.name_en.data, exclude_id=area.id):
            form.name_en.errors.append(_("An area of that name already exists here."))
        elif _code_taken(code, exclude_id=area.id):
            form.code.errors.append(_("Another area already has that code."))
        else:
            try:
                area_services.rename_area(
                    area, name_en=form.name_en.data, name_hi=form.name_hi.data, code=code, active=form.active.data
                )
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.name_en.errors.append(_("The name or code is already in use. Nothing was saved."))
            else:
                flash(_("%(name)s saved.", name=area.name(locale_code())), "success")
                return redirect(url_for(".area", area_id=area.id))
    return _render_area(area, edit_form=form)


@bp.post("/areas/<int:area_id>/children")
@admin_required
def area_child_new(area_id: int):
    area = _get_or_404(Area, area_id)
    form = _child_form(area)
    if form is None:
        abort(404)
    if form.validate_on_submit():
        child = _add_area(form, area)
        if child is not None:
            flash(_("%(name)s added.", name=child.name(locale_code())), "success")
            return redirect(url_for(".area", area_id=area.id))
    return _render_area(area, child_form=form)


@bp.post("/areas/<int:area_id>/users")
@admin_required
def area_grant(area_id: int):
    """Add this area to a user's scope: how panchayats and wards are granted in a state-sized tree."""
    area = _get_or_404(Area, area_id)
    if area.kind is AreaKind.SETTLEMENT:
        abort(404)
    form = UserAreaForm(prefix="grant")
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data))
        if user is None:
            form.username.errors.append(_("No account has that username."))
        else:
            auth_services.add_area(user, area)
            db.session.commit()
            flash(_("%(name)s added to the areas of %(username)s.", name=area.name(locale_code()),
                    username=user.username), "success")
            return redirect(url_for(".area", area_id=area.id))
    return _render_area(area, grant_form=form)


# ---------------------------------------------------------------- office kinds


@bp.route("/office-kinds", methods=["GET", "POST"])
@admin_required
def office_kinds():
    form = OfficeKindForm()
    if form.validate_on_submit():
        if _exists(OfficeKind.code == form.code.data):
            form.code.errors.append(_("Another office kind already has that code."))
        else:
            try:
                kind = area_services.create_office_kind(
                    code=form.code.data, name_en=form.name_en.data, name_hi=form.name_hi.data,
                    elected=form.elected.data,
                )
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.code.errors.append(_("Another office kind already has that code."))
            else:
                flash(_("Office kind %(name)s added.", name=kind.name(locale_code())), "success")
                return redirect(url_for(".office_kinds"))
    kinds = db.session.scalars(sa.select(OfficeKind).order_by(OfficeKind.code)).all()
    return render_template("admin/office_kinds.html", kinds=kinds, form=form)


@bp.route("/office-kinds/<int:kind_id>", methods=["GET", "POST"])
@admin_required
def office_kind_edit(kind_id: int):
    kind = _get_or_404(OfficeKind, kind_id)
    form = OfficeKindEditForm(obj=kind)
    if form.validate_on_submit():
        area_services.update_office_kind(
            kind, name_en=form.name_en.data, name_hi=form.name_hi.data, elected=form.elected.data
        )
        db.session.commit()
        flash(_("Office kind %(name)s saved.", name=kind.name(locale_code())), "success")
        return redirect(url_for(".office_kinds"))
    return render_template("admin/office_kind_form.html", kind=kind, form=form)


# ---------------------------------------------------------------- offices


@bp.get("/offices")
@admin_required
def offices():
    form = AreaPickForm(request.args)
    picked = db.session.get(Area, form.area.data) if request.args.get("area", type=int) else None
    choices = [(a.id, _area_label(a)) for a in db.session.scalars(
        sa.select(Area).where(Area.kind.in_(TREE_KINDS)).order_by(Area.path)
    )]
    if picked is not None and picked.kind not in TREE_KINDS:
        choices.append((picked.id, _area_label(picked)))
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
        page = db.paginate(query, page=_page(), per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/offices.html", form=form, picked=picked, page=page, vacant=vacant)


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


def _office_fields(form: OfficeForm) -> dict:
    # Blank means "none": stored as NULL, so a vacant post compares equal on the next save.
    return {
        "kind_id": form.kind_id.data,
        "holder_name": form.holder_name.data or None,
        "holder_phone": form.holder_phone.data or None,
        "holder_email": form.holder_email.data or None,
        "address": form.address.data or None,
        "language": form.language.data,
    }


def _save_office(form: OfficeForm, area: Area, office: Office | None) -> Office | None:
    fields = _office_fields(form)
    clash = [Office.area_id == area.id, Office.kind_id == fields["kind_id"]]
    if office is not None:
        clash.append(Office.id != office.id)
    if _exists(*clash):
        form.kind_id.errors.append(_("This area already has an office of that kind."))
        return None
    try:
        if office is None:
            office = area_services.save_office(None, area_id=area.id, **fields)
        else:
            office = area_services.save_office(office, **fields)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.kind_id.errors.append(_("This area already has an office of that kind."))
        return None
    return office


@bp.route("/areas/<int:area_id>/offices/new", methods=["GET", "POST"])
@admin_required
def office_new(area_id: int):
    area = _get_or_404(Area, area_id)
    form = _office_form(None)
    if not form.kind_id.choices:
        flash(_("Add an office kind first."), "warning")
        return redirect(url_for(".office_kinds"))
    if form.validate_on_submit():
        office = _save_office(form, area, None)
        if office is not None:
            flash(_("Office %(title)s added.", title=office.title(locale_code())), "success")
            return redirect(url_for(".area", area_id=area.id))
    return render_template("admin/office_form.html", form=form, area=area, office=None)


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@admin_required
def office_edit(office_id: int):
    office = _get_or_404(Office, office_id)
    form = _office_form(office)
    if form.validate_on_submit():
        old_holder = office.holder_name
        saved = _save_office(form, office.area, office)
        if saved is not None:
            if saved.holder_name != old_holder:
                flash(_("Office %(title)s saved; the new holder counts from today.",
                        title=saved.title(locale_code())), "success")
            else:
                flash(_("Office %(title)s saved.", title=saved.title(locale_code())), "success")
            return redirect(url_for(".area", area_id=saved.area_id))
    return render_template("admin/office_form.html", form=form, area=office.area, office=office)


# ---------------------------------------------------------------- schemes


@bp.get("/schemes")
@admin_required
def schemes():
    rows = db.session.scalars(sa.select(Scheme).order_by(Scheme.code)).all()
    return render_template("admin/schemes.html", schemes=rows)


def _scheme_fields(form: SchemeForm) -> dict:
    return {name: getattr(form, name).data for name in (
        "code", "name_en", "name_hi", "department", "proof_of_delivery", "documents_required", "active"
    )}


def _save_scheme(form: SchemeForm, scheme: Scheme | None) -> Scheme | None:
    clash = [Scheme.code == form.code.data]
    if scheme is not None:
        clash.append(Scheme.id != scheme.id)
    if _exists(*clash):
        form.code.errors.append(_("Another scheme already has that code."))
        return None
    try:
        scheme = scheme_services.save_scheme(scheme, **_scheme_fields(form))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.code.errors.append(_("Another scheme already has that code."))
        return None
    return scheme


@bp.route("/schemes/new", methods=["GET", "POST"])
@admin_required
def scheme_new():
    form = SchemeForm(data={"active": True})
    if form.validate_on_submit():
        scheme = _save_scheme(form, None)
        if scheme is not None:
            flash(_("Scheme %(code)s added. Now set its escalation ladder.", code=scheme.code), "success")
            return redirect(url_for(".scheme_ladder", scheme_id=scheme.id))
    return render_template("admin/scheme_form.html", form=form, scheme=None)


@bp.route("/schemes/<int:scheme_id>", methods=["GET", "POST"])
@admin_required
def scheme_edit(scheme_id: int):
    scheme = _get_or_404(Scheme, scheme_id)
    form = SchemeForm(obj=scheme)
    if form.validate_on_submit():
        if _save_scheme(form, scheme) is not None:
            flash(_("Scheme %(code)s saved.", code=scheme.code), "success")
            return redirect(url_for(".schemes"))
    return render_template("admin/scheme_form.html", form=form, scheme=scheme)


@bp.route("/schemes/<int:scheme_id>/ladder", methods=["GET", "POST"])
@admin_required
def scheme_ladder(scheme_id: int):
    scheme = _get_or_404(Scheme, scheme_id)
    rows = [{"office_kind": lv.office_kind_id, "days": lv.time_limit_days} for lv in scheme.levels]
    # Always at least one blank row beyond the current ladder, so it can grow.
    rows += [{"office_kind": 0, "days": None}] * (max(LADDER_ROWS, len(rows) + 1) - len(rows))
    form = LadderForm(data={"rows": rows})
    kinds = _by_name(db.session.scalars(sa.select(OfficeKind)))
    form.set_kind_choices([(k.id, k.name(locale_code())) for k in kinds])
    if form.validate_on_submit():
        try:
            scheme_services.set_ladder(scheme, form.levels())
            db.session.commit()
        except scheme_services.LadderError as exc:
            db.session.rollback()
            form.rows.errors.append(str(exc))
        else:
            flash(_("Ladder of %(code)s saved.", code=scheme.code), "success")
            return redirect(url_for(".schemes"))
    return render_template("admin/ladder.html", form=form, scheme=scheme, has_kinds=bool(kinds))


# ---------------------------------------------------------------- holidays


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 1950 <= year <= 2200 else today().year


@bp.route("/holidays", methods=["GET", "POST"])
@admin_required
def holidays():
    form = HolidayForm()
    if form.validate_on_submit():
        if _exists(Holiday.day == form.day.data):
            form.day.errors.append(_("That date is already a holiday."))
        else:
            try:
                holiday = holiday_services.create_holiday(form.day.data, form.name_en.data, form.name_hi.data)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.day.errors.append(_("That date is already a holiday."))
            else:
                flash(_("Holiday %(name)s added.", name=holiday.name(locale_code())), "success")
                return redirect(url_for(".holidays", year=holiday.day.year))
    year = form.day.data.year if form.day.data else _year()
    rows = db.session.scalars(
        sa.select(Holiday).where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(Holiday.day)
    ).all()
    return render_template("admin/holidays.html", form=form, holidays=rows, year=year, delete_form=DeleteForm())


@bp.post("/holidays/<int:holiday_id>/delete")
@admin_required
def holiday_delete(holiday_id: int):
    holiday = _get_or_404(Holiday, holiday_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    year, name = holiday.day.year, holiday.name(locale_code())
    holiday_services.delete_holiday(holiday)
    db.session.commit()
    flash(_("Holiday %(name)s deleted.", name=name), "success")
    return redirect(url_for(".holidays", year=year))
