"""`flask caseflow seed-demo`, run in-process on the test database (SQLite, or PostgreSQL when
CASEFLOW_TEST_DATABASE_URL is set), twice.

Guards: the demo loads through the services and then runs the escalation sweep, so a new user
finds letters in the register (some sent, some acknowledged), a case stalled at the top, a
needs-configuration entry, and a substantiated finding against a sarpanch that a second
supervisor of the same district can confirm; the audit chain verifies; a second run changes
no row of any table; production and a database with users are left alone.

The command commits (the seed once, the sweep per batch). As in tests/test_sweep.py those
commits release savepoints of the test's outer transaction, which is rolled back afterwards.
"""
import sqlalchemy as sa

from caseflow.areas.models import Area, AreaKind
from caseflow.audit.services import verify
from caseflow.auth.models import Role, User
from caseflow.bias import workflow as bias_workflow
from caseflow.bias.models import AccusedRole, BiasReport, Finding, ReviewStatus
from caseflow.cases.models import Attention, Case, CaseEvent, EventKind
from caseflow.demo import DEMO_PASSWORD
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db
from caseflow.letters.models import Letter, LetterKind, LetterStatus
from caseflow.reviews.models import QuarterlyReview, ReviewStage
from caseflow.scope import path_in_scope

CASES = 40  # every showcase case plus a spread of random ones, in seconds


def seed_demo(app, *args: str):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["caseflow", "seed-demo", *args])


def ok(result) -> str:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_shows_everything_and_a_second_run_changes_nothing(app):
    with app.app_context():
        output = ok(seed_demo(app, "--cases", str(CASES)))
        assert "Loaded the demo district" in output
        assert "Escalation sweep as of" in output  # the sweep ran, through the escalate command's code
        assert f"supervisor2  {DEMO_PASSWORD}" in output

        assert count(Case) == CASES
        # Last quarter's reviews: one signed by both (figures frozen), one in progress.
        stages = sorted(r.stage.value for r in db.session.scalars(sa.select(QuarterlyReview)))
        assert stages == ["open", "signed"]
        assert db.session.scalar(sa.select(QuarterlyReview.figures).where(QuarterlyReview.stage == ReviewStage.SIGNED))
        [run] = db.session.scalars(sa.select(SweepRun)).all()
        assert run.finished_at is not None and run.escalated >= 1
        assert run.stalled_at_top >= 1 and run.needs_configuration >= 1

        # Letters: drafted by the history's escalations and by the sweep; some sent and received.
        assert count(Letter, Letter.kind == LetterKind.ESCALATION, Letter.created_by_id.is_(None)) >= 1  # the sweep's
        assert count(Letter, Letter.status == LetterStatus.DRAFTED) >= 1
        assert count(Letter, Letter.status == LetterStatus.DISPATCHED) >= 1
        assert count(Letter, Letter.status == LetterStatus.ACKNOWLEDGED) >= 1
        # What was sent is a stored PDF; letters to offices a case has since left are superseded, unsent.
        assert count(Letter, Letter.pdf_path.is_(None),
                     Letter.status.in_((LetterStatus.DISPATCHED, LetterStatus.ACKNOWLEDGED))) == 0
        assert count(Letter, Letter.status == LetterStatus.SUPERSEDED) >= 1

        # The supervisors' lists are not empty.
        assert count(Case, Case.attention == Attention.STALLED_AT_TOP) >= 1
        needs = db.session.scalars(sa.select(Case).where(Case.attention == Attention.NEEDS_CONFIGURATION)).all()
        sonpur = db.session.scalar(sa.select(Area.id).where(Area.code == "SNP"))
        assert needs and all(c.area.district_id == sonpur for c in needs)  # data.MISSING_OFFICES
        assert count(CaseEvent, CaseEvent.kind == EventKind.ATTENTION) == count(Case, Case.attention.is_not(None))

        # Two supervisors for every district, and a finding one of them can confirm.
        supervisors = db.session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR)).all()
        for district in db.session.scalars(sa.select(Area).where(Area.kind == AreaKind.DISTRICT)):
            assert len([s for s in supervisors if path_in_scope(s, district.path)]) >= 2, district.name_en
        report = db.session.scalars(sa.select(BiasReport).where(
            BiasReport.status == ReviewStatus.AWAITING_CONFIRMATION)).one()
        assert (report.accused_role, report.finding) == (AccusedRole.SARPANCH, Finding.SUBSTANTIATED)
        confirmers = [s for s in supervisors if path_in_scope(s, report.area_path)
                      and "confirm" in bias_workflow.available_triggers(report, s)]
        assert confirmers and report.finding_by_id not in {s.id for s in confirmers}
        assert count(BiasReport, BiasReport.status == ReviewStatus.FILED) == 1

        checked = verify()
        assert checked.ok, checked.problem
        assert checked.checked > 0

        before = row_counts()
        again = ok(seed_demo(app, "--cases", str(CASES)))
        assert "nothing changed" in again and "Escalation sweep" not in again
        assert row_counts() == before
        assert "supervisor1" in ok(seed_demo(app, "--if-empty"))
        assert row_counts() == before


def test_seed_demo_leaves_a_database_with_users_alone(app, world):
    with app.app_context():
        before = row_counts()
        output = ok(seed_demo(app, "--if-empty"))
        assert "already has users" in output
        assert "no demo data" in output
        # Without --if-empty: the world's user named admin would clash with the demo's.
        assert "nothing changed" in ok(seed_demo(app, "--cases", "10"))
        assert row_counts() == before


def test_seed_demo_refuses_the_production_configuration(app):
    with app.app_context():
        before = row_counts()
        app.config["ENV_NAME"] = "production"
        try:
            result = seed_demo(app)
        finally:
            app.config["ENV_NAME"] = "testing"
        assert result.exit_code == 1
        assert "refuses to run with the production configuration" in result.output
        assert row_counts() == before
