"""The escalation sweep, `flask caseflow escalate`, run in-process on the test database.

Guards: every overdue waiting case moves up exactly one level, with a new due date from the
new level's limit (working days), one timeline event by the system, one drafted letter to the
new addressee; a second run changes nothing; cases at the top or with no resolvable office are
flagged once (one ATTENTION event across runs), listed and reported, never skipped silently;
a configuration problem exits 3; --dry-run changes nothing; bad options exit 2; batches walk
past flagged cases; the selection is served by ix_cases_due; flags of cases that moved on are
cleared. Two sweeps in separate processes: tests/test_sweep_concurrency.py.
"""
from datetime import date

import pytest
import sqlalchemy as sa

from caseflow.areas.services import save_office
from caseflow.cases.models import Attention, Case, CaseStatus, Channel, EventKind
from caseflow.cases.services import log_follow_up, transition
from caseflow.cases.workflow import SYSTEM, TransitionRefused
from caseflow.db import fixed_today
from caseflow.escalation import services
from caseflow.extensions import db
from caseflow.holidays.services import create_holiday
from caseflow.letters.models import LetterStatus
from tests import test_escalation_support as support
from tests.conftest import is_postgres, step_data
from tests.test_escalation_support import (
    DUE,
    FRIDAY,
    at_level,
    audit_actions,
    escalations,
    events,
    letters,
    row,
    runs,
    scheme_with_missing_office,
    snapshot,
    submitted,
    sweep,
)

w = support.w  # the fixture

S = CaseStatus
SATURDAY_AFTER = date(2026, 12, 26)  # the day after DUE


def fresh(case) -> Case:
    """The case as stored now (the sweep empties the session, so held objects are stale)."""
    return db.session.get(Case, case.id, populate_existing=True)


def ok(result, code=0):
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.output


def test_overdue_cases_move_up_exactly_one_level(app, w):
    first = submitted(w)  # level 1, due DUE
    second = at_level(w, 2)  # level 2, due DUE
    not_yet = submitted(w, on=date(2026, 12, 7))  # due 28 December
    output = ok(sweep(app, "--now", SATURDAY_AFTER.isoformat()))

    # New due date: 15 working days from Saturday 26 December: 28 Dec … 15 January.
    assert row(first.id)[:4] == (S.ESCALATED, 2, w.janpad.id, date(2027, 1, 15))
    # Level 3 (collector) allows 30 working days: 5 February.
    assert row(second.id)[:4] == (S.ESCALATED, 3, w.collector.id, date(2027, 2, 5))
    assert row(not_yet.id)[:2] == (S.SUBMITTED, 1)
    for case, office, level in ((first, w.janpad, 2), (second, w.collector, 3)):
        swept = [e for e in escalations(case.id) if e.actor_id is None]
        assert len(swept) == 1
        assert (swept[0].level, swept[0].office_id, swept[0].details["overdue_since"]) == (level, office.id,
                                                                                            DUE.isoformat())
        *earlier, letter = letters(case.id)
        # The letter of an earlier manual escalation asked the office the case has now left.
        assert [x.status for x in earlier] == [LetterStatus.SUPERSEDED] * (level - 2)
        assert (letter.addressee_office_id, letter.level, letter.created_by_id) == (office.id, level, None)
        assert letter.addressee_holder == office.holder_name
        assert letter.reference.startswith("SHR/LTR/2026/")
        assert events(case.id, EventKind.LETTER)[-1].details == {"letter_id": letter.id}
        assert "case.transition" in audit_actions("cases", case.id)
        assert audit_actions("letters", letter.id) == ["letter.drafted"]
    assert letters(not_yet.id) == []
    [run] = runs()
    assert (run.as_of, run.escalated, run.stalled_at_top, run.needs_configuration) == (SATURDAY_AFTER, 2, 0, 0)
    assert run.finished_at is not None
    assert "Summary: escalated 2; stalled at the top 0; could not resolve an addressee 0" in output


def test_a_second_run_changes_nothing_and_a_later_one_moves_one_more_level(app, w):
    case = submitted(w)
    ok(sweep(app, "--now", "2026-12-28"))
    after_first = snapshot()
    second = ok(sweep(app, "--now", "2026-12-28"))
    assert "escalated 0;" in second
    changed = {t for t in after_first if t not in ("sweep_runs", "audit_entries", "audit_head")
               and snapshot()[t] != after_first[t]}
    assert changed == set()
    assert (len(escalations(case.id)), len(letters(case.id)), row(case.id)[1]) == (1, 1, 2)
    # Level 2 from Monday 28 December: 15 working days → Monday 18 January; overdue from the 19th.
    assert row(case.id)[3] == date(2027, 1, 18)
    ok(sweep(app, "--now", "2027-01-18"))
    assert row(case.id)[1] == 2  # due that day, not yet overdue
    ok(sweep(app, "--now", "2027-01-19"))
    assert (len(escalations(case.id)), len(letters(case.id)), row(case.id)[1]) == (2, 2, 3)
    assert [r.escalated for r in runs()] == [1, 0, 0, 1]


def test_holidays_and_weekends_do_not_count_towards_the_new_limit(app, w):
    case = submitted(w)
    with fixed_today(FRIDAY):
        create_holiday(date(2027, 1, 1), "New Year", "नव वर्ष", actor=None)
        create_holiday(date(2027, 1, 11), "Local holiday", "स्थानीय अवकाश", actor=None)
    ok(sweep(app, "--now", SATURDAY_AFTER.isoformat()))
    # 28–31 Dec (4), 4–8 Jan (9), 12–15 Jan (13), 18–19 Jan (15).
    assert row(case.id)[3] == date(2027, 1, 19)


def test_a_promised_date_postpones_the_sweep(app, w):
    case = submitted(w)
    with fixed_today(date(2026, 12, 21)):
        log_follow_up(case, w.incharge, expected_version=case.version, channel=Channel.VISIT,
                      response="Will put it up in the next meeting", promised_date=date(2027, 1, 6))
    ok(sweep(app, "--now", SATURDAY_AFTER.isoformat()))
    assert row(case.id)[:2] == (S.SUBMITTED, 1)
    ok(sweep(app, "--now", "2027-01-07"))
    assert row(case.id)[:2] == (S.ESCALATED, 2)


def test_at_the_top_the_case_is_flagged_once_across_runs(app, w):
    case = at_level(w, 3)  # collector, 30 working days: due 15 January 2027
    first = ok(sweep(app, "--now", "2027-01-16"))
    assert "stalled at the top 1" in first
    assert row(case.id)[1:2] == (3,) and row(case.id)[4:6] == (Attention.STALLED_AT_TOP, date(2027, 1, 16))
    ok(sweep(app, "--now", "2027-01-20"))
    ok(sweep(app, "--now", "2027-02-01"))
    [flagged] = events(case.id, EventKind.ATTENTION)
    assert flagged.actor_id is None and flagged.details == {"attention": "stalled_at_top"}
    assert row(case.id)[4:6] == (Attention.STALLED_AT_TOP, date(2027, 1, 16))  # since the first time
    assert audit_actions("cases", case.id).count("case.attention") == 1
    assert [r.stalled_at_top for r in runs()] == [1, 1, 1]  # still reported by every run
    # The two manual escalations only, each with its letter; the first was superseded by the second.
    assert len(escalations(case.id)) == 2
    assert [x.status for x in letters(case.id)] == [LetterStatus.SUPERSEDED, LetterStatus.DRAFTED]


def test_an_unresolvable_office_is_a_configuration_problem_until_fixed(app, w):
    scheme, tehsildar = scheme_with_missing_office(w)
    case = submitted(w, scheme=scheme)
    result = sweep(app, "--now", SATURDAY_AFTER.isoformat())
    output = ok(result, 3)
    assert case.reference in output and "needs configuration" in output
    assert "could not resolve an addressee 1" in output
    assert row(case.id)[:2] == (S.SUBMITTED, 1)
    assert row(case.id)[4:6] == (Attention.NEEDS_CONFIGURATION, SATURDAY_AFTER)
    [flagged] = events(case.id, EventKind.ATTENTION)
    assert flagged.details == {"attention": "needs_configuration", "missing_level": 2, "office_kind_id": tehsildar.id}
    assert letters(case.id) == []
    ok(sweep(app, "--now", "2026-12-28"), 3)  # still a problem, still exits 3, no second event
    assert len(events(case.id, EventKind.ATTENTION)) == 1

    save_office(area_id=w.block.id, kind_id=tehsildar.id, holder_name="T. Singh", actor=None)
    ok(sweep(app, "--now", "2026-12-29"))
    assert row(case.id)[:2] == (S.ESCALATED, 2)
    assert row(case.id)[4:6] == (None, None)  # cleared when the case moved on
    assert [letter.level for letter in letters(case.id)] == [2]


def test_dry_run_lists_what_it_would_do_and_changes_nothing(app, w):
    overdue = submitted(w)
    top = at_level(w, 3, on=date(2026, 11, 2))
    scheme, _ = scheme_with_missing_office(w)
    stuck = submitted(w, scheme=scheme)
    refs = overdue.reference, top.reference, stuck.reference
    before = snapshot()
    output = ok(sweep(app, "--dry-run", "--now", "2027-01-04"), 3)
    assert snapshot() == before
    assert f"{refs[0]}: would escalate level 1 → 2" in output
    assert f"{refs[1]}: would flag stalled at level 3" in output
    assert f"{refs[2]}: no office" in output
    assert "would be escalated 1; would be stalled at the top 1; could not resolve an addressee 1" in output


@pytest.mark.parametrize("args", [["--now", "2026-13-01"], ["--now", "tomorrow"], ["--batch-size", "0"],
                                  ["--pause", "-1"]])
def test_bad_options_exit_2_and_change_nothing(app, w, args):
    submitted(w)
    before = snapshot()
    result = sweep(app, *args)
    assert result.exit_code == 2, result.output
    assert snapshot() == before


def test_a_case_that_moved_on_is_left_alone_and_its_flag_cleared(app, w):
    sanctioned = submitted(w)
    top, promised, still = at_level(w, 3), at_level(w, 3), at_level(w, 3)
    ok(sweep(app, "--now", "2027-01-16"))  # the first escalated, the other three flagged
    assert [row(c.id)[4] for c in (top, promised, still)] == [Attention.STALLED_AT_TOP] * 3
    with fixed_today(date(2027, 1, 18)):
        for case in (fresh(sanctioned), fresh(top)):
            transition(case, w.incharge, "sanction", step_data("sanction"), expected_version=case.version)
        case = fresh(promised)
        log_follow_up(case, w.incharge, expected_version=case.version, channel=Channel.VISIT,
                      response="Collector will decide in March", promised_date=date(2027, 3, 10))
    output = ok(sweep(app, "--now", "2027-03-01", "--batch-size", "1"))  # released one per transaction
    assert "cleared the flag of 2 cases" in output
    assert row(top.id)[:2] == (S.SANCTIONED, 3) and row(top.id)[4:6] == (None, None)
    assert row(promised.id)[:2] == (S.ESCALATED, 3) and row(promised.id)[4:6] == (None, None)
    assert row(still.id)[4:6] == (Attention.STALLED_AT_TOP, date(2027, 1, 16))  # still overdue at the top
    assert "case.attention_cleared" in audit_actions("cases", top.id)
    assert row(sanctioned.id)[:2] == (S.SANCTIONED, 2)


def test_small_batches_walk_past_flagged_cases(app, w):
    scheme, _ = scheme_with_missing_office(w)
    made = []
    for n in range(7):
        if n % 3 == 0:
            made.append(("top", at_level(w, 3, on=date(2026, 11, 2))))
        elif n % 3 == 1:
            made.append(("config", submitted(w, scheme=scheme)))
        else:
            made.append(("up", submitted(w)))
    output = ok(sweep(app, "--now", "2027-01-04", "--batch-size", "1"), 3)
    assert "Summary: escalated 2; stalled at the top 3; could not resolve an addressee 2" in output
    for kind, case in made:
        expected = {"top": (3, Attention.STALLED_AT_TOP), "config": (1, Attention.NEEDS_CONFIGURATION),
                    "up": (2, None)}[kind]
        assert (row(case.id)[1], row(case.id)[4]) == expected


def test_the_system_actor_may_only_escalate_an_overdue_case(app, w):
    case = submitted(w)
    with fixed_today(date(2026, 12, 24)):
        with pytest.raises(TransitionRefused):
            transition(case, SYSTEM, "escalate", {}, expected_version=case.version)
    with fixed_today(SATURDAY_AFTER):
        for trigger in ("sanction", "reject", "close"):
            with pytest.raises(TransitionRefused):
                transition(case, SYSTEM, trigger, step_data(trigger), expected_version=case.version)
    assert row(case.id)[:2] == (S.SUBMITTED, 1)


def test_the_selection_is_one_query_served_by_the_due_date_index(app, w):
    case = submitted(w)
    db.session.flush()  # nothing pending: the only statement seen below is the selection
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", grab)
    try:
        with fixed_today(SATURDAY_AFTER):
            selected = services.overdue_batch(S.SUBMITTED, (FRIDAY, 0), 500, lock=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", grab)
    assert selected == [(case.id, DUE)]
    [(statement, parameters)] = seen  # one query
    conn = db.session.connection()
    if is_postgres():
        assert "FOR UPDATE SKIP LOCKED" in statement
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a one-row table would be scanned otherwise
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    else:
        plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    assert "ix_cases_due" in plan, plan


def test_output_carries_references_not_personal_data(app, w):
    reference = submitted(w, person=w.person(name="Kamla Devi Unique")).reference
    output = ok(sweep(app, "--dry-run", "--now", "2027-01-04"))
    assert reference in output and "Kamla" not in output
