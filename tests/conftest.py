"""Test fixtures: one schema per session (built by the real migrations), each test in a
transaction that is rolled back, and factories for a small but complete world.

`CASEFLOW_TEST_DATABASE_URL` selects PostgreSQL; without it the suite runs on a fresh
SQLite file. Both are real databases: nothing here is mocked.
"""
import os
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from caseflow import create_app
from caseflow.areas.models import AreaKind
from caseflow.areas.services import create_area, create_office_kind, save_office
from caseflow.auth import services as auth_services
from caseflow.auth.models import Role
from caseflow.beneficiaries.models import Gender, LawfulBasis
from caseflow.beneficiaries.services import register
from caseflow.cases.services import open_case, transition
from caseflow.extensions import db
from caseflow.schemes.services import save_scheme, set_ladder

# audit_guard: every committed change of a request or command is audited;
# browser_support: the browser tests' live server, Chromium and phone tabs.
pytest_plugins = ["tests.audit_guard", "tests.browser_support"]

# The base configuration for apps built from a dict of overrides (see test_config).
os.environ["CASEFLOW_CONFIG"] = "testing"

PASSWORD = "correct-horse-battery"
PG_URL = os.environ.get("CASEFLOW_TEST_DATABASE_URL")


def is_postgres() -> bool:
    return bool(PG_URL)


def _fresh_database(tmp_dir: Path) -> str:
    if PG_URL:
        url = sa.make_url(PG_URL)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        return PG_URL
    return f"sqlite:///{tmp_dir / 'test.db'}"


def test_config(url: str, **extra) -> dict:
    """Configuration for an app on the test database (named for use from tests, not a test)."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-used-anywhere-else",
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "SERVER_NAME": "localhost",
        **extra,
    }


test_config.__test__ = False


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _fresh_database(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The application, with the schema built once by running the real migrations."""
    from flask_migrate import upgrade

    # Argon2 at production cost makes every created user take ~50 ms; tests need correctness.
    auth_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    # Rendered letters go to a scratch folder, not the checkout's instance/.
    letters_dir = tmp_path_factory.mktemp("letters")
    evidence_dir = tmp_path_factory.mktemp("evidence")
    application = create_app(test_config(database_url, LETTERS_DIR=str(letters_dir), EVIDENCE_DIR=str(evidence_dir)))
    with application.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return application


class _BoundSession(Session):
    """A plain Session bound to the test's connection (Flask-SQLAlchemy's picks the engine)."""

    def __init__(self, db=None, **kwargs):
        super().__init__(**kwargs)


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run the test inside one outer transaction that is rolled back afterwards.

    Tests that need real commits from several connections (concurrency) ask for
    `committed_db` instead and clean up after themselves.
    """
    if "committed_db" in request.fixturenames:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": _BoundSession, "bind": connection, "join_transaction_mode": "create_savepoint",
             "expire_on_commit": False}
        )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def committed_db(app):
    """Real commits, visible to other connections; every table is emptied afterwards."""
    yield
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.commit()


class World:
    """A small, complete district setup that most tests share."""

    def __init__(self):
        self.kinds = {
            code: create_office_kind(code=code, name_en=en, name_hi=hi, elected=elected, actor=None)
            for code, en, hi, elected in [
                ("panchayat_secretary", "Panchayat Secretary", "पंचायत सचिव", False),
                ("sarpanch", "Sarpanch", "सरपंच", True),
                ("janpad_ceo", "CEO, Janpad Panchayat", "मुख्य कार्यपालन अधिकारी, जनपद पंचायत", False),
                ("collector", "Collector", "कलेक्टर", False),
            ]
        }
        self.state = create_area(kind=AreaKind.STATE, name_en="Test State", name_hi="परीक्षण राज्य", actor=None)
        self.district = create_area(kind=AreaKind.DISTRICT, name_en="Sehore", name_hi="सीहोर", parent=self.state, code="SHR", actor=None)
        self.block = create_area(kind=AreaKind.BLOCK, name_en="Ashta", name_hi="आष्टा", parent=self.district, actor=None)
        self.gp = create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en="Rampur", name_hi="रामपुर", parent=self.block, actor=None)
        self.village = create_area(kind=AreaKind.SETTLEMENT, name_en="Rampur Khurd", name_hi="रामपुर खुर्द", parent=self.gp, actor=None)
        self.other_district = create_area(kind=AreaKind.DISTRICT, name_en="Raisen", name_hi="रायसेन", parent=self.state, code="RSN", actor=None)
        other_block = create_area(kind=AreaKind.BLOCK, name_en="Begamganj", name_hi="बेगमगंज", parent=self.other_district, actor=None)
        other_gp = create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en="Sultanpur", name_hi="सुल्तानपुर", parent=other_block, actor=None)
        self.other_village = create_area(kind=AreaKind.SETTLEMENT, name_en="Sultanpur Tola", name_hi="सुल्तानपुर टोला",
                                         parent=other_gp, actor=None)
        self.secretary = save_office(area_id=self.gp.id, kind_id=self.kinds["panchayat_secretary"].id,
                                     holder_name="Suresh Verma", language="hi", actor=None)
        self.sarpanch = save_office(area_id=self.gp.id, kind_id=self.kinds["sarpanch"].id, holder_name="Mohan Lal", actor=None)
        self.janpad = save_office(area_id=self.block.id, kind_id=self.kinds["janpad_ceo"].id, holder_name="A. Khan", actor=None)
        self.collector = save_office(area_id=self.district.id, kind_id=self.kinds["collector"].id,
                                     holder_name="R. Sharma", language="en", actor=None)
        self.scheme = save_scheme(code="PMAY-G", name_en="Pradhan Mantri Awas Yojana (Gramin)",
                                  name_hi="प्रधानमंत्री आवास योजना (ग्रामीण)", department="Rural Development",
                                  proof_of_delivery="Sanction order and first instalment date",
                                  documents_required="Aadhaar (last 4)\nJob card", actor=None)
        set_ladder(self.scheme, [(self.kinds["panchayat_secretary"].id, 15), (self.kinds["janpad_ceo"].id, 15),
                                 (self.kinds["collector"].id, 30)], actor=None)
        mk = auth_services.create_user
        self.admin = mk(username="admin", display_name="Admin", password=PASSWORD, role=Role.ADMIN, locale="en", actor=None)
        self.supervisor = mk(username="supervisor", display_name="Supervisor", password=PASSWORD,
                             role=Role.SUPERVISOR, areas=[self.state], locale="en", actor=None)
        self.incharge = mk(username="incharge", display_name="In-charge Sehore", password=PASSWORD,
                           role=Role.INCHARGE, areas=[self.district], locale="en", actor=None)
        self.other_incharge = mk(username="other", display_name="In-charge Raisen", password=PASSWORD,
                                 role=Role.INCHARGE, areas=[self.other_district], locale="en", actor=None)
        self.disabled = mk(username="disabled", display_name="Disabled", password=PASSWORD,
                           role=Role.INCHARGE, areas=[self.district], locale="en", actor=None)
        self.disabled.active = False
        db.session.flush()

    def person(self, name="सुनीता देवी", settlement=None, actor=None, **fields):
        fields.setdefault("gender", Gender.FEMALE)
        fields.setdefault("lawful_basis", LawfulBasis.WRITTEN_CONSENT)
        return register(actor or self.incharge, settlement or self.village, name=name, **fields)

    def case(self, person=None, actor=None, status="identified"):
        actor = actor or self.incharge
        person = person or self.person(actor=actor)
        case = open_case(actor, person, self.scheme)
        path = {
            "identified": [],
            "documented": ["verify"],
            "submitted": ["verify", "submit"],
            "escalated": ["verify", "submit", "escalate"],
            "sanctioned": ["verify", "submit", "sanction"],
            "rejected": ["verify", "submit", "reject"],
            "resolved": ["verify", "submit", "sanction", "deliver"],
            "closed": ["close"],
        }[status]
        for trigger in path:
            transition(case, actor, trigger, step_data(trigger), expected_version=case.version)
        return case


def step_data(trigger: str) -> dict:
    """Complete data for each step, as a form would give it."""
    from caseflow.cases.models import CloseReason

    return {
        "verify": {},
        "submit": {"application_ref": "PMAYG/2026/0042", "application_date": date(2026, 1, 5)},
        "escalate": {"reason": "No reply in three visits"},
        "sanction": {"sanction_ref": "SO-778", "sanction_date": date(2026, 2, 1)},
        "reject": {"reason": "Land record mismatch"},
        "appeal": {"reason": "Land record corrected"},
        "deliver": {"proof_of_delivery": "First instalment credited", "delivered_on": date(2026, 3, 1),
                    "beneficiary_confirmed": True},
        "close": {"close_reason": CloseReason.DUPLICATE},
        "reopen": {"reason": "Closed by mistake"},
    }[trigger]


@pytest.fixture
def world(app):
    with app.app_context():
        # The world's objects outlive this context; keep their loaded attributes readable.
        db.session().expire_on_commit = False
        w = World()
        db.session.commit()
    return w


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_name, password=PASSWORD):
        name = getattr(user_or_name, "username", user_or_name)
        return self.client.post("/login", data={"username": name, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


def text_of(response) -> str:
    """The page's visible text, roughly: for asserting on what a person would read."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
