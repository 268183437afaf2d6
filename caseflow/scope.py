"""Who may see what: the one place that scopes queries and loads objects for a user.

- `visible(who, Model)`: the WHERE clause for the rows of any scoped model (cases, letters,
  beneficiaries, bias reports, audit entries: an `area_path` column; areas: `Area.path`).
  A model that also stores `district_id` (cases, letters) gets the form its indexes serve.
- `load_or_404(Model, id, user)`: one scoped object, or the same 404 for an object outside the
  user's areas as for one that does not exist, so scope cannot be probed by guessing ids.
- `path_in_scope(user, path)`: the same rule in memory, for a service checking one object.
- `OPERATOR`: the command line's scope (every row), passed explicitly; a missing user (None)
  sees nothing, never everything.

Only in-charges and supervisors have areas to work in; administrators configure, they see no
beneficiaries or cases.
"""
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm import InstrumentedAttribute

from caseflow.areas.models import Area, AreaKind, subtree_bounds
from caseflow.audit.web import note_refused_object
from caseflow.auth.models import Role, User
from caseflow.extensions import db
from caseflow.marks import cacheable, database_key, marks

# Roles that work with beneficiaries and cases; administrators configure, they do not.
CASE_ROLES = (Role.INCHARGE, Role.SUPERVISOR)


class Operator:
    """Whoever runs a command on the server (cron, an operator's shell): every row of every area."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()


def path_column(model):
    """The column holding a row's place in the area tree."""
    return model.path if model is Area else model.area_path


def _district_column(model):
    # Area.district_id is a Python property, not a column: only stored ids can use an index.
    column = getattr(model, "district_id", None)
    return column if isinstance(column, InstrumentedAttribute) else None


def subtree(model, path: str) -> sa.ColumnElement[bool]:
    """Rows of `model` at `path` or below it: one index range."""
    lo, hi = subtree_bounds(path)
    column = path_column(model)
    return sa.and_(column >= lo, column < hi)


def _areas(user) -> list[Area]:
    if user is None or not user.is_authenticated or user.role not in CASE_ROLES:
        return []
    return list(user.areas)


def areas_of(who) -> list[Area]:
    """The areas `who` works in: none for an administrator, a signed-out visitor or None."""
    return _areas(who)


def covers_every_state(areas: list[Area]) -> bool:
    """True when these areas include every state: their scope is every row."""
    return _every_state(areas)


def _every_state(areas: list[Area]) -> bool:
    """True when the user's states are all the states there are: their scope is every row."""
    states = {a.id for a in areas if a.kind is AreaKind.STATE}
    if not states:
        return False
    return _root_ids() <= states


_roots: dict[tuple, frozenset[int]] = {}


def _root_ids() -> frozenset[int]:
    """The states there are: asked on every page, kept per worker while no area changes."""
    key = (database_key(), marks().get("areas"))
    roots = _roots.get(key)
    if roots is None:
        roots = frozenset(db.session.scalars(sa.select(Area.id).where(Area.parent_id.is_(None))))
        _roots.clear()  # one entry: the marks only move forward
        if cacheable("areas"):
            _roots[key] = roots
    return roots


def visible(who: "User | Operator | None", model) -> sa.ColumnElement[bool]:
    """A WHERE clause true for the rows of `model` that lie in one of `who`'s areas.

    For a model that stores `district_id` the clause is written for its indexes: every state
    needs no filter, a district is an equality on district_id, anything smaller the path range.
    Other models get the path range of each area. Both select the same rows.
    """
    if who is OPERATOR:
        return sa.true()
    areas = _areas(who)
    if not areas:
        return sa.false()
    district_id = _district_column(model)
    if district_id is not None and _every_state(areas):
        return sa.true()
    clauses = []
    for area in areas:
        if district_id is not None and area.kind is AreaKind.DISTRICT:
            clauses.append(district_id == area.id)
        else:
            clauses.append(subtree(model, area.path))
    return sa.or_(*clauses)


def path_in_scope(who: "User | Operator | None", path: str | None) -> bool:
    """`visible` for one path already in memory."""
    if who is OPERATOR:
        return True
    if not path:
        return False
    return any(lo <= path < hi for lo, hi in (subtree_bounds(a.path) for a in _areas(who)))


def load_or_404(model, object_id: int, user: User, *, for_update: bool = False):
    """Load one scoped object or abort with 404, noting the refusal for the audit trail."""
    query = sa.select(model).where(model.id == object_id, visible(user, model))
    if for_update:
        query = query.execution_options(populate_existing=True)
    obj = db.session.scalars(query).first()
    if obj is None:
        note_refused_object(model, object_id, path_column(model))
        abort(404)
    return obj


def districts(user: User) -> list[Area]:
    """The districts a user works in, for filters: those their areas lie in, or lie under them."""
    areas = _areas(user)
    ids = {a.district_id for a in areas if a.district_id}
    states = [subtree(Area, a.path) for a in areas if a.kind is AreaKind.STATE]
    if not ids and not states:
        return []
    query = sa.select(Area).where(Area.kind == AreaKind.DISTRICT, sa.or_(Area.id.in_(ids), *states))
    return db.session.scalars(query.order_by(Area.name_en)).all()


def case_pages_only(bp) -> None:
    """Guard every view of `bp`: signed-in in-charges and supervisors only. Administrators
    configure; they see no case data (DESIGN §1), so they get 403 before anything is loaded."""

    @bp.before_request
    @login_required
    def _caseworkers_only():
        if current_user.role not in CASE_ROLES:
            abort(403)


def supervisor_only(view):
    """A view for supervisors only, refused before anything is loaded: an in-charge learns
    nothing about which ids exist."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.role is not Role.SUPERVISOR:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
