"""The sweep's batch writes exactly what escalating the same cases one at a time writes.

`transition_many` is the one escalation path: the case page takes it with a batch of one, the
sweep with hundreds. Guards: from the same starting point (two districts, cases at levels 1
and 2, a drafted letter the move supersedes, an accused office skipped, a case stalled at the
top), one sweep batch and the same cases escalated one by one with `transition`, in the same
order, leave the same cases (status, level, office, due date, flag, version), the same events
with their details, the same letters (register numbers, addressees, snapshots, levels, the
office copied in, the step that made them), the same superseded letters, and the same audit
entries (actions, objects, data) with an intact chain. Both runs start from one savepoint.
"""
from datetime import date

import sqlalchemy as sa

from caseflow.areas.models import Area
from caseflow.areas.services import save_office
from caseflow.audit.models import AuditEntry
from caseflow.audit.services import appended_together, verify
from caseflow.cases.models import Case, CaseEvent, CaseStatus
from caseflow.cases.routing import Lookups
from caseflow.cases.services import transition
from caseflow.cases.workflow import SYSTEM
from caseflow.db import fixed_today
from caseflow.escalation import services
from caseflow.extensions import db
from caseflow.letters.models import Letter
from tests import test_escalation_support as support
from tests.test_escalation_support import at_level, bias_report, submitted

w = support.w  # the fixture

DAY = date(2027, 2, 10)  # every case below is overdue then


def _other_district_case(w):
    """A case in the second district (its own register), with offices set up there."""
    gp = db.session.get(Area, w.other_village.parent_id)
    block = db.session.get(Area, gp.parent_id)
    save_office(area_id=gp.id, kind_id=w.kinds["panchayat_secretary"].id, holder_name="Kamla Bai", language="hi",
                actor=None)
    save_office(area_id=block.id, kind_id=w.kinds["janpad_ceo"].id, holder_name="S. Gupta", actor=None)
    save_office(area_id=w.other_district.id, kind_id=w.kinds["collector"].id, holder_name="P. Rao", language="en",
                actor=None)
    person = w.person(name="गीता बाई", settlement=db.session.get(Area, w.other_village.id), actor=w.other_incharge)
    return submitted(w, person=person, actor=w.other_incharge)


def _scenario(w) -> list[int]:
    cases = [submitted(w), submitted(w), at_level(w, 2), _other_district_case(w), submitted(w), at_level(w, 3)]
    bias_report(w, cases[4], w.janpad)  # level 2 is skipped: straight to the collector
    cases.append(_other_district_case_again(w))
    db.session.flush()
    return [case.id for case in cases]


def _other_district_case_again(w):
    person = w.person(name="राधा", settlement=db.session.get(Area, w.other_village.id), actor=w.other_incharge)
    return submitted(w, person=person, actor=w.other_incharge)


def _marks() -> tuple[int, int, int]:
    return (db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(CaseEvent.id), 0))),
            db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Letter.id), 0))),
            db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0))))


def _writes(case_ids: list[int], marks: tuple[int, int, int]) -> dict:
    """What the escalations wrote, with the ids a database hands out replaced by what they stand for."""
    event_mark, letter_mark, seq_mark = marks
    db.session.expire_all()
    cases = db.session.execute(
        sa.select(Case.id, Case.status, Case.level, Case.office_id, Case.due_date, Case.attention,
                  Case.attention_since, Case.version).where(Case.id.in_(case_ids)).order_by(Case.id)).all()
    letters = db.session.scalars(sa.select(Letter).where(Letter.case_id.in_(case_ids)).order_by(Letter.id)).all()
    reference = {letter.id: letter.reference for letter in letters}
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.id > event_mark).order_by(CaseEvent.id)).all()
    # An event stands for (case, kind, its place among that case's new events of that kind).
    event_key, seen = {}, {}
    for event in events:
        n = seen[(event.case_id, event.kind)] = seen.get((event.case_id, event.kind), 0) + 1
        event_key[event.id] = (event.case_id, event.kind.value, n)

    def details(d: dict) -> dict:
        return {k: (reference[v] if k == "letter_id" else v) for k, v in d.items()}

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq > seq_mark)).all()

    def entry(e: AuditEntry) -> tuple:
        data = dict(e.data)
        if "event_id" in data:
            data["event_id"] = event_key[data["event_id"]]
        obj = reference[int(e.object_id)] if e.object_type == "letters" else e.object_id
        return (e.action, e.object_type, obj, e.area_path, e.actor_id, repr(sorted(data.items())))

    return {
        "cases": [tuple(row) for row in cases],
        "events": sorted((event_key[e.id], e.actor_id, e.trigger, e.from_status, e.to_status, e.level, e.office_id,
                          e.note, repr(sorted(details(e.details).items()))) for e in events),
        "letters": [(x.reference, x.case_id, x.kind, x.district_id, x.area_path, x.level, x.addressee_office_id,
                     x.addressee_title, x.addressee_holder, x.language, x.due_within_days, x.copy_office_id,
                     x.created_by_id, x.status, x.superseded_because, x.version,
                     event_key.get(x.event_id, x.event_id) if x.id > letter_mark else x.event_id)
                    for x in letters],
        "audit": sorted(entry(e) for e in entries),
    }


def _one_batch(case_ids: list[int]) -> list:
    lookups = Lookups(memo=True)
    with appended_together():
        rows = services.overdue_batch(CaseStatus.SUBMITTED, None, 100, lock=True)
        rows += services.overdue_batch(CaseStatus.ESCALATED, None, 100, lock=True)
        ids = [case_id for case_id, _due in rows if case_id in case_ids]
        cases = services.load_cases(ids)
        services.prepare_batch(cases, lookups)
        return [outcome for outcome, _route in services.sweep_batch(cases, lookups)], ids


def test_a_batch_writes_what_escalating_one_case_at_a_time_writes(app, w):
    case_ids = _scenario(w)
    marks = _marks()
    with fixed_today(DAY):
        savepoint = db.session.begin_nested()
        outcomes, order = _one_batch(case_ids)
        db.session.flush()
        batch = _writes(case_ids, marks)
        assert verify().ok
        savepoint.rollback()

        savepoint = db.session.begin_nested()
        for case_id in order:
            case = db.session.get(Case, case_id, populate_existing=True)
            if case.level < case.scheme.top_level:
                transition(case, SYSTEM, "escalate", {}, expected_version=case.version)
            else:
                services.flag(case, services.preview(case, Lookups())[1])
        db.session.flush()
        single = _writes(case_ids, marks)
        assert verify().ok
        savepoint.rollback()

    assert [o.value for o in outcomes].count("escalated") == len(case_ids) - 1
    assert "stalled_at_top" in [o.value for o in outcomes]
    # Something happened worth comparing: every kind of write is there.
    assert {e[0] for e in batch["audit"]} >= {"case.transition", "case.bias_skip", "letter.drafted",
                                              "letter.superseded", "case.attention"}
    assert {ref.split("/")[0] for ref, *_ in batch["letters"]} == {"SHR", "RSN"}
    assert batch == single
