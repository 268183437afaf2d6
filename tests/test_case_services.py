"""The case verbs on the real database: transition, log_follow_up, open_case, and scope.

Guards: every step writes its timeline event in the same flush as the status change and
bumps the version exactly once; a refused or stale step writes nothing; follow-ups record
the contact and turn a promise into the due date; references are per district and year and
never reused; due dates count working days around weekends and holidays; the ladder's
offices are resolved level by level (and a missing office does not crash); Aadhaar numbers
in free text are masked before storage; a user sees only the cases in their areas.
"""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from caseflow.areas.services import create_office_kind
from caseflow.auth import services as auth_services
from caseflow.auth.models import Role
from caseflow.cases.models import Case, CaseEvent, CaseStatus, Channel, CloseReason, EventKind
from caseflow.cases.services import CaseError, log_follow_up, open_case, transition
from caseflow.cases.workflow import TransitionRefused
from caseflow.db import today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.holidays.services import create_holiday
from caseflow.schemes.services import save_scheme, set_ladder
from caseflow.scope import load_or_404, visible
from tests.conftest import PASSWORD, step_data

S = CaseStatus
AADHAAR = "2345 6789 0124"  # first digit 2-9 and a valid Verhoeff check digit: a real number's shape
MASKED = "XXXX XXXX 0124"


@pytest.fixture
def w(app, world):
    """The shared world, with a context for the test's database work.

    A request context (English), because refusal messages are lazily translated; that the
    services also work with no request at all (CLI, sweep) is checked on its own below.
    """
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield world


def make(w, status: str, closed_from: str | None = None) -> Case:
    """A case in `status`; a closed case is first brought to `closed_from` and closed from there."""
    if closed_from is None:
        return w.case(status=status)
    case = w.case(status=closed_from)
    transition(case, w.incharge, "close", step_data("close"), expected_version=case.version)
    return case


def stored(case_id: int):
    """The case's row as the database holds it now (a fresh query, not the identity map)."""
    return db.session.execute(
        sa.select(Case.status, Case.version, Case.level, Case.office_id, Case.due_date, Case.close_reason,
                  Case.ended_at, Case.rejection_reason, Case.confirmation_override_reason)
        .where(Case.id == case_id)
    ).one()


def events_of(case_id: int, kind: EventKind | None = None) -> list:
    query = sa.select(CaseEvent.kind, CaseEvent.trigger, CaseEvent.from_status, CaseEvent.to_status,
                      CaseEvent.actor_id, CaseEvent.level, CaseEvent.office_id, CaseEvent.note,
                      CaseEvent.channel, CaseEvent.promised_date, CaseEvent.details).where(CaseEvent.case_id == case_id)
    if kind is not None:
        query = query.where(CaseEvent.kind == kind)
    return db.session.execute(query.order_by(CaseEvent.id)).all()


def working_days_after(start: date, days: int, holidays: frozenset = frozenset()) -> date:
    """Reference arithmetic, independent of the app's: skip Saturdays, Sundays and holidays."""
    current = start
    while days:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


def unchanged(case: Case, action) -> None:
    """Run `action`, which must be refused, and check the case and its timeline did not move."""
    before_row, before_events = stored(case.id), events_of(case.id)
    action()
    db.session.flush()
    assert stored(case.id) == before_row
    assert events_of(case.id) == before_events
    assert case.version == before_row.version
    assert case.status is before_row.status


# --- every transition writes its event and bumps the version once ------------------------

EDGES = [
    ("identified", None, "verify", S.DOCUMENTED),
    ("documented", None, "submit", S.SUBMITTED),
    ("submitted", None, "escalate", S.ESCALATED),
    ("escalated", None, "escalate", S.ESCALATED),
    ("submitted", None, "sanction", S.SANCTIONED),
    ("escalated", None, "sanction", S.SANCTIONED),
    ("submitted", None, "reject", S.REJECTED),
    ("escalated", None, "reject", S.REJECTED),
    ("rejected", None, "appeal", S.ESCALATED),
    ("sanctioned", None, "deliver", S.RESOLVED),
    ("identified", None, "close", S.CLOSED),
    ("documented", None, "close", S.CLOSED),
    ("submitted", None, "close", S.CLOSED),
    ("escalated", None, "close", S.CLOSED),
    ("sanctioned", None, "close", S.CLOSED),
    ("rejected", None, "close", S.CLOSED),
    ("closed", "identified", "reopen", S.IDENTIFIED),
    ("closed", "documented", "reopen", S.DOCUMENTED),
    ("closed", "submitted", "reopen", S.SUBMITTED),
    ("closed", "escalated", "reopen", S.ESCALATED),
    ("resolved", None, "reopen", S.SUBMITTED),
]


@pytest.mark.parametrize(("source", "closed_from", "trigger", "dest", "role"),
                         [(*edge, ("incharge", "supervisor")[i % 2]) for i, edge in enumerate(EDGES)],
                         ids=[f"{c or s}-{t}" for s, c, t, _ in EDGES])
def test_transition_writes_event_and_bumps_version(w, source, closed_from, trigger, dest, role):
    """Each edge once, the actor alternating between an in-charge and a supervisor."""
    case = make(w, source, closed_from)
    actor = getattr(w, role)
    before, before_events = stored(case.id), events_of(case.id)
    assert before.status is S(source)
    data = step_data(trigger)

    event = transition(case, actor, trigger, data, expected_version=case.version)

    after = stored(case.id)
    assert after.status is dest
    assert after.version == before.version + 1 == case.version
    new_events = events_of(case.id)[len(before_events):]
    # A move up also drafts the letter to the new addressee, which the timeline shows.
    expected_kinds = [EventKind.TRANSITION] + ([EventKind.LETTER] if trigger in ("escalate", "appeal") else [])
    assert [e.kind for e in new_events] == expected_kinds
    row = new_events[0]
    assert row.kind is EventKind.TRANSITION
    assert (row.trigger, row.from_status, row.to_status) == (trigger, S(source), dest)
    assert row.actor_id == actor.id == event.actor_id
    assert row.level == (after.level or None)
    assert row.office_id == after.office_id
    assert row.note == data.get("reason")
    assert "reason" not in row.details


def test_submit_event_details_and_close_reason_are_stored(w):
    case = w.case(status="documented")
    transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
    details = events_of(case.id, EventKind.TRANSITION)[-1].details
    assert details == {"application_ref": "PMAYG/2026/0042", "application_date": "2026-01-05",
                       "from_level": 0, "to_level": 1}
    transition(case, w.incharge, "close", {"close_reason": CloseReason.MOVED}, expected_version=case.version)
    assert events_of(case.id, EventKind.TRANSITION)[-1].details == {"close_reason": "moved"}
    row = stored(case.id)
    assert row.close_reason is CloseReason.MOVED and row.ended_at is not None and row.due_date is None


def test_reopen_into_the_ladder_restarts_the_clock_at_the_same_level(w):
    case = make(w, "closed", "escalated")
    assert stored(case.id).due_date is None
    transition(case, w.incharge, "reopen", step_data("reopen"), expected_version=case.version)
    row = stored(case.id)
    assert (row.status, row.level, row.office_id) == (S.ESCALATED, 2, w.janpad.id)
    assert row.due_date == working_days_after(today(), 15)
    assert row.close_reason is None and row.ended_at is None


def test_supervisor_override_of_confirmation_is_recorded(w):
    case = w.case(status="sanctioned")
    data = {**step_data("deliver"), "beneficiary_confirmed": False, "override_reason": "Credit seen in passbook"}
    transition(case, w.supervisor, "deliver", data, expected_version=case.version)
    row = stored(case.id)
    assert row.status is S.RESOLVED
    assert row.confirmation_override_reason == "Credit seen in passbook"
    assert events_of(case.id, EventKind.TRANSITION)[-1].note == "Credit seen in passbook"


# --- refused and stale transitions write nothing --------------------------------------------

REFUSED = [
    ("identified", "deliver", step_data("deliver"), "incharge"),  # wrong status
    ("resolved", "escalate", step_data("escalate"), "supervisor"),  # wrong status
    ("documented", "submit", {}, "incharge"),  # missing data
    ("documented", "submit", {"application_ref": "A-1", "application_date": today() + timedelta(days=1)},
     "incharge"),
    ("submitted", "escalate", {}, "incharge"),  # early escalation without a reason
    ("submitted", "escalate", step_data("escalate"), "admin"),  # not a caseworker
    ("rejected", "appeal", {"reason": "  "}, "incharge"),
    ("sanctioned", "deliver", {**step_data("deliver"), "beneficiary_confirmed": False,
                               "override_reason": "in-charge may not override"}, "incharge"),
    ("identified", "close", {"close_reason": "duplicate"}, "incharge"),
    ("closed", "reopen", {}, "supervisor"),
    ("identified", "to_closed", {}, "supervisor"),  # no back door
]


@pytest.mark.parametrize(("status", "trigger", "data", "role"), REFUSED,
                         ids=[f"{s}-{t}-{i}" for i, (s, t, _, _) in enumerate(REFUSED)])
def test_refused_transition_writes_nothing(w, status, trigger, data, role):
    case = w.case(status=status)

    def attempt():
        with pytest.raises(TransitionRefused) as caught:
            transition(case, getattr(w, role), trigger, dict(data), expected_version=case.version)
        assert caught.value.messages

    unchanged(case, attempt)


def test_refusal_outside_a_request_is_a_clean_refusal(app, world):
    """CLI commands (the escalation sweep) call the services with an app context and no request."""
    with app.app_context():
        case = world.case(status="identified")
        with pytest.raises(TransitionRefused) as caught:
            transition(case, world.incharge, "deliver", step_data("deliver"), expected_version=case.version)
        assert caught.value.messages and str(caught.value)  # rendered in the default locale, no crash
        assert stored(case.id).status is S.IDENTIFIED


def test_escalate_through_the_ladder_then_refused_at_the_top(w):
    case = w.case(status="submitted")
    assert (case.level, case.office_id) == (1, w.secretary.id)
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    row = stored(case.id)
    assert (row.status, row.level, row.office_id) == (S.ESCALATED, 2, w.janpad.id)
    assert row.due_date == working_days_after(today(), 15)
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    row = stored(case.id)
    assert (row.status, row.level, row.office_id) == (S.ESCALATED, 3, w.collector.id)
    assert row.due_date == working_days_after(today(), 30)

    def at_top():
        with pytest.raises(TransitionRefused, match="top level"):
            transition(case, w.supervisor, "escalate", step_data("escalate"), expected_version=case.version)

    unchanged(case, at_top)


def test_stale_version_is_refused_and_writes_nothing(w):
    case = w.case(status="documented")
    seen = case.version
    transition(case, w.supervisor, "submit", step_data("submit"), expected_version=seen)

    def stale():
        with pytest.raises(Stale):
            transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=seen)

    unchanged(case, stale)

    def unversioned():
        with pytest.raises(Stale):
            transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=None)

    unchanged(case, unversioned)
    assert stored(case.id).status is S.SUBMITTED


def test_concurrent_change_in_the_database_is_refused(w):
    """Another writer moved the row after we loaded it: the flush notices, nothing is overwritten."""
    case = w.case(status="submitted")
    db.session.commit()
    seen = case.version
    # The other writer: a plain UPDATE on the connection, unseen by this session's objects.
    db.session.connection().execute(
        sa.update(Case.__table__).where(Case.__table__.c.id == case.id).values(version=seen + 1)
    )
    db.session.commit()
    assert case.version == seen
    with pytest.raises(Stale):
        transition(case, w.incharge, "sanction", step_data("sanction"), expected_version=seen)
    db.session.rollback()  # what the request wrapper does on any exception
    row = stored(case.id)
    assert (row.status, row.version) == (S.SUBMITTED, seen + 1)
    assert not [e for e in events_of(case.id) if e.trigger == "sanction"]


# --- follow-ups -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "escalated"])
def test_follow_up_promise_becomes_the_due_date(w, status):
    case = w.case(status=status)
    before = stored(case.id)
    promised = today() + timedelta(days=4)
    event = log_follow_up(case, w.incharge, expected_version=case.version, channel=Channel.VISIT,
                          response="Secretary promised the survey visit", office_id=case.office_id,
                          promised_date=promised)
    row = events_of(case.id, EventKind.FOLLOW_UP)
    assert len(row) == 1
    assert (row[0].channel, row[0].office_id, row[0].promised_date) == (Channel.VISIT, case.office_id, promised)
    assert row[0].note == "Secretary promised the survey visit"
    assert row[0].actor_id == w.incharge.id == event.actor_id
    assert row[0].level == before.level
    after = stored(case.id)
    assert after.due_date == promised != before.due_date
    assert after.version == before.version + 1
    assert after.status is before.status


@pytest.mark.parametrize("status", ["identified", "documented", "sanctioned", "rejected"])
def test_follow_up_outside_the_waiting_statuses_keeps_the_due_date(w, status):
    case = w.case(status=status)
    before = stored(case.id)
    promised = today()  # today is not in the past
    log_follow_up(case, w.supervisor, expected_version=case.version, channel=Channel.PHONE,
                  response="Will check", promised_date=promised)
    after = stored(case.id)
    assert after.due_date == before.due_date
    assert after.version == before.version + 1
    assert events_of(case.id, EventKind.FOLLOW_UP)[0].promised_date == promised


def test_follow_up_without_a_promise(w):
    case = w.case(status="submitted")
    before = stored(case.id)
    log_follow_up(case, w.incharge, expected_version=case.version, channel=Channel.LETTER,
                  response=f"Reply quotes Aadhaar {AADHAAR}")
    event = events_of(case.id, EventKind.FOLLOW_UP)[0]
    assert event.promised_date is None and event.office_id is None and event.channel is Channel.LETTER
    assert event.note == f"Reply quotes Aadhaar {MASKED}"
    assert stored(case.id).due_date == before.due_date


@pytest.mark.parametrize(("status", "role", "kwargs", "error"), [
    ("submitted", "incharge", {"promised_date": today() - timedelta(days=1)}, CaseError),
    ("closed", "incharge", {}, CaseError),
    ("resolved", "supervisor", {}, CaseError),
    ("submitted", "admin", {}, CaseError),
    ("submitted", "incharge", {"stale": True}, Stale),
    ("submitted", "incharge", {"unversioned": True}, Stale),
])
def test_refused_follow_up_writes_nothing(w, status, role, kwargs, error):
    case = w.case(status=status)
    version = case.version
    if kwargs.pop("stale", False):
        version -= 1
    if kwargs.pop("unversioned", False):
        version = None

    def attempt():
        with pytest.raises(error):
            log_follow_up(case, getattr(w, role), expected_version=version, channel=Channel.PHONE,
                          response="No answer", **kwargs)

    unchanged(case, attempt)


# --- opening a case ------------------------------------------------------------------------------


def test_open_case_numbers_per_district_and_year_never_reused(w):
    year = today().year
    first = open_case(w.incharge, w.person(name="Kamla Bai"), w.scheme, note=f"Card shows {AADHAAR}")
    second = open_case(w.incharge, w.person(name="Ramesh Kumar"), w.scheme)
    assert (first.reference, second.reference) == (f"SHR/{year}/000001", f"SHR/{year}/000002")
    # A removed case does not give its number back.
    db.session.delete(second)
    db.session.flush()
    third = open_case(w.supervisor, w.person(name="Gita Devi"), w.scheme)
    assert third.reference == f"SHR/{year}/000003"
    elsewhere = open_case(w.other_incharge, w.person(name="Shanti Bai", settlement=w.other_village,
                                                     actor=w.other_incharge), w.scheme)
    assert elsewhere.reference == f"RSN/{year}/000001"

    created = events_of(first.id)
    assert [(e.kind, e.actor_id, e.note) for e in created] == [
        (EventKind.CREATED, w.incharge.id, f"Card shows {MASKED}")]
    row = stored(first.id)
    assert (row.status, row.level, row.office_id, row.due_date) == (S.IDENTIFIED, 0, None, None)
    assert first.assigned_to_id == w.incharge.id and first.created_by_id == w.incharge.id
    assert third.assigned_to_id is None and third.created_by_id == w.supervisor.id
    assert first.area_path == w.village.path and first.area_id == w.village.id


@pytest.mark.parametrize("role", ["other_incharge", "admin"])
def test_open_case_refused_outside_scope_or_for_admin(w, role):
    person = w.person()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    with pytest.raises(CaseError):
        open_case(getattr(w, role), person, w.scheme)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == count


def test_open_case_refused_for_an_inactive_scheme(w):
    save_scheme(w.scheme, active=False, actor=None)
    with pytest.raises(CaseError):
        open_case(w.incharge, w.person(), w.scheme)


# --- due dates, offices and the ladder -------------------------------------------------------


def test_submit_sets_level_one_office_and_working_day_due_date(w):
    case = w.case(status="documented")
    transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
    row = stored(case.id)
    assert (row.level, row.office_id) == (1, w.secretary.id)
    expected = working_days_after(today(), 15)
    assert row.due_date == expected
    # 15 working days always span three calendar weeks exactly when no holiday intervenes.
    assert expected - today() == timedelta(days=21)


def test_submit_skips_holidays_but_not_weekend_holidays(w):
    first_weekday = next(today() + timedelta(days=n) for n in range(1, 8) if (today() + timedelta(days=n)).weekday() < 5)
    saturday = next(today() + timedelta(days=n) for n in range(1, 8) if (today() + timedelta(days=n)).weekday() == 5)
    create_holiday(first_weekday, "Test holiday", "परीक्षण अवकाश", actor=None)
    create_holiday(saturday, "Weekend holiday", "सप्ताहांत अवकाश", actor=None)
    case = w.case(status="documented")
    transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
    due = stored(case.id).due_date
    assert due == working_days_after(today(), 15, frozenset({first_weekday, saturday}))
    assert due == working_days_after(working_days_after(today(), 15), 1)  # one working day later, no more


def test_submit_with_no_office_of_the_ladder_kind(w):
    tehsildar = create_office_kind(code="tehsildar", name_en="Tehsildar", name_hi="तहसीलदार", actor=None)
    scheme = save_scheme(code="NSAP-OAP", name_en="Old age pension", name_hi="वृद्धावस्था पेंशन",
                         department="Social Justice", proof_of_delivery="First pension credit", actor=None)
    set_ladder(scheme, [(tehsildar.id, 10), (w.kinds["collector"].id, 20), (w.kinds["sarpanch"].id, 5)], actor=None)
    case = open_case(w.incharge, w.person(), scheme)
    transition(case, w.incharge, "verify", {}, expected_version=case.version)
    transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
    row = stored(case.id)
    assert (row.status, row.level, row.office_id) == (S.SUBMITTED, 1, None)
    assert row.due_date == working_days_after(today(), 10)
    assert events_of(case.id, EventKind.TRANSITION)[-1].office_id is None
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    assert (stored(case.id).level, stored(case.id).office_id) == (2, w.collector.id)
    # The sarpanch's office is at the GP: resolved by walking up from the village.
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    assert (stored(case.id).level, stored(case.id).office_id) == (3, w.sarpanch.id)


def test_office_in_the_other_district_is_never_chosen(w):
    from caseflow.areas.services import save_office

    save_office(area_id=w.other_village.id, kind_id=w.kinds["collector"].id, holder_name="Not ours", actor=None)
    tehsildar = create_office_kind(code="tehsildar", name_en="Tehsildar", name_hi="तहसीलदार", actor=None)
    save_office(area_id=w.other_district.id, kind_id=tehsildar.id, holder_name="Also not ours", actor=None)
    scheme = save_scheme(code="PMUY", name_en="Ujjwala", name_hi="उज्ज्वला", department="Petroleum",
                         proof_of_delivery="LPG connection number", actor=None)
    set_ladder(scheme, [(tehsildar.id, 10), (w.kinds["collector"].id, 20)], actor=None)
    case = open_case(w.incharge, w.person(), scheme)
    transition(case, w.incharge, "verify", {}, expected_version=case.version)
    transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
    assert stored(case.id).office_id is None
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    assert stored(case.id).office_id == w.collector.id


# --- Aadhaar numbers in free text --------------------------------------------------------------


@pytest.mark.parametrize("number", [AADHAAR, "234567890124", "2345\u20136789\u20130124"])
def test_aadhaar_in_a_reason_is_stored_masked(w, number):
    case = w.case(status="submitted")
    transition(case, w.incharge, "reject", {"reason": f"Officer says Aadhaar {number} does not match"},
               expected_version=case.version)
    expected = f"Officer says Aadhaar {MASKED} does not match"
    assert stored(case.id).rejection_reason == expected
    assert events_of(case.id, EventKind.TRANSITION)[-1].note == expected
    for event in events_of(case.id):
        assert "23456789" not in re.sub(r"\D", "", repr(tuple(event)))


def test_aadhaar_in_an_override_reason_is_stored_masked(w):
    case = w.case(status="sanctioned")
    data = {**step_data("deliver"), "beneficiary_confirmed": False,
            "override_reason": f"Passbook of {AADHAAR} shows the credit"}
    transition(case, w.supervisor, "deliver", data, expected_version=case.version)
    assert stored(case.id).confirmation_override_reason == f"Passbook of {MASKED} shows the credit"
    event = events_of(case.id, EventKind.TRANSITION)[-1]
    assert event.note == f"Passbook of {MASKED} shows the credit"
    assert AADHAAR not in str(event.details)


# --- scope -------------------------------------------------------------------------------------------


def test_scope_of_cases(w):
    ours = w.case(status="submitted")
    theirs = w.case(person=w.person(name="Shanti Bai", settlement=w.other_village, actor=w.other_incharge),
                    actor=w.other_incharge, status="documented")
    unscoped = auth_services.create_user(username="nowhere", display_name="No areas", password=PASSWORD,
                                         role=Role.INCHARGE, areas=[], locale="en", actor=None)

    def cases_of(user):
        return set(db.session.scalars(sa.select(Case.id).where(visible(user, Case))))

    assert cases_of(w.incharge) == {ours.id}
    assert cases_of(w.other_incharge) == {theirs.id}
    assert cases_of(w.supervisor) == {ours.id, theirs.id}
    assert cases_of(w.admin) == set()
    assert cases_of(unscoped) == set()

    assert load_or_404(Case, ours.id, w.incharge).id == ours.id
    assert load_or_404(Case, theirs.id, w.other_incharge).id == theirs.id
    for case in (ours, theirs):
        assert load_or_404(Case, case.id, w.supervisor).id == case.id
    missing = max(ours.id, theirs.id) + 1000
    for user, case_id in [(w.incharge, theirs.id), (w.other_incharge, ours.id), (w.admin, ours.id),
                          (w.admin, theirs.id), (unscoped, ours.id), (w.incharge, missing)]:
        with pytest.raises(NotFound):
            load_or_404(Case, case_id, user)
