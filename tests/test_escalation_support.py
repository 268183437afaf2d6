"""Fixtures and helpers shared by the escalation and sweep tests (this module holds no tests).

Time is frozen with `caseflow.db.fixed_today` for the services and with the sweep's own
`--now`, so every date below is exact: 4 December 2026 is a Friday, and a level of 15
working days started then is due on Friday 25 December (no holidays set up).
"""
from datetime import date

import pytest
import sqlalchemy as sa

from caseflow.areas.services import create_office_kind
from caseflow.audit.models import AuditEntry
from caseflow.bias.models import AccusedRole, BiasKind, BiasReport, Finding, ReviewStatus
from caseflow.cases.models import Case, CaseEvent, EventKind
from caseflow.cases.services import open_case, transition
from caseflow.db import fixed_today, utcnow
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db
from caseflow.letters.models import Letter
from caseflow.schemes.services import save_scheme, set_ladder
from tests.conftest import step_data

FRIDAY = date(2026, 12, 4)
DUE = date(2026, 12, 25)  # FRIDAY + 15 working days


@pytest.fixture
def w(app, world):
    """The shared world, with an application context for the test's database work."""
    with app.app_context():
        yield world


def submitted(w, on: date = FRIDAY, scheme=None, person=None, actor=None) -> Case:
    """A case submitted on `on` (level 1, due after level 1's limit in working days)."""
    actor = actor or w.incharge
    with fixed_today(on):
        if scheme is None:
            return w.case(person=person, actor=actor, status="submitted")
        case = open_case(actor, person or w.person(actor=actor), scheme)
        transition(case, actor, "verify", {}, expected_version=case.version)
        transition(case, actor, "submit", step_data("submit"), expected_version=case.version)
        return case


def at_level(w, level: int, on: date = FRIDAY, scheme=None) -> Case:
    """A case escalated by hand up to `level` on `on` (so due after that level's limit)."""
    case = submitted(w, on, scheme=scheme)
    with fixed_today(on):
        while case.level < level:
            transition(case, w.incharge, "escalate", step_data("escalate"), expected_version=case.version)
    return case


def sarpanch_scheme(w, levels=("panchayat_secretary", "sarpanch", "collector")):
    """A scheme whose ladder names the village's elected head: secretary 10 → sarpanch 10 → collector 20."""
    days = {"panchayat_secretary": 10, "sarpanch": 10, "collector": 20, "janpad_ceo": 15}
    scheme = save_scheme(code="PMUY-" + str(len(levels)), name_en="Ujjwala", name_hi="उज्ज्वला",
                         department="Petroleum", proof_of_delivery="LPG connection number", actor=None)
    set_ladder(scheme, [(w.kinds[k].id, days[k]) for k in levels], actor=None)
    return scheme


def scheme_with_missing_office(w):
    """Level 2 names an office kind that exists nowhere: cases cannot be routed past level 1."""
    tehsildar = create_office_kind(code="tehsildar", name_en="Tehsildar", name_hi="तहसीलदार", actor=None)
    scheme = save_scheme(code="NSAP", name_en="Old age pension", name_hi="वृद्धावस्था पेंशन",
                         department="Social Justice", proof_of_delivery="First pension credit", actor=None)
    set_ladder(scheme, [(w.kinds["panchayat_secretary"].id, 15), (tehsildar.id, 15), (w.kinds["collector"].id, 30)], actor=None)
    return scheme, tehsildar


def bias_report(w, case: Case, office, *, status=ReviewStatus.FILED, finding=None) -> BiasReport:
    """A report against `office` on `case`, made directly (the bias domain files them through its pages)."""
    report = BiasReport(
        case_id=case.id, area_path=case.area_path, accused_role=AccusedRole.SARPANCH, accused_office_id=office.id,
        accused_holder_name=office.holder_name, kind=BiasKind.POLITICAL, incident_date=date(2026, 11, 20),
        account="Said he would not forward it", filed_by_id=w.incharge.id, status=status, finding=finding,
    )
    if status is not ReviewStatus.FILED:
        report.reviewer_id = w.supervisor.id
    if finding is not None:
        report.finding_reasons, report.finding_by_id, report.finding_at = "Reviewed", w.supervisor.id, utcnow()
    if status is ReviewStatus.CONCLUDED:
        report.concluded_at = utcnow()
        if finding is Finding.SUBSTANTIATED:  # against an elected head: final once a second supervisor confirms
            report.confirmed_by_id, report.confirmed_at = _second_supervisor(w).id, utcnow()
    db.session.add(report)
    db.session.flush()
    return report


def _second_supervisor(w):
    from caseflow.auth import services as auth_services
    from caseflow.auth.models import Role, User
    from tests.conftest import PASSWORD

    found = db.session.scalar(sa.select(User).where(User.username == "confirmer"))
    return found or auth_services.create_user(username="confirmer", display_name="Second supervisor",
                                              password=PASSWORD, role=Role.SUPERVISOR, areas=[w.state], locale="en", actor=None)


UNSUBSTANTIATED = dict(status=ReviewStatus.CONCLUDED, finding=Finding.UNSUBSTANTIATED)
SUBSTANTIATED = dict(status=ReviewStatus.CONCLUDED, finding=Finding.SUBSTANTIATED)


def sweep(app, *args: str):
    """Run `flask caseflow escalate` in this process, on the test's transaction.

    The test's own writes are committed first (a savepoint released), as they would be in
    real life: the command's rollbacks (dry run, retries) must only undo its own work.
    """
    db.session.commit()
    return app.test_cli_runner().invoke(args=["caseflow", "escalate", *args])


def row(case_id: int):
    return db.session.execute(
        sa.select(Case.status, Case.level, Case.office_id, Case.due_date, Case.attention, Case.attention_since,
                  Case.version).where(Case.id == case_id)
    ).one()


def events(case_id: int, kind: EventKind | None = None) -> list[CaseEvent]:
    query = sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    if kind is not None:
        query = query.where(CaseEvent.kind == kind)
    return db.session.scalars(query.execution_options(populate_existing=True)).all()


def escalations(case_id: int) -> list[CaseEvent]:
    return [e for e in events(case_id, EventKind.TRANSITION) if e.trigger == "escalate"]


def letters(case_id: int) -> list[Letter]:
    return db.session.scalars(sa.select(Letter).where(Letter.case_id == case_id).order_by(Letter.id)).all()


def audit_actions(obj_type: str, obj_id: int) -> list[str]:
    return db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == obj_type, AuditEntry.object_id == str(obj_id))
        .order_by(AuditEntry.seq)
    ).all()


def runs() -> list[SweepRun]:
    return db.session.scalars(sa.select(SweepRun).order_by(SweepRun.id)).all()


def snapshot() -> dict:
    """Every row of every table, for "changed nothing" checks."""
    return {
        table.name: sorted((tuple(r) for r in db.session.execute(sa.select(table))), key=repr)
        for table in db.metadata.sorted_tables
    }
