"""The steps the case page offers are exactly the steps the case machine allows this user now.

Every status, each role that works on cases, and the shapes that decide a move on the ladder
(an office above or none, an accused office above, an office missing, the top of the
ladder): the page's step forms are compared with `available_triggers`, every offered step
must go through with complete data, and every step not offered must be refused by the
machine and by a POST to the page (which then changes nothing).
"""
import re

import pytest
from flask_babel import force_locale

from caseflow.cases import workflow
from caseflow.cases.models import Case
from caseflow.cases.services import transition
from caseflow.extensions import db
from tests.conftest import step_data
from tests.test_escalation_support import (
    at_level,
    bias_report,
    sarpanch_scheme,
    scheme_with_missing_office,
    submitted,
)

# A shape: how to make the case, and what decides the moves it may make.
SHAPES = {
    "identified": lambda w: w.case(status="identified"),
    "documented": lambda w: w.case(status="documented"),
    "submitted": lambda w: submitted(w),
    "submitted, every level above accused": lambda w: _accused_above(w),
    "submitted, next office missing": lambda w: submitted(w, scheme=scheme_with_missing_office(w)[0]),
    "escalated to level 2": lambda w: at_level(w, 2),
    "escalated to the top": lambda w: at_level(w, 3),
    "sanctioned": lambda w: w.case(status="sanctioned"),
    "rejected": lambda w: w.case(status="rejected"),
    "rejected at the top": lambda w: _rejected_at_top(w),
    "resolved": lambda w: w.case(status="resolved"),
    "closed": lambda w: w.case(status="closed"),
}
ROLES = ("incharge", "supervisor")


def _accused_above(w) -> Case:
    case = submitted(w, scheme=sarpanch_scheme(w, levels=("panchayat_secretary", "sarpanch")))
    bias_report(w, case, w.sarpanch)
    return case


def _rejected_at_top(w) -> Case:
    case = at_level(w, 3)
    transition(case, w.incharge, "reject", step_data("reject"), expected_version=case.version)
    return case


def complete(trigger: str) -> dict:
    return {"send_back": {"reason": "The level below must decide"}}.get(trigger) or step_data(trigger)


def offered(html: str, case_id: int) -> set[str]:
    return set(re.findall(rf'action="/cases/{case_id}/do/(\w+)"', html))


@pytest.mark.parametrize("shape", SHAPES)
def test_the_page_offers_exactly_what_the_machine_allows(app, world, client, auth, shape):
    with app.app_context():
        case = SHAPES[shape](world)
        db.session.commit()
        case_id = case.id
    for role in ROLES:
        user = getattr(world, role)
        auth.login(user)
        html = client.get(f"/cases/{case_id}").get_data(as_text=True)
        with app.test_request_context(), force_locale("en"):
            case = db.session.get(Case, case_id, populate_existing=True)
            actor = db.session.get(type(user), user.id)
            allowed = workflow.available_triggers(case, actor)
            assert offered(html, case_id) == set(allowed), (shape, role)
            for trigger in workflow.TRIGGERS:
                problems = workflow.refusal(case, actor, trigger, complete(trigger))
                if trigger in allowed:
                    assert problems == [], (shape, role, trigger, [str(p) for p in problems])
                else:
                    assert problems, (shape, role, trigger)
            version = case.version
        for trigger in set(workflow.TRIGGERS) - set(allowed):
            response = client.post(f"/cases/{case_id}/do/{trigger}", data={f"{trigger}-version": version,
                                                                            f"{trigger}-reason": "Try anyway"})
            assert response.status_code == 422, (shape, role, trigger, response.status_code)
            with app.app_context():
                assert db.session.get(Case, case_id, populate_existing=True).version == version
        auth.logout()


def test_the_machine_shapes_cover_every_trigger():
    """Between them the shapes offer every step to someone, so the comparison above is not vacuous."""
    assert {"verify", "submit", "escalate", "sanction", "reject", "appeal", "send_back", "deliver", "close",
            "reopen"} == set(workflow.TRIGGERS)


@pytest.mark.parametrize(("shape", "role", "expected"), [
    ("submitted", "incharge", {"escalate", "sanction", "reject", "close"}),
    ("submitted, every level above accused", "incharge", {"sanction", "reject", "close"}),
    ("submitted, next office missing", "supervisor", {"sanction", "reject", "close"}),
    ("escalated to level 2", "supervisor", {"escalate", "sanction", "reject", "close", "send_back"}),
    ("escalated to level 2", "incharge", {"escalate", "sanction", "reject", "close"}),
    ("escalated to the top", "supervisor", {"sanction", "reject", "close", "send_back"}),
    ("rejected", "incharge", {"appeal", "close"}),
    ("rejected at the top", "incharge", {"close"}),
])
def test_what_the_page_offers_where_it_matters(app, world, client, auth, shape, role, expected):
    with app.app_context():
        case = SHAPES[shape](world)
        db.session.commit()
        case_id = case.id
    auth.login(getattr(world, role))
    assert offered(client.get(f"/cases/{case_id}").get_data(as_text=True), case_id) == expected


def test_only_a_supervisor_sees_the_confirmation_override_on_deliver(app, world, client, auth):
    with app.app_context():
        case = world.case(status="sanctioned")
        db.session.commit()
        case_id = case.id
    auth.login(world.incharge)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'name="deliver-proof_of_delivery"' in page and 'name="deliver-override_reason"' not in page
    auth.logout()
    auth.login(world.supervisor)
    assert 'name="deliver-override_reason"' in client.get(f"/cases/{case_id}").get_data(as_text=True)
