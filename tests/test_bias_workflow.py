"""The review machine of a bias report, on plain in-memory objects, and the CHECK constraints that
hold the same rules in the database.

Guards: every step from every status, allowed and refused; who may fire each step (supervisors
only; only the reviewer records the finding; only a second supervisor confirms or sends back);
the data each step needs; the two destinations of `record_finding` (a substantiated finding
against an elected head waits for confirmation, everything else concludes); that a refused step
changes nothing; that buttons and machine agree; and that the database refuses a row breaking
the second-supervisor rule even when the machine is bypassed.
"""
import itertools

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from caseflow.areas.models import Area, Office, OfficeKind
from caseflow.auth.models import Role, User
from caseflow.bias.models import AccusedRole, BiasReport, Finding, ReviewStatus
from caseflow.bias.workflow import (
    REVIEW_MACHINE,
    STEPS,
    TRIGGERS,
    TransitionRefused,
    available_triggers,
    mermaid_diagram,
    refusal,
)
from caseflow.db import utcnow
from caseflow.extensions import db
from tests.test_bias_helpers import file, finding_data, supervisor


def fire(report: BiasReport, trigger: str, *, actor, data: dict):
    return REVIEW_MACHINE.fire(report, trigger, actor=actor, data=data)

R = ReviewStatus
COLUMNS = [attr.key for attr in sa.inspect(BiasReport).column_attrs]
FIRST, SECOND, INCHARGE, ADMIN = 1, 2, 3, 4


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def user(uid: int, role: Role = Role.SUPERVISOR) -> User:
    return User(id=uid, username=f"u{uid}", display_name=f"U{uid}", role=role, active=True, locale="en")


USERS = {FIRST: user(FIRST), SECOND: user(SECOND), INCHARGE: user(INCHARGE, Role.INCHARGE),
         ADMIN: user(ADMIN, Role.ADMIN)}


def make_report(status: R = R.FILED, role: AccusedRole = AccusedRole.SARPANCH, finding: Finding | None = None,
                office_elected: bool | None = None) -> BiasReport:
    """A report whose fields are consistent with `status`, as the services would leave it."""
    report = BiasReport(id=9, case_id=1, area_path="0000001", accused_role=role, status=status, version=3,
                        filed_by_id=INCHARGE, kind=None, account="x")
    if office_elected is not None:
        report.accused_office = Office(kind=OfficeKind(code="k", name_en="K", name_hi="K", elected=office_elected),
                                       area=Area(name_en="A", name_hi="A"))
    if status is not R.FILED:
        report.reviewer_id = FIRST
    if status in (R.AWAITING_CONFIRMATION, R.CONCLUDED):
        report.finding = finding or (Finding.SUBSTANTIATED if status is R.AWAITING_CONFIRMATION else Finding.UNSUBSTANTIATED)
        report.finding_reasons, report.finding_by_id, report.finding_at = "Because.", FIRST, utcnow()
    if status is R.CONCLUDED:
        report.concluded_at = report.finding_at
    return report


def snapshot(report: BiasReport) -> dict:
    return {key: getattr(report, key) for key in COLUMNS}


# Who may take each step from its source, and data that completes it.
GOOD = {
    "take": (R.FILED, SECOND, {}),
    "take_over": (R.IN_REVIEW, SECOND, {"reason": "First reviewer is on leave"}),
    "record_finding": (R.IN_REVIEW, FIRST, finding_data(Finding.UNSUBSTANTIATED)),
    "confirm": (R.AWAITING_CONFIRMATION, SECOND, {}),
    "send_back": (R.AWAITING_CONFIRMATION, SECOND, {"reason": "Hear the sarpanch first"}),
    "reopen": (R.CONCLUDED, SECOND, {"reason": "New evidence"}),
}


def test_the_table_covers_every_trigger():
    assert set(GOOD) == set(TRIGGERS)


@pytest.mark.parametrize("trigger,status", list(itertools.product(TRIGGERS, R)))
def test_every_step_from_every_status(trigger, status):
    source, actor, data = GOOD[trigger]
    report = make_report(status)
    before = snapshot(report)
    if status is source:
        fire(report, trigger, actor=USERS[actor], data=data)
        assert report.status is not None
    else:
        with pytest.raises(TransitionRefused) as refused:
            fire(report, trigger, actor=USERS[actor], data=data)
        assert "not possible while the report is" in str(refused.value)
        assert snapshot(report) == before


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("who", [INCHARGE, ADMIN])
def test_only_supervisors_review(trigger, who):
    source, _actor, data = GOOD[trigger]
    report = make_report(source)
    before = snapshot(report)
    assert available_triggers(report, USERS[who]) == []
    with pytest.raises(TransitionRefused) as refused:
        fire(report, trigger, actor=USERS[who], data=data)
    assert "Only a supervisor can review a bias report." in refused.value.messages
    assert snapshot(report) == before


def test_take_makes_the_supervisor_the_reviewer():
    report = make_report(R.FILED)
    fire(report, "take", actor=USERS[SECOND], data={})
    assert (report.status, report.reviewer_id) == (R.IN_REVIEW, SECOND)


def test_only_the_reviewer_records_the_finding():
    report = make_report(R.IN_REVIEW)
    assert "record_finding" not in available_triggers(report, USERS[SECOND])
    with pytest.raises(TransitionRefused) as refused:
        fire(report, "record_finding", actor=USERS[SECOND], data=finding_data())
    assert "Only the supervisor reviewing this report can record its finding." in refused.value.messages
    assert report.status is R.IN_REVIEW and report.finding is None


def test_take_over_needs_another_supervisor_and_a_reason():
    report = make_report(R.IN_REVIEW)
    assert "take_over" not in available_triggers(report, USERS[FIRST])
    with pytest.raises(TransitionRefused, match="already reviewing"):
        fire(report, "take_over", actor=USERS[FIRST], data={"reason": "x"})
    with pytest.raises(TransitionRefused, match="A reason is required"):
        fire(report, "take_over", actor=USERS[SECOND], data={"reason": "  "})
    fire(report, "take_over", actor=USERS[SECOND], data={"reason": "On leave"})
    assert (report.status, report.reviewer_id) == (R.IN_REVIEW, SECOND)


@pytest.mark.parametrize("role,finding,office_elected,dest", [
    (AccusedRole.SARPANCH, Finding.SUBSTANTIATED, None, R.AWAITING_CONFIRMATION),
    (AccusedRole.PARSHAD, Finding.SUBSTANTIATED, None, R.AWAITING_CONFIRMATION),
    (AccusedRole.OTHER, Finding.SUBSTANTIATED, True, R.AWAITING_CONFIRMATION),  # an elected post of another kind
    (AccusedRole.PANCHAYAT_SECRETARY, Finding.SUBSTANTIATED, False, R.CONCLUDED),
    (AccusedRole.OTHER, Finding.SUBSTANTIATED, None, R.CONCLUDED),
    (AccusedRole.SARPANCH, Finding.UNSUBSTANTIATED, None, R.CONCLUDED),
    (AccusedRole.PARSHAD, Finding.REFERRED, None, R.CONCLUDED),
])
def test_record_finding_destination(role, finding, office_elected, dest):
    report = make_report(R.IN_REVIEW, role=role, office_elected=office_elected)
    data = finding_data(finding, referral_office_id=77 if finding is Finding.REFERRED else None)
    step, problems = REVIEW_MACHINE.decide(report, USERS[FIRST], "record_finding", data)
    assert problems == [] and step.dest is dest
    fire(report, "record_finding", actor=USERS[FIRST], data=data)
    assert report.status is dest
    assert (report.finding, report.finding_by_id, report.finding_reasons) == (finding, FIRST, data["reasons"])
    assert report.finding_at is not None
    assert (report.concluded_at is not None) == (dest is R.CONCLUDED)
    assert report.confirmed_by_id is None


@pytest.mark.parametrize("data,message", [
    ({"reasons": "Because"}, "Choose a finding."),
    ({"finding": "substantiated", "reasons": "Because"}, "Choose a finding."),
    ({"finding": Finding.SUBSTANTIATED, "reasons": "   "}, "Written reasons for the finding are required."),
    ({"finding": Finding.REFERRED, "reasons": "Because"}, "A referral needs the higher authority it is referred to."),
])
def test_record_finding_needs_its_data(data, message):
    report = make_report(R.IN_REVIEW)
    before = snapshot(report)
    assert message in refusal(report, USERS[FIRST], "record_finding", data)
    with pytest.raises(TransitionRefused):
        fire(report, "record_finding", actor=USERS[FIRST], data=data)
    assert snapshot(report) == before


@pytest.mark.parametrize("trigger", ["confirm", "send_back"])
def test_the_same_supervisor_cannot_confirm_or_send_back_their_own_finding(trigger):
    report = make_report(R.AWAITING_CONFIRMATION)
    before = snapshot(report)
    assert available_triggers(report, USERS[FIRST]) == []
    with pytest.raises(TransitionRefused) as refused:
        fire(report, trigger, actor=USERS[FIRST], data={"reason": "Looks right"})
    assert ("A second supervisor must confirm or send back this finding, not the one who recorded it."
            in refused.value.messages)
    assert snapshot(report) == before
    assert set(available_triggers(report, USERS[SECOND])) == {"confirm", "send_back"}


def test_confirm_by_a_second_supervisor_concludes():
    report = make_report(R.AWAITING_CONFIRMATION)
    fire(report, "confirm", actor=USERS[SECOND], data={})
    assert (report.status, report.finding, report.finding_by_id, report.confirmed_by_id) == (
        R.CONCLUDED, Finding.SUBSTANTIATED, FIRST, SECOND)
    assert report.concluded_at == report.confirmed_at is not None


def test_send_back_clears_the_finding_and_keeps_the_reviewer():
    report = make_report(R.AWAITING_CONFIRMATION)
    with pytest.raises(TransitionRefused, match="A reason is required"):
        fire(report, "send_back", actor=USERS[SECOND], data={})
    fire(report, "send_back", actor=USERS[SECOND], data={"reason": "Hear the sarpanch"})
    assert (report.status, report.reviewer_id) == (R.IN_REVIEW, FIRST)
    assert (report.finding, report.finding_reasons, report.finding_by_id, report.finding_at) == (None,) * 4


def test_reopen_needs_a_reason_and_makes_the_reopener_reviewer():
    report = make_report(R.CONCLUDED, finding=Finding.REFERRED)
    with pytest.raises(TransitionRefused, match="A reason is required"):
        fire(report, "reopen", actor=USERS[SECOND], data={"reason": ""})
    assert report.status is R.CONCLUDED
    fire(report, "reopen", actor=USERS[SECOND], data={"reason": "New witness"})
    assert (report.status, report.reviewer_id, report.finding, report.concluded_at) == (R.IN_REVIEW, SECOND, None, None)


@pytest.mark.parametrize("status", list(R))
@pytest.mark.parametrize("who", list(USERS))
def test_buttons_and_machine_agree(status, who):
    for trigger in TRIGGERS:
        report = make_report(status)
        shown = trigger in available_triggers(report, USERS[who])
        _source, _actor, data = GOOD[trigger]
        try:
            fire(report, trigger, actor=USERS[who], data=data)
            fired = True
        except TransitionRefused:
            fired = False
        assert shown == fired, (trigger, status, who)


def test_machine_is_built_once_and_has_no_back_doors():
    machine = REVIEW_MACHINE.machine
    assert machine.models == []
    assert not [name for name in machine.events if name.startswith("to_")]
    assert {name.split("#")[0] for name in machine.events} == set(TRIGGERS)


def test_diagram_shows_every_edge():
    text = mermaid_diagram()
    for step in STEPS:
        for source in step.sources:
            assert f"{source.value} --> {step.dest.value}: {step.trigger}" in text


# --- the same rules in the database ---------------------------------------------------------


def _try(report, **fields):
    with db.session.begin_nested():
        for key, value in fields.items():
            setattr(report, key, value)
        db.session.flush()


def test_database_refuses_a_confirmation_by_the_finder(app, world):
    with app.app_context():
        report = file(world)
        report.status, report.reviewer_id = R.AWAITING_CONFIRMATION, world.supervisor.id
        report.finding, report.finding_reasons = Finding.SUBSTANTIATED, "Because"
        report.finding_by_id, report.finding_at = world.supervisor.id, utcnow()
        db.session.flush()
        now = utcnow()
        with pytest.raises(IntegrityError):
            _try(report, status=R.CONCLUDED, concluded_at=now, confirmed_by_id=world.supervisor.id, confirmed_at=now)
        db.session.expire_all()
        report = db.session.get(BiasReport, report.id)
        # Nor may a substantiated finding against a sarpanch conclude without any confirmation.
        with pytest.raises(IntegrityError):
            _try(report, status=R.CONCLUDED, concluded_at=now)
        db.session.expire_all()
        report = db.session.get(BiasReport, report.id)
        second = supervisor("second", [world.state])
        _try(report, status=R.CONCLUDED, concluded_at=now, confirmed_by_id=second.id, confirmed_at=now)
        assert db.session.get(BiasReport, report.id).status is R.CONCLUDED


@pytest.mark.parametrize("fields", [
    {"status": R.AWAITING_CONFIRMATION},  # no finding
    {"status": R.IN_REVIEW},  # no reviewer
    {"status": R.CONCLUDED},  # no finding, no reviewer
])
def test_database_ties_status_to_its_data(app, world, fields):
    with app.app_context():
        report = file(world)
        with pytest.raises(IntegrityError):
            _try(report, **fields)


def test_docs_diagram_is_generated_from_the_transition_table():
    from pathlib import Path

    from caseflow.bias.cli import doc_with_diagram

    doc = (Path(__file__).resolve().parent.parent / "docs" / "bias.md").read_text()
    assert doc_with_diagram(doc, mermaid_diagram()) == doc, "run `flask caseflow bias-diagram --doc docs/bias.md`"


def test_cli_prints_the_diagram(app):
    result = app.test_cli_runner().invoke(args=["caseflow", "bias-diagram"])
    assert result.exit_code == 0 and result.output == mermaid_diagram()
