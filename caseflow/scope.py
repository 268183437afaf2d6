"""Who may see what: the one place that scopes queries and loads objects for a user.

Every query for cases and beneficiaries goes through `in_scope`, and every single object
through `load_or_404`, which answers 404 for an object outside the user's areas exactly as
for one that does not exist, so scope cannot be probed by guessing ids.
"""
import sqlalchemy as sa
from flask import abort

from caseflow.areas.models import subtree_bounds
from caseflow.audit.web import note_refused_object
from caseflow.auth.models import Role, User
from caseflow.extensions import db

# Roles that work with beneficiaries and cases; administrators configure, they do not.
CASE_ROLES = (Role.INCHARGE, Role.SUPERVISOR)


def in_scope(user: User, path_column) -> sa.ColumnElement[bool]:
    """A WHERE clause true for rows whose area path lies in one of the user's subtrees."""
    if user is None or not user.is_authenticated or user.role not in CASE_ROLES or not user.areas:
        return sa.false()
    clauses = []
    for area in user.areas:
        lo, hi = subtree_bounds(area.path)
        clauses.append(sa.and_(path_column >= lo, path_column < hi))
    return sa.or_(*clauses)


def path_in_scope(user: User, path: str) -> bool:
    if user is None or user.role not in CASE_ROLES:
        return False
    return any(subtree_bounds(a.path)[0] <= path < subtree_bounds(a.path)[1] for a in user.areas)


def load_or_404(model, object_id: int, user: User, *, for_update: bool = False):
    """Load one scoped object (it must have an `area_path` column) or abort with 404."""
    query = sa.select(model).where(model.id == object_id, in_scope(user, model.area_path))
    if for_update:
        query = query.execution_options(populate_existing=True)
    obj = db.session.scalars(query).first()
    if obj is None:
        note_refused_object(model, object_id)
        abort(404)
    return obj


def case_scope(user: User) -> sa.ColumnElement[bool]:
    """`in_scope` for cases, written so the queue's indexes can serve it.

    The same rows as `in_scope(user, Case.area_path)`: a state-wide area needs no filter, a
    district is an equality on the stored district_id, anything smaller the path range.
    """
    from caseflow.areas.models import AreaKind
    from caseflow.cases.models import Case

    if user is None or not user.is_authenticated or user.role not in CASE_ROLES or not user.areas:
        return sa.false()
    clauses = []
    for area in user.areas:
        if area.kind is AreaKind.STATE:
            return sa.true()
        if area.kind is AreaKind.DISTRICT:
            clauses.append(Case.district_id == area.id)
        else:
            lo, hi = subtree_bounds(area.path)
            clauses.append(sa.and_(Case.area_path >= lo, Case.area_path < hi))
    return sa.or_(*clauses)
