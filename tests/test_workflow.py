"""The case lifecycle machine on its own, on plain in-memory objects (no database).

Guards: every step from every status, allowed and refused; who may fire a step (the
caseworker guard, the top of the ladder, the reopening window and destination); the data
each step needs; that a refused step changes nothing and an allowed one writes exactly its
effects; that the buttons (`available_triggers`) and the machine cannot disagree; that the
machine is built once, has no automatic `to_<state>` back doors, and that the generated
diagram shows every edge of the lifecycle in DESIGN.md §3.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from transitions import MachineError

from caseflow.auth.models import Role, User
from caseflow.cases import routing, workflow
from caseflow.cases.models import OPEN_STATUSES, Case, CaseStatus, CloseReason
from caseflow.cases.workflow import (
    CASE_MACHINE,
    STEPS,
    TRIGGERS,
    TransitionRefused,
    available_triggers,
    mermaid_diagram,
    refusal,
    reopen_target,
)
from caseflow.db import today, utcnow
from caseflow.schemes.models import LadderLevel, Scheme

S = CaseStatus
TOP = 3
ROLES = (Role.INCHARGE, Role.SUPERVISOR, Role.ADMIN)
CASEWORKERS = (Role.INCHARGE, Role.SUPERVISOR)
COLUMNS = [attr.key for attr in sa.inspect(Case).column_attrs]
NOW = object()  # stands for "a timestamp taken while the step ran"


class LadderOffices(routing.Lookups):
    """Routing without a database: every ladder level's office kind (100 + n) resolves to
    office 200 + n, and no office is accused. Tests of the routing itself use the database."""

    def office_id(self, area_path: str, kind_id: int) -> int | None:
        return 100 + kind_id

    def blocked(self, case: Case) -> set[int]:
        return set()


@pytest.fixture(autouse=True)
def _request(app):
    # Lazy messages and REOPEN_WINDOW_DAYS need an application; nothing here touches the database.
    # English, so the assertions on message text hold once the Hindi catalogue exists.
    with app.test_request_context(headers={"Accept-Language": "en"}), routing.using(LadderOffices()):
        yield


def fire(case: Case, trigger: str, *, actor, data: dict, plan: dict | None = None):
    return CASE_MACHINE.fire(case, trigger, actor=actor, data=data, plan=plan)


def target(case: Case, trigger: str, actor) -> S | None:
    """The status the step would lead to, judged by its guards alone (before any data)."""
    for step in CASE_MACHINE.steps_from(case.status, trigger):
        if all(g.test(case, actor) for g in step.guards) and step.when(case, {}):
            return step.dest
    return None


# --- in-memory factories ------------------------------------------------------------------


def make_scheme(levels: int = TOP) -> Scheme:
    return Scheme(
        code="TEST", name_en="Test scheme", name_hi="परीक्षण योजना", department="Testing",
        proof_of_delivery="Order number", documents_required="", active=True,
        levels=[LadderLevel(level=n, office_kind_id=100 + n, time_limit_days=15) for n in range(1, levels + 1)],
    )


def make_user(role: Role) -> User:
    return User(username=role.value, display_name=role.value.title(), role=role, active=True, locale="en")


def make_case(status: S = S.IDENTIFIED, *, level: int | None = None, closed_from: S = S.IDENTIFIED,
              ended_days_ago: float = 1, due_in: int = 5, scheme: Scheme | None = None, **fields) -> Case:
    """A case whose fields are consistent with `status`, as the services would have left it."""
    shape = closed_from if status is S.CLOSED else status
    case = Case(reference="SHR/2026/000001", status=shape, level=0, beneficiary_confirmed=False, version=7,
                area_id=1, area_path="0000001", beneficiary_id=1, scheme_id=1, created_by_id=1)
    case.scheme = scheme or make_scheme()
    if shape is not S.IDENTIFIED:
        case.verified_at = utcnow() - timedelta(days=30)
    if shape in (S.SUBMITTED, S.ESCALATED, S.SANCTIONED, S.REJECTED, S.RESOLVED):
        case.application_ref, case.application_date = "APP-1", today() - timedelta(days=25)
        case.level = 2 if shape is S.ESCALATED else 1
        case.office_id = 200 + case.level
        case.due_date = today() + timedelta(days=due_in)
    if shape in (S.SANCTIONED, S.RESOLVED):
        case.sanction_ref, case.sanction_date = "SO-1", today() - timedelta(days=5)
    if shape is S.REJECTED:
        case.rejection_reason = "Documents incomplete"
    if shape is S.RESOLVED:
        case.proof_of_delivery, case.delivered_on, case.beneficiary_confirmed = "Instalment paid", today(), True
        case.due_date = None
        case.ended_at = utcnow() - timedelta(days=ended_days_ago)
    if level is not None:
        case.level = level
        if level:
            case.office_id = 200 + level
    if status is S.CLOSED:
        case.status, case.close_reason, case.due_date = S.CLOSED, CloseReason.WITHDRAWN, None
        case.ended_at = utcnow() - timedelta(days=ended_days_ago)
    for key, value in fields.items():
        setattr(case, key, value)
    return case


def complete(trigger: str) -> dict:
    """Complete data for each step, the way a filled-in form gives it."""
    return {
        "verify": {},
        "submit": {"application_ref": "PMAYG/2026/0042", "application_date": today() - timedelta(days=3)},
        "escalate": {"reason": "No reply after three visits"},
        "sanction": {"sanction_ref": "SO-778", "sanction_date": today() - timedelta(days=1)},
        "reject": {"reason": "Land record mismatch"},
        "appeal": {"reason": "Land record corrected"},
        "deliver": {"proof_of_delivery": "First instalment credited", "delivered_on": today(),
                    "beneficiary_confirmed": True},
        "close": {"close_reason": CloseReason.DUPLICATE},
        "reopen": {"reason": "Closed by mistake"},
        "send_back": {"reason": "The block office should decide first"},
    }[trigger]


def plan_for(case: Case, trigger: str) -> dict:
    """What the service would work out beforehand: the level, its office and due date."""
    if trigger == "submit":
        level = 1
    elif trigger in ("escalate", "appeal"):
        level = case.level + 1
    elif trigger == "send_back":
        level = case.level - 1
    elif trigger == "reopen" and case.level:
        level = case.level
    else:
        return {}
    return {"level": level, "office_id": 500 + level, "due_date": today() + timedelta(days=10 * level)}


def snapshot(case: Case) -> dict:
    return {key: getattr(case, key) for key in COLUMNS}


def changes(before: dict, after: dict) -> dict:
    return {key: after[key] for key in COLUMNS if after[key] != before[key]}


def refused(case: Case, trigger: str, actor: User, data: dict, plan: dict | None = None) -> str:
    """Fire a step that must be refused; check nothing changed and return the message text."""
    before = snapshot(case)
    with pytest.raises(TransitionRefused) as caught:
        fire(case, trigger, actor=actor, data=data, plan=plan if plan is not None else plan_for(case, trigger))
    assert snapshot(case) == before
    assert caught.value.messages
    return str(caught.value)


def fired(case: Case, trigger: str, actor: User, data: dict | None = None, plan: dict | None = None) -> dict:
    """Fire a step that must succeed; return the fields it changed (timestamps checked, as NOW)."""
    before = snapshot(case)
    start = utcnow()
    fire(case, trigger, actor=actor, data=complete(trigger) if data is None else data,
         plan=plan_for(case, trigger) if plan is None else plan)
    end = utcnow()
    changed = changes(before, snapshot(case))
    for key in ("verified_at", "ended_at"):
        if changed.get(key) is not None:
            assert start <= changed[key] <= end
            changed[key] = NOW
    return changed


def edges_of_steps() -> set[tuple[S, S, str]]:
    return {(source, step.dest, step.trigger) for step in STEPS for source in step.sources}


# Every status, and the shapes a case can have in it that matter to the guards.
SHAPES = {
    "identified": lambda: make_case(S.IDENTIFIED),
    "documented": lambda: make_case(S.DOCUMENTED),
    "submitted": lambda: make_case(S.SUBMITTED),
    "submitted-overdue": lambda: make_case(S.SUBMITTED, due_in=-2),
    "submitted-one-level-ladder": lambda: make_case(S.SUBMITTED, scheme=make_scheme(1)),
    "escalated": lambda: make_case(S.ESCALATED),
    "escalated-at-top": lambda: make_case(S.ESCALATED, level=TOP),
    "sanctioned": lambda: make_case(S.SANCTIONED),
    "rejected": lambda: make_case(S.REJECTED),
    "rejected-at-top": lambda: make_case(S.REJECTED, level=TOP),
    "resolved": lambda: make_case(S.RESOLVED),
    "resolved-at-level-2": lambda: make_case(S.RESOLVED, level=2),
    "resolved-long-ago": lambda: make_case(S.RESOLVED, ended_days_ago=200),
    "closed-identified": lambda: make_case(S.CLOSED, closed_from=S.IDENTIFIED),
    "closed-documented": lambda: make_case(S.CLOSED, closed_from=S.DOCUMENTED),
    "closed-submitted": lambda: make_case(S.CLOSED, closed_from=S.SUBMITTED),
    "closed-escalated": lambda: make_case(S.CLOSED, closed_from=S.ESCALATED),
    "closed-sanctioned": lambda: make_case(S.CLOSED, closed_from=S.SANCTIONED),
    "closed-rejected-at-top": lambda: make_case(S.CLOSED, closed_from=S.REJECTED, level=TOP),
    "closed-long-ago": lambda: make_case(S.CLOSED, ended_days_ago=200),
}


# --- the machine as a whole ---------------------------------------------------------------


def test_machine_is_built_once_without_models_or_back_doors():
    machine = CASE_MACHINE.machine
    assert machine.models == []
    assert machine.auto_transitions is False
    # One machine event per step (the engine fires exactly the step it chose), named after its trigger.
    assert {name.split("#")[0] for name in machine.events} == set(TRIGGERS)
    assert len(machine.events) == len(STEPS)
    assert not [name for name in machine.events if name.startswith("to_")]
    case, actor = make_case(S.IDENTIFIED), make_user(Role.INCHARGE)
    fire(case, "verify", actor=actor, data={})
    assert case.status is S.DOCUMENTED
    # Firing did not attach the case to the machine, nor give it trigger methods.
    assert machine.models == []
    for name in ("to_closed", "to_resolved", "to_identified", "verify", "close", "reopen", "trigger"):
        assert not hasattr(case, name)
        assert not hasattr(Case, name)


def test_machine_transitions_are_exactly_the_steps():
    from_machine = set()
    for name, event in CASE_MACHINE.machine.events.items():
        for source, transitions in event.transitions.items():
            for t in transitions:
                from_machine.add((S[source], S[t.dest], name.split("#")[0]))
    assert from_machine == edges_of_steps()
    assert {S[name] for name in CASE_MACHINE.machine.states} == set(S)


def test_lifecycle_is_the_one_in_the_design():
    # DESIGN.md §3, written out by hand: the machine must not grow or lose an edge unnoticed.
    expected = {
        (S.IDENTIFIED, S.DOCUMENTED, "verify"),
        (S.DOCUMENTED, S.SUBMITTED, "submit"),
        (S.SUBMITTED, S.ESCALATED, "escalate"),
        (S.ESCALATED, S.ESCALATED, "escalate"),
        (S.SUBMITTED, S.SANCTIONED, "sanction"),
        (S.ESCALATED, S.SANCTIONED, "sanction"),
        (S.SUBMITTED, S.REJECTED, "reject"),
        (S.ESCALATED, S.REJECTED, "reject"),
        (S.REJECTED, S.ESCALATED, "appeal"),
        (S.SANCTIONED, S.RESOLVED, "deliver"),
        # A supervisor sends an escalated case one level down: to level 1 it is "submitted" again.
        (S.ESCALATED, S.SUBMITTED, "send_back"),
        (S.ESCALATED, S.ESCALATED, "send_back"),
    }
    expected |= {(source, S.CLOSED, "close") for source in OPEN_STATUSES}
    # A resolved case always had an application, so it reopens to an office's desk; a case
    # closed after its sanction goes back to sanctioned.
    expected |= {(S.CLOSED, dest, "reopen") for dest in (S.IDENTIFIED, S.DOCUMENTED, S.SANCTIONED)}
    expected |= {(source, dest, "reopen") for source in (S.RESOLVED, S.CLOSED)
                 for dest in (S.SUBMITTED, S.ESCALATED)}
    assert edges_of_steps() == expected
    assert set(OPEN_STATUSES) == set(S) - {S.RESOLVED, S.CLOSED}


def test_mermaid_diagram_has_every_edge_once():
    diagram = mermaid_diagram()
    lines = diagram.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert f"    [*] --> {S.IDENTIFIED.value}" in lines
    edge_lines = [line for line in lines[1:] if "[*]" not in line]
    for source, dest, trigger in edges_of_steps():
        assert f"    {source.value} --> {dest.value}: {trigger}" in edge_lines
    assert len(edge_lines) == len(set(edge_lines)) == len(edges_of_steps())


def test_every_status_has_a_label():
    for status in S:
        assert str(workflow.status_label(status))
    assert set(workflow.LABELS) == set(TRIGGERS)


# --- wrong source status --------------------------------------------------------------------

WRONG_SOURCE = [(shape, trigger) for shape, make in SHAPES.items() for trigger in TRIGGERS
                if not CASE_MACHINE.steps_from(make().status, trigger)]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_step_from_wrong_status_is_refused_and_changes_nothing(shape):
    triggers = [trigger for s, trigger in WRONG_SOURCE if s == shape]
    assert triggers
    for trigger in triggers:
        case = SHAPES[shape]()
        status = case.status
        for role in CASEWORKERS:
            actor = make_user(role)
            message = refused(case, trigger, actor, complete(trigger))
            assert "not possible while the case is" in message
            assert str(workflow.status_label(status)) in message
            assert trigger not in available_triggers(case, actor)
            assert target(case, trigger, actor) is None
            assert case.status is status


@pytest.mark.parametrize(("shape", "trigger"), WRONG_SOURCE[::7])
def test_machine_itself_refuses_a_wrong_status(shape, trigger):
    """The machine is the second line: it raises MachineError, and `fire` turns that into a refusal."""
    case = SHAPES[shape]()
    actor = make_user(Role.SUPERVISOR)
    before = snapshot(case)
    for name in [n for n in CASE_MACHINE.machine.events if n.split("#")[0] == trigger]:
        with pytest.raises(MachineError):
            CASE_MACHINE.machine.events[name].trigger(case, actor=actor, data=complete(trigger),
                                                      plan=plan_for(case, trigger))
    assert snapshot(case) == before


def test_fire_refuses_when_the_machine_refuses_a_step_decided_earlier():
    # A step decided for one status and fired after the status changed: the machine says no.
    case = make_case(S.IDENTIFIED)
    deliver = CASE_MACHINE.steps_from(S.SANCTIONED, "deliver")[0]
    before = snapshot(case)
    with pytest.raises(TransitionRefused) as caught:
        CASE_MACHINE.fire(case, "deliver", actor=make_user(Role.INCHARGE), data=complete("deliver"), step=deliver)
    assert "not possible while the case is" in str(caught.value)
    assert snapshot(case) == before


def test_each_guard_runs_once_per_attempt(monkeypatch):
    calls = []
    real = routing._walk_up

    def counting(case, lookups):
        calls.append(case.level)
        return real(case, lookups)

    # The walk up the ladder (database queries in real use) is the costly part of the guard.
    monkeypatch.setattr(routing, "_walk_up", counting)
    case = make_case(S.ESCALATED, due_in=-3)
    fire(case, "escalate", actor=make_user(Role.INCHARGE), data={}, plan=plan_for(case, "escalate"))
    assert case.level == 3 and calls == [2]
    calls.clear()
    refused(make_case(S.ESCALATED, level=TOP, due_in=-3), "escalate", make_user(Role.INCHARGE), {})
    assert calls == [TOP]


def test_unknown_trigger_is_refused():
    case = make_case(S.IDENTIFIED)
    refused(case, "to_closed", make_user(Role.SUPERVISOR), {})
    assert "to_closed" not in available_triggers(case, make_user(Role.SUPERVISOR))


# --- allowed steps and their exact effects ------------------------------------------------


def _plan_effects(level: int) -> dict:
    return {"level": level, "office_id": 500 + level, "due_date": today() + timedelta(days=10 * level)}


ALLOWED = [
    ("identified", "verify", {"status": S.DOCUMENTED, "verified_at": NOW}),
    ("documented", "submit", {"status": S.SUBMITTED, "application_ref": "PMAYG/2026/0042",
                              "application_date": today() - timedelta(days=3), **_plan_effects(1)}),
    ("submitted", "escalate", {"status": S.ESCALATED, **_plan_effects(2)}),
    ("escalated", "escalate", _plan_effects(3)),  # escalated → escalated: only the level moves
    ("submitted", "sanction", {"status": S.SANCTIONED, "sanction_ref": "SO-778",
                               "sanction_date": today() - timedelta(days=1), "due_date": None}),
    ("escalated", "sanction", {"status": S.SANCTIONED, "sanction_ref": "SO-778",
                               "sanction_date": today() - timedelta(days=1), "due_date": None}),
    ("submitted", "reject", {"status": S.REJECTED, "rejection_reason": "Land record mismatch", "due_date": None}),
    ("escalated", "reject", {"status": S.REJECTED, "rejection_reason": "Land record mismatch", "due_date": None}),
    ("rejected", "appeal", {"status": S.ESCALATED, **_plan_effects(2)}),
    ("sanctioned", "deliver", {"status": S.RESOLVED, "proof_of_delivery": "First instalment credited",
                               "delivered_on": today(), "beneficiary_confirmed": True, "due_date": None,
                               "ended_at": NOW}),
    ("identified", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW}),
    ("documented", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW}),
    ("submitted", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW,
                            "due_date": None}),
    ("escalated", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW,
                            "due_date": None}),
    ("sanctioned", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW,
                             "due_date": None}),
    ("rejected", "close", {"status": S.CLOSED, "close_reason": CloseReason.DUPLICATE, "ended_at": NOW,
                           "due_date": None}),
    ("closed-identified", "reopen", {"status": S.IDENTIFIED, "close_reason": None, "ended_at": None}),
    ("closed-documented", "reopen", {"status": S.DOCUMENTED, "close_reason": None, "ended_at": None}),
    ("closed-submitted", "reopen", {"status": S.SUBMITTED, "close_reason": None, "ended_at": None,
                                    "office_id": 501, "due_date": today() + timedelta(days=10)}),
    ("closed-escalated", "reopen", {"status": S.ESCALATED, "close_reason": None, "ended_at": None,
                                    "office_id": 502, "due_date": today() + timedelta(days=20)}),
    ("closed-sanctioned", "reopen", {"status": S.SANCTIONED, "close_reason": None, "ended_at": None}),
    ("resolved", "reopen", {"status": S.SUBMITTED, "ended_at": None, "office_id": 501,
                            "due_date": today() + timedelta(days=10)}),
    ("resolved-at-level-2", "reopen", {"status": S.ESCALATED, "ended_at": None, "office_id": 502,
                                       "due_date": today() + timedelta(days=20)}),
]


# Steps only a supervisor may take.
SUPERVISOR_ONLY = [
    ("escalated", "send_back", {"status": S.SUBMITTED, **_plan_effects(1)}),
    ("escalated-at-top", "send_back", _plan_effects(TOP - 1)),
]


def test_allowed_table_covers_every_edge():
    covered = set()
    for shape, trigger, effects in ALLOWED + SUPERVISOR_ONLY:
        case = SHAPES[shape]()
        covered.add((case.status, effects.get("status", case.status), trigger))
    assert covered == edges_of_steps()


@pytest.mark.parametrize(("shape", "trigger", "effects"), ALLOWED, ids=[f"{s}-{t}" for s, t, _ in ALLOWED])
@pytest.mark.parametrize("role", CASEWORKERS, ids=lambda r: r.value)
def test_allowed_step_writes_exactly_its_effects(shape, trigger, effects, role):
    case = SHAPES[shape]()
    actor = make_user(role)
    expected_status = effects.get("status", case.status)
    assert trigger in available_triggers(case, actor)
    assert refusal(case, actor, trigger, complete(trigger)) == []
    assert target(case, trigger, actor) is expected_status
    assert fired(case, trigger, actor) == effects
    assert case.status is expected_status


@pytest.mark.parametrize(("shape", "trigger", "effects"), SUPERVISOR_ONLY,
                         ids=[f"{s}-{t}" for s, t, _ in SUPERVISOR_ONLY])
def test_supervisor_only_step_writes_exactly_its_effects(shape, trigger, effects):
    incharge, supervisor = make_user(Role.INCHARGE), make_user(Role.SUPERVISOR)
    case = SHAPES[shape]()
    assert trigger not in available_triggers(case, incharge)
    assert "Only a supervisor" in refused(case, trigger, incharge, complete(trigger))
    assert trigger in available_triggers(case, supervisor)
    assert fired(case, trigger, supervisor) == effects


def test_send_back_needs_a_level_below_and_a_reason():
    supervisor = make_user(Role.SUPERVISOR)
    at_one = make_case(S.ESCALATED, level=1)
    assert "send_back" not in available_triggers(at_one, supervisor)
    assert "first level" in refused(at_one, "send_back", supervisor, complete("send_back"))
    assert "reason" in refused(make_case(S.ESCALATED), "send_back", supervisor, {"reason": "  "})


def test_submit_keeps_a_grievance_number_when_given():
    case = make_case(S.DOCUMENTED)
    changed = fired(case, "submit", make_user(Role.INCHARGE),
                    {**complete("submit"), "grievance_ref": "  CMH-12345 ", "application_ref": " APP-9 "})
    assert changed["grievance_ref"] == "CMH-12345"
    assert changed["application_ref"] == "APP-9"


# --- guards: who and when -----------------------------------------------------------------


def test_admin_may_not_change_a_case():
    admin = make_user(Role.ADMIN)
    for shape, trigger, _effects in ALLOWED:
        case = SHAPES[shape]()
        assert "Only an in-charge or a supervisor" in refused(case, trigger, admin, complete(trigger))
        assert available_triggers(case, admin) == []
        assert target(case, trigger, admin) is None


@pytest.mark.parametrize("shape", ["escalated-at-top", "submitted-one-level-ladder"])
def test_escalate_at_top_of_the_ladder_is_refused(shape):
    case = SHAPES[shape]()
    case.due_date = today() - timedelta(days=3)  # even overdue, and with a reason
    for role in CASEWORKERS:
        actor = make_user(role)
        assert "top level" in refused(case, "escalate", actor, complete("escalate"), plan={})
        assert "escalate" not in available_triggers(case, actor)
        assert target(case, "escalate", actor) is None
    # The other steps from the top stay open.
    assert set(available_triggers(case, make_user(Role.INCHARGE))) == {"sanction", "reject", "close"}


def test_appeal_at_top_of_the_ladder_is_refused():
    case = SHAPES["rejected-at-top"]()
    actor = make_user(Role.SUPERVISOR)
    assert "top level" in refused(case, "appeal", actor, complete("appeal"), plan={})
    assert available_triggers(case, actor) == ["close"]


def test_escalate_one_below_the_top_is_allowed():
    case = make_case(S.ESCALATED, level=TOP - 1)
    assert fired(case, "escalate", make_user(Role.INCHARGE))["level"] == TOP


@pytest.mark.parametrize("shape", ["resolved", "closed-identified"])
def test_reopen_window(shape, app, monkeypatch):
    actor = make_user(Role.INCHARGE)
    window = app.config["REOPEN_WINDOW_DAYS"]
    inside = SHAPES[shape]()
    inside.ended_at = utcnow() - timedelta(days=window - 1)
    assert "reopen" in available_triggers(inside, actor)
    fired(inside, "reopen", actor)
    outside = SHAPES[shape]()
    outside.ended_at = utcnow() - timedelta(days=window + 1)
    assert "reopened only within 90 days" in refused(outside, "reopen", actor, complete("reopen"))
    assert "reopen" not in available_triggers(outside, actor)
    assert target(outside, "reopen", actor) is None
    # The window is configuration, not code.
    monkeypatch.setitem(app.config, "REOPEN_WINDOW_DAYS", window + 30)
    assert "reopen" in available_triggers(outside, actor)
    monkeypatch.setitem(app.config, "REOPEN_WINDOW_DAYS", 10)
    short = SHAPES[shape]()
    short.ended_at = utcnow() - timedelta(days=11)
    refused(short, "reopen", actor, complete("reopen"))


def test_reopen_without_an_end_time_is_refused():
    case = make_case(S.CLOSED, ended_at=None)
    refused(case, "reopen", make_user(Role.SUPERVISOR), complete("reopen"))


_APPLIED = {"verified_at": utcnow(), "application_ref": "A"}
_SANCTIONED = {**_APPLIED, "sanction_ref": "SO-1"}
# (shape, fields, status it ended in, where reopen takes it). A resolved case always had an
# application and a sanction, so it goes back to the office at its level.
REOPEN_SHAPES = [
    ("never verified", {}, S.CLOSED, S.IDENTIFIED),
    ("verified", {"verified_at": utcnow()}, S.CLOSED, S.DOCUMENTED),
    ("submitted at level 1", {**_APPLIED, "level": 1}, S.CLOSED, S.SUBMITTED),
    ("escalated to level 2", {**_APPLIED, "level": 2}, S.CLOSED, S.ESCALATED),
    ("escalated to the top", {**_APPLIED, "level": TOP}, S.CLOSED, S.ESCALATED),
    ("closed after sanction", {**_SANCTIONED, "level": 2}, S.CLOSED, S.SANCTIONED),
    ("resolved at level 1", {**_SANCTIONED, "level": 1}, S.RESOLVED, S.SUBMITTED),
    ("resolved at level 2", {**_SANCTIONED, "level": 2}, S.RESOLVED, S.ESCALATED),
    ("resolved at the top", {**_SANCTIONED, "level": TOP}, S.RESOLVED, S.ESCALATED),
]


@pytest.mark.parametrize(("label", "fields", "ended", "dest"), REOPEN_SHAPES, ids=[r[0] for r in REOPEN_SHAPES])
def test_reopen_goes_back_where_the_paperwork_had_reached(label, fields, ended, dest):
    case = make_case(S.IDENTIFIED, **fields)
    case.status, case.ended_at = ended, utcnow() - timedelta(days=2)
    if ended is S.CLOSED:
        case.close_reason = CloseReason.UNREACHABLE
    actor = make_user(Role.INCHARGE)
    assert reopen_target(case) is dest
    # Exactly one reopen step lets this case through, so the machine's choice is not an accident of order.
    passing = [step for step in CASE_MACHINE.steps_from(ended, "reopen")
               if all(g.test(case, actor) for g in step.guards) and step.when(case, {})]
    assert [step.dest for step in passing] == [dest]
    assert target(case, "reopen", actor) is dest
    changed = fired(case, "reopen", actor)
    assert case.status is dest
    assert case.ended_at is None and case.close_reason is None
    if dest in (S.SUBMITTED, S.ESCALATED):
        assert changed["office_id"] == 500 + case.level
        assert changed["due_date"] == today() + timedelta(days=10 * case.level)
    elif dest is S.SANCTIONED:
        assert case.level == 2 and "due_date" not in changed
    else:
        assert case.level == 0 and "due_date" not in changed


# --- data requirements ----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ({}, "application reference is required"),
    ({"application_ref": "   ", "application_date": today()}, "application reference is required"),
    ({"application_ref": "A-1"}, "application date is required"),
    ({"application_ref": "A-1", "application_date": "2026-01-05"}, "application date is required"),
    ({"application_ref": "A-1", "application_date": today() + timedelta(days=1)}, "cannot be in the future"),
])
def test_submit_needs_reference_and_a_past_date(data, message):
    assert message in refused(make_case(S.DOCUMENTED), "submit", make_user(Role.INCHARGE), data)


def test_submit_reports_every_missing_item_and_accepts_today():
    text = refused(make_case(S.DOCUMENTED), "submit", make_user(Role.INCHARGE), {})
    assert "application reference" in text and "application date" in text
    fired(make_case(S.DOCUMENTED), "submit", make_user(Role.INCHARGE),
          {"application_ref": "A-1", "application_date": today()})


def test_submit_needs_a_ladder():
    case = make_case(S.DOCUMENTED, scheme=make_scheme(0))
    assert "no escalation ladder" in refused(case, "submit", make_user(Role.INCHARGE), complete("submit"))


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ESCALATED])
def test_escalate_before_the_due_date_needs_a_reason(status):
    actor = make_user(Role.INCHARGE)
    for due_in in (5, 0):  # due later, and due today: not overdue yet
        for data in ({}, {"reason": "  "}, {"reason": None}):
            case = make_case(status, due_in=due_in)
            assert "needs a reason" in refused(case, "escalate", actor, data)
            assert "escalate" in available_triggers(case, actor)  # the button shows; the form asks why
    fired(make_case(status, due_in=5), "escalate", actor, {"reason": "Officer on leave, nobody in charge"})


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ESCALATED])
def test_escalate_an_overdue_case_needs_no_reason(status):
    case = make_case(status, due_in=-1)
    level = case.level
    changed = fired(case, "escalate", make_user(Role.INCHARGE), {})
    assert changed["level"] == level + 1


@pytest.mark.parametrize(("data", "message"), [
    ({"sanction_date": today()}, "sanction order number is required"),
    ({"sanction_ref": " ", "sanction_date": today()}, "sanction order number is required"),
    ({"sanction_ref": "SO-1"}, "sanction date is required"),
    ({"sanction_ref": "SO-1", "sanction_date": today() + timedelta(days=2)}, "cannot be in the future"),
])
@pytest.mark.parametrize("status", [S.SUBMITTED, S.ESCALATED])
def test_sanction_needs_order_and_past_date(status, data, message):
    assert message in refused(make_case(status), "sanction", make_user(Role.SUPERVISOR), data)


@pytest.mark.parametrize(("shape", "trigger"), [
    ("submitted", "reject"), ("escalated", "reject"), ("rejected", "appeal"),
    ("closed-identified", "reopen"), ("resolved", "reopen"),
])
@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   \n"}, {"reason": 42}])
def test_reject_appeal_and_reopen_need_a_reason(shape, trigger, data):
    assert "A reason is required" in refused(SHAPES[shape](), trigger, make_user(Role.INCHARGE), data)


def _deliver(**overrides) -> dict:
    data = {**complete("deliver"), **overrides}
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(("data", "message"), [
    (_deliver(proof_of_delivery=" "), "Proof of delivery is required"),
    ({"delivered_on": today(), "beneficiary_confirmed": True}, "Proof of delivery is required"),
    (_deliver(delivered_on=None), "delivery date is required"),
    (_deliver(delivered_on=today() + timedelta(days=1)), "cannot be in the future"),
    (_deliver(beneficiary_confirmed=False), "must confirm receipt"),
    (_deliver(beneficiary_confirmed=False, override_reason="Beneficiary migrated for work"), "must confirm receipt"),
])
def test_deliver_by_incharge_needs_proof_date_and_confirmation(data, message):
    assert message in refused(make_case(S.SANCTIONED), "deliver", make_user(Role.INCHARGE), data)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_supervisor_override_of_confirmation_needs_a_reason(reason):
    data = _deliver(beneficiary_confirmed=False, override_reason=reason)
    text = refused(make_case(S.SANCTIONED), "deliver", make_user(Role.SUPERVISOR), data)
    assert "needs a written reason" in text


def test_supervisor_may_override_confirmation_with_a_reason():
    case = make_case(S.SANCTIONED)
    changed = fired(case, "deliver", make_user(Role.SUPERVISOR),
                    _deliver(beneficiary_confirmed=False, override_reason="  Credit seen in bank passbook "))
    assert changed["status"] is S.RESOLVED
    assert "beneficiary_confirmed" not in changed and case.beneficiary_confirmed is False
    assert changed["confirmation_override_reason"] == "Credit seen in bank passbook"


def test_confirmed_delivery_keeps_no_override_reason():
    case = make_case(S.SANCTIONED)
    fired(case, "deliver", make_user(Role.SUPERVISOR), _deliver(override_reason="not needed"))
    assert case.beneficiary_confirmed is True
    assert case.confirmation_override_reason is None


@pytest.mark.parametrize("status", OPEN_STATUSES, ids=lambda s: s.value)
def test_close_needs_a_reason_from_the_list(status):
    actor = make_user(Role.INCHARGE)
    for data in ({}, {"close_reason": None}, {"close_reason": "duplicate"}, {"reason": "duplicate"}):
        assert "reason for closing" in refused(make_case(status), "close", actor, data)
    for reason in CloseReason:
        case = make_case(status)
        assert fired(case, "close", actor, {"close_reason": reason})["close_reason"] is reason


# --- the buttons and the machine agree ------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_available_triggers_are_exactly_the_steps_that_fire(shape):
    for role in ROLES:
        _check_buttons_match_machine(shape, make_user(role))


def _check_buttons_match_machine(shape: str, actor: User):
    role = actor.role
    succeeded = set()
    for trigger in TRIGGERS:
        case = SHAPES[shape]()
        expected_dest = target(case, trigger, actor)
        no_problems = refusal(case, actor, trigger, complete(trigger)) == []
        before = snapshot(case)
        try:
            fire(case, trigger, actor=actor, data=complete(trigger), plan=plan_for(case, trigger))
        except TransitionRefused:
            assert snapshot(case) == before
            assert not no_problems
            assert expected_dest is None
        else:
            succeeded.add(trigger)
            assert no_problems
            assert case.status is expected_dest
    case = SHAPES[shape]()
    buttons = available_triggers(case, actor)
    assert len(buttons) == len(set(buttons))
    assert set(buttons) == succeeded
    if role is Role.ADMIN:
        assert succeeded == set()
    else:
        assert "close" in succeeded or case.status not in OPEN_STATUSES
