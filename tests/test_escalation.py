"""Escalation routing with the bias skip, manual escalation, sending back, the SLA clock and the pages.

Guards: an office accused in a blocking bias report is skipped (sweep and manual), so no
letter is addressed to it; every level above accused means the case stalls; a report that no
longer blocks (concluded unsubstantiated) or sits on another case changes nothing. Manual
escalation needs a reason before the due date and drafts the letter. A supervisor sends a case
back exactly one level (never below 1, never to an accused office, never over a stale version)
and nobody else can. Due dates and the on-track / at-risk / overdue standing count working
days (weekends, holidays, promised dates, level changes). The supervisor lists are scoped.
"""
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from caseflow.cases import routing
from caseflow.cases.models import Attention, Case, CaseStatus, Channel, EventKind
from caseflow.cases.queries import sla_standing
from caseflow.cases.services import log_follow_up, transition
from caseflow.cases.workflow import TransitionRefused
from caseflow.db import fixed_today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.holidays.services import create_holiday, working_days_after
from tests import test_escalation_support as support
from tests.conftest import step_data, text_of
from tests.test_escalation_support import (
    DUE,
    FRIDAY,
    SUBSTANTIATED,
    UNSUBSTANTIATED,
    at_level,
    audit_actions,
    bias_report,
    escalations,
    events,
    letters,
    row,
    sarpanch_scheme,
    scheme_with_missing_office,
    submitted,
    sweep,
)

w = support.w  # the fixture
S = CaseStatus
LATE = "2027-01-04"  # every case submitted on FRIDAY is overdue by then


def send_back(case, actor, reason):
    return transition(case, actor, "send_back", {"reason": reason}, expected_version=case.version)


def ok(result, code=0):
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.output


# --- bias-aware routing -------------------------------------------------------------------------


def test_route_skips_an_accused_office(w):
    case = submitted(w)
    assert routing.route_up(case) == routing.Route(level=2, office_id=w.janpad.id, time_limit_days=15)
    bias_report(w, case, w.janpad)
    route = routing.route_up(case)
    assert (route.level, route.office_id, route.skipped) == (3, w.collector.id, (2,))


def test_the_sweep_skips_the_accused_sarpanch_and_writes_to_the_level_above(app, w):
    scheme = sarpanch_scheme(w)
    case = submitted(w, scheme=scheme)
    bias_report(w, case, w.sarpanch)
    output = ok(sweep(app, "--now", LATE))
    assert "skipping level(s) 2 (bias report)" not in output  # only dry runs list each case
    assert row(case.id)[:3] == (S.ESCALATED, 3, w.collector.id)
    assert [(x.addressee_office_id, x.level) for x in letters(case.id)] == [(w.collector.id, 3)]
    [swept] = escalations(case.id)
    assert swept.details["skipped_levels"] == [2] and swept.office_id == w.collector.id
    assert "case.bias_skip" in audit_actions("cases", case.id)
    # The due date comes from the level reached (collector, 20 working days from Monday 4 January).
    assert row(case.id)[3] == date(2027, 2, 1)


def test_when_every_level_above_is_accused_the_case_stalls(app, w):
    scheme = sarpanch_scheme(w, levels=("panchayat_secretary", "sarpanch"))
    case = submitted(w, scheme=scheme)
    case_id = case.id
    bias_report(w, case, w.sarpanch)
    dry = ok(sweep(app, "--dry-run", "--now", LATE))
    assert "every level above is accused in a bias report" in dry
    ok(sweep(app, "--now", LATE))
    assert row(case_id)[:2] == (S.SUBMITTED, 1)
    assert row(case_id)[4] is Attention.STALLED_AT_TOP
    [flagged] = events(case_id, EventKind.ATTENTION)
    assert flagged.details == {"attention": "stalled_at_top", "skipped_levels": [2]}
    assert letters(case_id) == []


@pytest.mark.parametrize("report, blocks", [
    ({}, True),  # filed, under review
    (SUBSTANTIATED, True),
    (UNSUBSTANTIATED, False),
])
def test_only_blocking_reports_divert_the_case(app, w, report, blocks):
    scheme = sarpanch_scheme(w)
    case = submitted(w, scheme=scheme)
    bias_report(w, case, w.sarpanch, **report)
    ok(sweep(app, "--now", LATE))
    expected = w.collector if blocks else w.sarpanch
    assert [x.addressee_office_id for x in letters(case.id)] == [expected.id]


def test_a_report_on_another_case_does_not_divert_this_one(app, w):
    scheme = sarpanch_scheme(w)
    case, other = submitted(w, scheme=scheme), submitted(w, scheme=scheme)
    bias_report(w, other, w.sarpanch)
    ok(sweep(app, "--now", LATE))
    assert [x.addressee_office_id for x in letters(case.id)] == [w.sarpanch.id]
    assert [x.addressee_office_id for x in letters(other.id)] == [w.collector.id]


# --- manual escalation --------------------------------------------------------------------------


def test_manual_escalation_before_the_due_date_needs_a_reason_and_drafts_the_letter(w):
    case = submitted(w)
    with fixed_today(date(2026, 12, 10)):
        with pytest.raises(TransitionRefused):
            transition(case, w.incharge, "escalate", {}, expected_version=case.version)
        assert letters(case.id) == [] and row(case.id)[1] == 1
        transition(case, w.incharge, "escalate", {"reason": "Secretary on long leave"}, expected_version=case.version)
    assert row(case.id)[:4] == (S.ESCALATED, 2, w.janpad.id, date(2026, 12, 31))
    [letter] = letters(case.id)
    assert (letter.addressee_office_id, letter.level, letter.due_within_days, letter.created_by_id) == (
        w.janpad.id, 2, 15, w.incharge.id)
    [escalated] = escalations(case.id)
    assert escalated.actor_id == w.incharge.id and escalated.note == "Secretary on long leave"


def test_manual_escalation_applies_the_bias_skip(w):
    scheme = sarpanch_scheme(w)
    case = submitted(w, scheme=scheme)
    bias_report(w, case, w.sarpanch)
    transition(case, w.incharge, "escalate", {"reason": "Sarpanch refuses"}, expected_version=case.version)
    assert row(case.id)[1:3] == (3, w.collector.id)
    assert [x.addressee_office_id for x in letters(case.id)] == [w.collector.id]


def test_the_machine_step_itself_skips_the_accused_office(w):
    """cases.services.transition (used by other callers) plans the same route, letter or not."""
    scheme = sarpanch_scheme(w)
    case = submitted(w, scheme=scheme)
    bias_report(w, case, w.sarpanch)
    transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    assert row(case.id)[1:3] == (3, w.collector.id)


@pytest.mark.parametrize("setup", ["all accused", "office missing", "at the top"])
def test_manual_escalation_refused_where_the_sweep_would_flag(w, setup):
    if setup == "all accused":
        case = submitted(w, scheme=sarpanch_scheme(w, levels=("panchayat_secretary", "sarpanch")))
        bias_report(w, case, w.sarpanch)
        expected = "accused in a bias report"
    elif setup == "office missing":
        case = submitted(w, scheme=scheme_with_missing_office(w)[0])
        expected = "office is set up"
    else:
        case = at_level(w, 3)
        expected = "top level"
    db.session.commit()  # the setup stays; the refused attempt is rolled back as a request would be
    before, letters_before = row(case.id), [(x.id, x.status) for x in letters(case.id)]
    with force_locale("en"), pytest.raises(TransitionRefused, match=expected):
        transition(case, w.supervisor, "escalate", {"reason": "Try"}, expected_version=case.version)
    db.session.rollback()
    assert row(case.id) == before and [(x.id, x.status) for x in letters(case.id)] == letters_before


def test_manual_escalation_with_a_stale_version_writes_nothing(w):
    case = submitted(w)
    with pytest.raises(Stale):
        transition(case, w.incharge, "escalate", {"reason": "Late"}, expected_version=case.version - 1)
    assert row(case.id)[1] == 1 and letters(case.id) == []


def test_manual_escalation_of_a_flagged_case_clears_the_flag(app, w):
    scheme, tehsildar = scheme_with_missing_office(w)
    case = submitted(w, scheme=scheme)
    ok(sweep(app, "--now", LATE), 3)
    from caseflow.areas.services import save_office

    save_office(area_id=w.district.id, kind_id=tehsildar.id, holder_name="T. Singh", actor=None)
    case = db.session.get(Case, case.id, populate_existing=True)
    with fixed_today(date(2027, 1, 5)):
        transition(case, w.incharge, "escalate", {}, expected_version=case.version)  # overdue: no reason needed
    assert row(case.id)[1] == 2 and row(case.id)[4:6] == (None, None)


def test_the_case_page_escalate_button_drafts_the_letter(app, world, client, auth):
    with app.app_context():
        case = submitted(world)
        case_id, version = case.id, case.version
        db.session.commit()
    auth.login(world.incharge)
    response = client.post(f"/cases/{case_id}/do/escalate",
                           data={"escalate-version": version, "escalate-reason": "No reply to three visits"})
    assert response.status_code == 303, text_of(response)
    with app.app_context():
        assert row(case_id)[1] == 2
        assert [x.addressee_office_id for x in letters(case_id)] == [world.janpad.id]


# --- sending a case back down -------------------------------------------------------------------


def test_a_supervisor_sends_a_case_back_one_level(app, w):
    case = at_level(w, 2)
    with fixed_today(date(2026, 12, 14)):
        event = send_back(case, w.supervisor, "The secretary must decide first")
    # Back at level 1 the case is "submitted" again; 15 working days from 14 Dec.
    assert row(case.id)[:4] == (S.SUBMITTED, 1, w.secretary.id, date(2027, 1, 4))
    assert (event.kind, event.trigger, event.actor_id, event.level, event.office_id, event.note) == (
        EventKind.TRANSITION, "send_back", w.supervisor.id, 1, w.secretary.id, "The secretary must decide first")
    assert (event.details["from_level"], event.details["to_level"]) == (2, 1)
    assert "case.transition" in audit_actions("cases", case.id)
    # Back in the flow: when level 1's time runs out again, the sweep escalates it again.
    ok(sweep(app, "--now", "2027-01-05"))
    assert row(case.id)[1:3] == (2, w.janpad.id)


def test_sending_back_clears_a_stalled_flag(app, w):
    case = at_level(w, 3)
    ok(sweep(app, "--now", "2027-01-16"))
    case = db.session.get(Case, case.id, populate_existing=True)
    assert case.attention is Attention.STALLED_AT_TOP
    send_back(case, w.supervisor, "Janpad CEO to decide")
    assert row(case.id)[1] == 2 and row(case.id)[4:6] == (None, None)


def _refusal_case(w, kind):
    if kind == "level 1":
        return submitted(w), {}
    if kind == "sanctioned":
        case = at_level(w, 2)
        transition(case, w.incharge, "sanction", step_data("sanction"), expected_version=case.version)
        return case, {}
    if kind == "accused below":
        case = submitted(w, scheme=sarpanch_scheme(w))
        transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
        transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
        bias_report(w, case, w.sarpanch)
        return case, {}
    case = at_level(w, 2)
    return case, {"in-charge": {"actor": w.incharge}, "stale": {"version": case.version - 1},
                  "no reason": {"reason": "   "}, "other supervisor": {"actor": w.other_supervisor}}[kind]


@pytest.mark.parametrize("kind, error", [
    ("level 1", TransitionRefused), ("sanctioned", TransitionRefused), ("accused below", TransitionRefused),
    ("in-charge", TransitionRefused), ("stale", Stale), ("no reason", TransitionRefused),
    ("other supervisor", TransitionRefused),
])
def test_send_back_refusals_write_nothing(w, kind, error):
    from caseflow.auth import services as auth_services
    from caseflow.auth.models import Role
    from tests.conftest import PASSWORD

    w.other_supervisor = auth_services.create_user(username="sup2", display_name="Raisen supervisor",
                                                   password=PASSWORD, role=Role.SUPERVISOR,
                                                   areas=[w.other_district], locale="en", actor=None)
    case, how = _refusal_case(w, kind)
    db.session.commit()  # the setup stays; the refused attempt is rolled back as a request would be
    before = row(case.id)
    with pytest.raises(error):
        transition(case, how.get("actor", w.supervisor), "send_back", {"reason": how.get("reason", "Decide it")},
                   expected_version=how.get("version", case.version))
    db.session.rollback()
    assert row(case.id) == before
    assert [e for e in events(case.id, EventKind.TRANSITION) if e.trigger == "send_back"] == []


def test_send_back_from_the_case_page(app, world, client, auth):
    with app.app_context():
        case = at_level(world, 2)
        case_id, version = case.id, case.version
        db.session.commit()
    auth.login(world.incharge)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-action="send_back"' not in page
    refused = client.post(f"/cases/{case_id}/do/send_back",
                          data={"send_back-version": version, "send_back-reason": "Decide it"})
    assert refused.status_code == 422 and "Only a supervisor" in text_of(refused)
    auth.logout()
    auth.login(world.supervisor)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-action="send_back"' in page
    stale = client.post(f"/cases/{case_id}/do/send_back",
                        data={"send_back-version": version - 1, "send_back-reason": "Typed with care"})
    assert stale.status_code == 409 and "Typed with care" in text_of(stale)
    response = client.post(f"/cases/{case_id}/do/send_back",
                           data={"send_back-version": version, "send_back-reason": "The secretary must decide"})
    assert response.status_code == 303
    with app.app_context():
        assert row(case_id)[1:3] == (1, world.secretary.id)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-action="send_back"' not in page  # at level 1 now


# --- the SLA clock ------------------------------------------------------------------------------


def test_working_days_are_counted_without_weekends_and_holidays():
    assert working_days_after(FRIDAY, DUE, set()) == 15
    assert working_days_after(FRIDAY, date(2026, 12, 6), set()) == 0  # the weekend
    assert working_days_after(FRIDAY, DUE, {date(2026, 12, 24), date(2026, 12, 26)}) == 14  # a Saturday holiday
    assert working_days_after(DUE, FRIDAY, set()) == 0


def test_due_dates_skip_weekends_and_holidays(w):
    assert row(submitted(w).id)[3] == DUE
    create_holiday(date(2026, 12, 25), "Christmas", "क्रिसमस", actor=None)
    create_holiday(date(2026, 12, 8), "Local fair", "मेला", actor=None)
    assert row(submitted(w).id)[3] == date(2026, 12, 29)  # two weekday holidays: two more working days


@pytest.mark.parametrize("on, expected", [
    (FRIDAY, ("on_track", 15)),
    (date(2026, 12, 19), ("on_track", 5)),  # a Saturday: the weekend does not eat into the time
    (date(2026, 12, 21), ("on_track", 4)),
    (date(2026, 12, 22), ("at_risk", 3)),  # the last 20 % of 15 working days
    (DUE, ("at_risk", 0)),  # the due day itself
    (date(2026, 12, 26), ("overdue", -1)),
    (date(2027, 1, 4), ("overdue", -10)),
])
def test_standing_on_track_at_risk_overdue(w, on, expected):
    case = submitted(w)
    assert sla_standing(case, on) == expected


def test_a_holiday_brings_the_risk_forward(w):
    case = submitted(w)
    create_holiday(date(2026, 12, 24), "Local holiday", "स्थानीय अवकाश", actor=None)
    # The due date was set before the holiday was declared; the time left shrinks.
    assert sla_standing(case, date(2026, 12, 21)) == ("at_risk", 3)


def test_a_promise_moves_the_due_date_and_the_standing(w):
    case = submitted(w)
    with fixed_today(date(2026, 12, 22)):
        log_follow_up(case, w.incharge, expected_version=case.version, channel=Channel.PHONE,
                      response="Will sanction after the meeting", promised_date=date(2027, 1, 15))
    assert row(case.id)[3] == date(2027, 1, 15)
    assert sla_standing(case, date(2026, 12, 22)) == ("on_track", 18)
    assert sla_standing(case, date(2027, 1, 12)) == ("at_risk", 3)


def test_the_at_risk_window_follows_the_level_limit(w):
    case = at_level(w, 3)  # collector: 30 working days, due 15 January 2027; at risk in the last 6
    assert sla_standing(case, date(2027, 1, 6)) == ("on_track", 7)
    assert sla_standing(case, date(2027, 1, 7)) == ("at_risk", 6)


def test_no_standing_when_no_office_holds_the_case(w):
    case = at_level(w, 2)
    transition(case, w.incharge, "sanction", step_data("sanction"), expected_version=case.version)
    assert sla_standing(case, FRIDAY) == (None, None)


def test_the_queue_and_the_case_page_say_the_standing_in_words_and_colour(app, world, client, auth):
    with app.app_context():
        on_track = submitted(world, on=date(2026, 12, 21)).id
        at_risk = submitted(world).id
        overdue = submitted(world, on=date(2026, 12, 1)).id  # due 22 December
        db.session.commit()
    auth.login(world.incharge)
    with fixed_today(date(2026, 12, 23)):
        queue = client.get("/queue").get_data(as_text=True)
        pages = {case_id: client.get(f"/cases/{case_id}").get_data(as_text=True)
                 for case_id in (on_track, at_risk, overdue)}
    assert 'class="badge sla-on_track" data-sla="on_track">On track: 13 working days left' in queue
    assert 'class="badge sla-at_risk" data-sla="at_risk">At risk: 2 working days left' in queue
    assert 'class="badge sla-overdue" data-sla="overdue">Overdue by 1 day<' in queue
    assert "On track: 13 working days left" in pages[on_track]
    assert "At risk: 2 working days left" in pages[at_risk]
    assert "Overdue by 1 day" in pages[overdue]


# --- the supervisor lists and the case panel ----------------------------------------------------


def _flag_one_case_per_district(app, world):
    with app.app_context():
        top = at_level(world, 3)
        raisen = world.person(name="Kamla Bai", settlement=world.other_village, actor=world.other_incharge)
        scheme, _ = scheme_with_missing_office(world)
        stuck = submitted(world, scheme=scheme, person=raisen, actor=world.other_incharge)
        ok(sweep(app, "--now", "2027-01-18"), 3)
        ids = top.id, stuck.id
        refs = db.session.scalars(sa.select(Case.reference).where(Case.id.in_(ids)).order_by(Case.id)).all()
        db.session.commit()
    return dict(zip(("top", "stuck"), zip(ids, refs, strict=True), strict=True))


def test_the_lists_show_flagged_cases_in_scope(app, world, client, auth):
    flagged = _flag_one_case_per_district(app, world)
    top_ref, stuck_ref = flagged["top"][1], flagged["stuck"][1]
    auth.login(world.supervisor)
    stalled = text_of(client.get("/escalation/stalled"))
    configuration = text_of(client.get("/escalation/configuration"))
    assert top_ref in stalled and stuck_ref not in stalled
    assert stuck_ref in configuration and top_ref not in configuration
    assert "No “Tehsildar” office is set up for this area (level 2)" in configuration
    assert "Last sweep: 18/01/2027 — escalated 0, stalled at the top 1, could not resolve an addressee 1" in stalled
    auth.logout()
    auth.login(world.incharge)  # Sehore
    assert top_ref in text_of(client.get("/escalation/stalled"))
    assert stuck_ref not in text_of(client.get("/escalation/configuration"))
    auth.logout()
    auth.login(world.other_incharge)  # Raisen
    assert top_ref not in text_of(client.get("/escalation/stalled"))
    assert stuck_ref in text_of(client.get("/escalation/configuration"))
    auth.logout()
    auth.login(world.admin)
    assert client.get("/escalation/stalled").status_code == 403


def test_the_list_pages_through_many_cases(app, world, client, auth):
    with app.app_context():
        refs = [at_level(world, 3).reference for _ in range(3)]
        ok(sweep(app, "--now", "2027-01-18"))
        db.session.commit()
    from caseflow.escalation import views

    auth.login(world.supervisor)
    original, views.PAGE_SIZE = views.PAGE_SIZE, 2
    try:
        first = client.get("/escalation/stalled").get_data(as_text=True)
        link = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
        second = client.get(link).get_data(as_text=True)
    finally:
        views.PAGE_SIZE = original
    assert [r in first for r in refs] == [True, True, False]
    assert [r in second for r in refs] == [False, False, True]
    assert "3 cases" in first


def test_the_case_panel_shows_the_ladder_the_skip_and_the_flag(app, world, client, auth):
    with app.app_context():
        scheme = sarpanch_scheme(world, levels=("panchayat_secretary", "sarpanch"))
        case = submitted(world, scheme=scheme)
        bias_report(world, case, world.sarpanch)
        case_id = case.id
        ok(sweep(app, "--now", LATE))
        db.session.commit()
    auth.login(world.incharge)
    page = client.get(f"/cases/{case_id}")
    html, words = page.get_data(as_text=True), text_of(page)
    assert 'data-testid="escalation-panel"' in html and 'data-testid="bias-skip"' in html
    assert "Stalled at the top since 04/01/2027" in words
    assert "Every level above is held by an office accused in a bias report" in words
    assert 'href="/escalation/stalled"' in html
