"""Administrator pages of user accounts and their areas (URLs under /admin).

Views validate the form and hand one `caseflow.auth.services` call to `caseflow.web.commit`;
the services refuse a taken username, a short password and an administrator locking
themselves out. Panchayats and wards are too many for the account form of a state-sized tree,
so they are granted from a page per area: the users scoped to it, and a form to add one.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseflow.areas.forms import KIND_LABELS, TREE_KINDS, area_label
from caseflow.areas.models import Area, AreaKind
from caseflow.auth import services
from caseflow.auth.admin_forms import (
    ROLE_LABELS,
    PasswordResetForm,
    UserAreaForm,
    UserCreateForm,
    UserEditForm,
)
from caseflow.auth.models import Role, User, user_areas
from caseflow.auth.views import current_token, sign_in
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.web import admin_required, commit

bp = Blueprint("users", __name__, url_prefix="/admin")

PAGE_SIZE = 100
LOCAL_KINDS = (AreaKind.GRAM_PANCHAYAT, AreaKind.WARD)
# A district pilot lists its panchayats and wards in the user form; a state has ~25,000 and
# a select that size is megabytes on a phone, so there they are granted from the area's page.
LOCAL_CHOICE_LIMIT = 1500


@bp.context_processor
def _labels():
    return {"kind_label": KIND_LABELS.get, "role_label": ROLE_LABELS.get}


def _area_choices(keep: list[Area] = ()) -> tuple[list[tuple[int, str]], bool]:
    """Areas a user may be scoped to, and whether panchayats and wards were left out."""
    local_count = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(Area.kind.in_(LOCAL_KINDS)))
    limited = local_count > LOCAL_CHOICE_LIMIT
    where = Area.kind.in_(TREE_KINDS if limited else TREE_KINDS + LOCAL_KINDS)
    if keep:
        where = sa.or_(where, Area.id.in_([a.id for a in keep]))
    areas = db.session.scalars(sa.select(Area).where(where).order_by(Area.path))
    return [(a.id, area_label(a)) for a in areas], limited


def _areas_by_id(ids) -> list[Area]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.path)))


@bp.get("/users")
@admin_required
def index():
    role = request.args.get("role")
    query = sa.select(User).order_by(User.username)
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    else:
        role = None
    page = db.paginate(query, page=max(request.args.get("page", 1, type=int), 1), per_page=PAGE_SIZE,
                       error_out=False)
    return render_template("auth/users.html", page=page, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new():
    form = UserCreateForm(data={"role": Role.INCHARGE.value, "locale": "hi"})
    form.areas.choices, limited = _area_choices()

    def page(status: int):
        return render_template("auth/user_form.html", form=form, user=None, limited=limited), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    user = commit(lambda: services.create_user(
        username=form.username.data, display_name=form.display_name.data, password=form.password.data,
        role=Role(form.role.data), areas=_areas_by_id(form.areas.data), locale=form.locale.data, email=form.email.data,
        actor=current_user,
    ), refused=lambda: page(422), back=request.url)
    flash(_("Account %(username)s created.", username=user.username), "success")
    return redirect(url_for(".index"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(data={"display_name": user.display_name, "role": user.role.value,
                              "areas": [a.id for a in user.areas], "locale": user.locale, "active": user.active,
                              "email": user.email})
    form.areas.choices, limited = _area_choices(keep=user.areas)
    is_self = user.id == current_user.id

    def page(status: int):
        return render_template("auth/user_form.html", form=form, user=db.get_or_404(User, user_id), limited=limited,
                               is_self=is_self), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    was_active = user.active
    token = current_token()

    def save():
        services.update_user(
            user, display_name=form.display_name.data, role=Role(form.role.data),
            areas=_areas_by_id(form.areas.data), locale=form.locale.data, active=form.active.data, actor=current_user,
            email=form.email.data)
        # A changed scope ends every session of the account; the administrator's own carries
        # on with a fresh token.
        if is_self and not services.session_exists(token):
            return services.start_session(user)
        return None

    fresh = commit(save, refused=lambda: page(422), back=request.url)
    if fresh:
        sign_in(user, fresh)
    if was_active and not user.active:
        flash(_("Account %(username)s disabled; its sessions have ended.", username=user.username), "success")
    else:
        flash(_("Account %(username)s saved.", username=user.username), "success")
    return redirect(url_for(".index"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()

    def page(status: int):
        return render_template("auth/user_password.html", form=form, user=db.get_or_404(User, user_id)), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    is_self = user.id == current_user.id

    def reset():
        services.set_password(user, form.password.data, actor=current_user)  # ends every session of the account
        return services.start_session(user) if is_self else None

    fresh = commit(reset, refused=lambda: page(422), back=request.url)
    if fresh:
        sign_in(user, fresh)
    flash(_("Password of %(username)s reset; their sessions have ended.", username=user.username), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.route("/areas/<int:area_id>/users", methods=["GET", "POST"])
@admin_required
def area_users(area_id: int):
    """The users scoped to one area, and adding the area to a user's scope."""
    area = db.get_or_404(Area, area_id)
    if area.kind is AreaKind.SETTLEMENT:
        abort(404)
    form = UserAreaForm(prefix="grant")

    def page(status: int):
        scoped = db.session.scalars(
            sa.select(User).join(user_areas, user_areas.c.user_id == User.id)
            .where(user_areas.c.area_id == area_id).order_by(User.username)
        ).all()
        return render_template("auth/area_users.html", area=db.get_or_404(Area, area_id), scoped_users=scoped,
                               form=form), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    user = db.session.scalar(sa.select(User).where(User.username == form.username.data))
    if user is None:
        form.username.errors.append(_("No account has that username."))
        return page(422)
    commit(lambda: services.add_area(user, area, actor=current_user), refused=lambda: page(422), back=request.url)
    flash(_("%(name)s added to the areas of %(username)s.", name=area.name(locale_code()), username=user.username),
          "success")
    return redirect(url_for(".area_users", area_id=area.id))
