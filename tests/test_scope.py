"""The one scope module: `scope.visible` selects, for every scoped model, exactly the rows a naive
subtree check of each row's path selects (whatever index-friendly form it picks); `load_or_404`
answers the same 404 for a missing and an out-of-scope object of every model and notes the
refusal; the operator's scope is explicit and a missing user sees nothing.
"""
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from caseflow.areas.models import Area, AreaKind, subtree_bounds
from caseflow.areas.services import create_area
from caseflow.audit.models import AuditEntry
from caseflow.auth.models import Role, User
from caseflow.auth.services import create_user
from caseflow.beneficiaries.models import Beneficiary
from caseflow.bias.models import BiasReport
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.letters.models import Letter
from caseflow.letters.services import draft_letter
from caseflow.scope import CASE_ROLES, OPERATOR, districts, load_or_404, path_in_scope, visible
from tests.conftest import PASSWORD
from tests.test_bias_helpers import file

MODELS = (Case, Letter, Beneficiary, BiasReport, AuditEntry, Area)
LOADED_ONE_BY_ONE = (Case, Letter, Beneficiary, BiasReport, Area)  # audit entries are read as trails
MISSING_ID = 2**31 - 1


def _path(row) -> str | None:
    return row.path if isinstance(row, Area) else row.area_path


def _key(model):
    return sa.inspect(model).primary_key[0]


def _id(row) -> int:
    return row.seq if isinstance(row, AuditEntry) else row.id


def _naive(user, rows) -> set[int]:
    """The rule written the slow way: the row's path lies in one of the user's subtrees."""
    if user is OPERATOR:
        return {_id(r) for r in rows}
    if user is None or user.role not in CASE_ROLES:
        return set()
    bounds = [subtree_bounds(a.path) for a in user.areas]
    return {_id(r) for r in rows if _path(r) is not None and any(lo <= _path(r) < hi for lo, hi in bounds)}


@pytest.fixture
def scoped(app, world):
    """Rows of every scoped model in two districts of the world's state and in a second state,
    and users scoped at every level, alone and mixed."""
    with app.test_request_context():
        state2 = create_area(kind=AreaKind.STATE, name_en="Second State", name_hi="दूसरा राज्य", actor=None)
        district2 = create_area(kind=AreaKind.DISTRICT, name_en="Far", name_hi="दूर", parent=state2, code="FAR", actor=None)
        block2 = create_area(kind=AreaKind.BLOCK, name_en="Far Block", name_hi="दूर ब्लॉक", parent=district2, actor=None)
        gp2 = create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en="Far GP", name_hi="दूर पंचायत", parent=block2, actor=None)
        village2 = create_area(kind=AreaKind.SETTLEMENT, name_en="Far Village", name_hi="दूर गाँव", parent=gp2, actor=None)
        second_block = create_area(kind=AreaKind.BLOCK, name_en="Ichhawar", name_hi="इछावर", parent=world.district, actor=None)

        def user(username, role, areas):
            return create_user(username=username, display_name=username, password=PASSWORD, role=role, areas=areas, actor=None)

        far = user("far", Role.INCHARGE, [district2])
        cases = [
            world.case(status="submitted"),
            world.case(person=world.person(name="Shanti Bai", settlement=world.other_village,
                                           actor=world.other_incharge), actor=world.other_incharge),
            world.case(person=world.person(name="Dur Bai", settlement=village2, actor=far), actor=far),
        ]
        collector = db.session.get(type(world.collector), world.collector.id)
        for case in cases:
            draft_letter(case, collector, actor=world.supervisor, level=1, due_within_days=15)
        file(world, cases[0])
        file(world, cases[1], actor=world.other_incharge)
        users = [db.session.get(User, u.id) for u in (world.incharge, world.other_incharge, world.supervisor,
                                                      world.admin)]
        users += [
            far,
            user("block", Role.INCHARGE, [world.block]),
            user("panchayat", Role.INCHARGE, [world.gp]),
            user("settlement", Role.INCHARGE, [world.village]),
            user("mixed", Role.INCHARGE, [second_block, world.other_district]),
            user("both_states", Role.SUPERVISOR, [world.state, state2]),
            user("one_of_two_states", Role.SUPERVISOR, [state2]),
            user("nowhere", Role.INCHARGE, []),
        ]
        db.session.flush()
        yield users


def test_the_clause_selects_what_a_naive_path_check_selects_for_every_model(scoped):
    for model in MODELS:
        rows = db.session.scalars(sa.select(model)).all()
        assert rows, model
        for user in [*scoped, OPERATOR, None]:
            fast = set(db.session.scalars(sa.select(_key(model)).where(visible(user, model))))
            assert fast == _naive(user, rows), (model.__tablename__, getattr(user, "username", user))
            for row in rows:
                assert path_in_scope(user, _path(row)) == (_id(row) in fast), (model.__tablename__, user)


def test_every_model_answers_the_same_404_for_missing_and_out_of_scope(scoped, app):
    incharge = next(u for u in scoped if u.username == "incharge")
    admin = next(u for u in scoped if u.role is Role.ADMIN)
    for model in LOADED_ONE_BY_ONE:
        rows = db.session.scalars(sa.select(model)).all()
        inside = [r for r in rows if r.id in _naive(incharge, [r])]
        outside = [r for r in rows if r.id not in _naive(incharge, [r]) and _path(r)]
        assert inside and outside, model
        assert load_or_404(model, inside[0].id, incharge) is inside[0]
        for user, object_id in [(incharge, outside[0].id), (incharge, MISSING_ID), (admin, inside[0].id)]:
            with app.test_request_context(), pytest.raises(NotFound):
                load_or_404(model, object_id, user)


def test_a_refusal_is_noted_with_the_objects_area(scoped, app):
    from flask import g

    incharge = next(u for u in scoped if u.username == "incharge")
    far = db.session.scalar(sa.select(Area).where(Area.code == "FAR"))
    with app.test_request_context(), pytest.raises(NotFound):
        try:
            load_or_404(Area, far.id, incharge)
        finally:
            assert g._audit_refused_object == {"object_type": "areas", "object_id": far.id, "area_path": far.path}


def test_districts_are_those_the_user_works_in(scoped, world):
    by_name = {u.username: u for u in scoped}
    codes = {name: [d.code for d in districts(by_name[name])] for name in by_name}
    assert codes["incharge"] == ["SHR"] and codes["block"] == ["SHR"] and codes["settlement"] == ["SHR"]
    assert codes["mixed"] == ["RSN", "SHR"]
    assert codes["supervisor"] == ["RSN", "SHR"] and codes["both_states"] == ["FAR", "RSN", "SHR"]
    assert codes["admin"] == [] and codes["nowhere"] == []


def test_the_case_page_gets_its_panels_from_the_registry_not_from_other_views(app):
    from caseflow.cases import panels

    with app.app_context():
        registered = sorted(app.extensions["caseflow.case_panels"].values(), key=lambda p: p.order)
        assert [p.name for p in registered] == ["escalation", "letters", "bias", "audit"]
        assert panels.panels_for.__module__ == "caseflow.cases.panels"
    source = (Path(__file__).parents[1] / "caseflow" / "cases" / "views.py").read_text()
    for domain in ("escalation", "letters", "bias", "audit"):
        assert f"caseflow.{domain}" not in source
