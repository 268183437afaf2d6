"""Guards the privacy rules of DESIGN.md §5 through every way text enters caseflow.

- Aadhaar: a full 12-digit number typed into any text box — beneficiary registration
  (every field, the mobile box included), the open-case note, every step form's text
  fields, follow-ups, the queue search and the login username — is never stored, logged,
  echoed back (not even on a page re-rendered with validation errors), put in a URL or in
  the session cookie. Only the last 4 digits may appear, masked.
- HTML/script typed into any of those fields is shown escaped on every page, never raw.
- A beneficiary's mobile number is shown only inside the user's scope.

Each journey drives the real pages with the test client, then searches every stored table,
every captured log record, every response (bodies and Location headers) and the session
cookie for the number in any spelling.
"""
import json
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import today
from caseflow.extensions import db
from caseflow.identity import holds_aadhaar
from tests.conftest import PASSWORD, Auth, text_of

# The number as people type it (a valid one: first digit 2-9, Verhoeff check digit); all three
# must vanish. Every spelling of the rule is in test_aadhaar_rule and test_aadhaar_leak.
SPELLINGS = ["2345 6789 0124", "234567890124", "2345-6789-0124"]
LAST4 = "0124"
MASKED = "XXXX XXXX 0124"
# What reference fields get instead: they refuse a full number, and keep a real one exactly.
REFERENCE = "CMH-18112026-7788"
# Any of these anywhere means (part of) the full number leaked: every spelling, the bare
# digits, the first 8 digits however grouped, and URL-encoded forms.
LEAKS = [
    "234567890124", "2345 6789 0124", "2345-6789-0124", "2345.6789.0124",
    "23456789", "2345 6789", "2345-6789", "2345.6789", "2345+6789", "2345%206789",
]

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped, per payload, and what its escaped form contains.
RAW = {SCRIPT: ["<script>alert(1)"], IMG: ["<img src=x", '"><img']}
ESCAPED = {SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;", IMG: "&lt;img src=x onerror=alert(1)&gt;"}


def past(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def hidden_version(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no {name} field on the page"
    return re.search(r'\bvalue="(\d+)"', tag.group(0)).group(1)


class Journey:
    """Drives the pages and keeps every response, so each one can be searched afterwards."""

    def __init__(self, app, world, text: str):
        self.app, self.world, self.text = app, world, text
        # A reference field refuses a full number (tried in each step's first, refused post);
        # the real post gives it a real reference.
        self.ref = REFERENCE if holds_aadhaar(text) else text
        self.responses: list[tuple[str, object]] = []
        self.cookies: list[str] = []
        self.incharge = app.test_client()
        self.supervisor = app.test_client()

    def keep(self, label: str, response):
        self.responses.append((label, response))
        return response

    def get(self, client, url: str, label: str | None = None, status: int = 200):
        response = self.keep(label or f"GET {url}", client.get(url))
        assert response.status_code == status, (url, response.status_code, text_of(response)[:1500])
        return response

    def post(self, client, url: str, data: dict, status: int, label: str):
        response = self.keep(label, client.post(url, data=data))
        assert response.status_code == status, (label, response.status_code, text_of(response)[:1500])
        return response

    def bodies(self):
        for label, response in self.responses:
            yield label, response.get_data(as_text=True) + "\n" + response.headers.get("Location", "")

    def keep_session_cookie(self, client):
        """The decoded session (it is signed, not encrypted: anyone holding it can read it)."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        cookie = client.get_cookie("session")
        assert cookie is not None
        self.cookies.append(json.dumps(serializer.loads(cookie.value), default=str, ensure_ascii=False))

    # --- the journeys --------------------------------------------------------------------

    def login(self, *, text_as_username: bool):
        if text_as_username:
            data = {"username": self.text, "password": PASSWORD}
            self.post(self.incharge, "/login", data, 401, "login, username = text")
        assert Auth(self.incharge).login(self.world.incharge).status_code == 302
        assert Auth(self.supervisor).login(self.world.supervisor).status_code == 302

    def register(self, *, aadhaar_ok: str) -> int:
        """Registration: once with errors (the form comes back), once for real, once as a duplicate."""
        text = self.text
        form = {
            "name": f"Sunita {text}", "relative_name": f"Ramesh {text}", "relation": "husband", "gender": "female",
            "birth_year": "1980", "mobile": text, "settlement": str(self.world.village.id),
            "address": f"House 4, {text}", "preferred_language": "hi", "aadhaar": text, "ration_card_no": text,
            "lawful_basis": "written_consent", "consent_note": f"Consent taken {text}",
        }
        self.post(self.incharge, "/beneficiaries/new", form, 422, "register: errors, consent missing")
        form.update(mobile="98765 43210", aadhaar=aadhaar_ok, consent_given="y", ration_card_no=self.ref)
        done = self.post(self.incharge, "/beneficiaries/new", form, 302, "register")
        self.get(self.incharge, done.headers["Location"], "open-case page after registering")
        with self.app.app_context():
            person_id = db.session.scalar(sa.select(Beneficiary.id).order_by(Beneficiary.id.desc()))
        self.post(self.incharge, "/beneficiaries/new", form, 200, "register: possible duplicate")
        self.get(self.incharge, f"/beneficiaries/{person_id}", "beneficiary page")
        self.get(self.supervisor, f"/beneficiaries/{person_id}", "beneficiary page, supervisor")
        return person_id

    def open_case(self, person_id: int) -> int:
        url = f"/beneficiaries/{person_id}/cases/new"
        note = f"Met her at the anganwadi {self.text}"
        bad = self.post(self.incharge, url, {"scheme": "999999", "note": note}, 200, "open case: errors")
        assert "Not a valid choice" in bad.get_data(as_text=True) or "has-error" in bad.get_data(as_text=True)
        done = self.post(self.incharge, url, {"scheme": str(self.world.scheme.id), "note": note}, 302, "open case")
        case_id = int(done.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        self.get(self.incharge, f"/cases/{case_id}", "case page after opening")
        return case_id

    def step(self, client, case_id: int, trigger: str, fields: dict, label: str, refs: tuple = ()):
        """A step: first without the version (refused, the form comes back), then for real.

        `refs` are reference fields: the refused post has the text in them, the real one `self.ref`.
        """
        url = f"/cases/{case_id}"
        page = self.get(client, url, f"case page before {label}").get_data(as_text=True)
        version = hidden_version(page, f"{trigger}-version")
        data = {f"{trigger}-{key}": value for key, value in fields.items()}
        first = {**data, **{f"{trigger}-{key}": self.text for key in refs}}
        self.post(client, f"{url}/do/{trigger}", first, 422, f"{label}: errors")
        data.update({f"{trigger}-{key}": self.ref for key in refs})
        self.post(client, f"{url}/do/{trigger}", {**data, f"{trigger}-version": version}, 303, label)
        self.get(client, url, f"case page after {label}")

    def follow_up(self, case_id: int):
        url = f"/cases/{case_id}"
        version = hidden_version(self.get(self.incharge, url).get_data(as_text=True), "fu-version")
        data = {"fu-office": "0", "fu-channel": "visit", "fu-response": f"Secretary said {self.text}"}
        self.post(self.incharge, f"{url}/follow-up", data, 422, "follow-up: errors")
        self.post(self.incharge, f"{url}/follow-up", {**data, "fu-version": version}, 303, "follow-up")
        self.get(self.incharge, url, "case page after follow-up")

    def stale(self, case_id: int):
        data = {"escalate-version": "999", "escalate-reason": f"Too late {self.text}"}
        self.post(self.incharge, f"/cases/{case_id}/do/escalate", data, 409, "stale step")

    def every_step(self, case_id: int):
        """Every lifecycle step with every text field it has, through to closed."""
        text = self.text
        inc, sup = self.incharge, self.supervisor
        self.step(inc, case_id, "verify", {"reason": f"Papers seen {text}"}, "verify")
        self.step(inc, case_id, "submit", {"application_date": past(40)}, "submit",
                  refs=("application_ref", "grievance_ref"))
        self.follow_up(case_id)
        self.stale(case_id)
        self.step(inc, case_id, "escalate", {"reason": f"No reply {text}"}, "escalate")
        self.step(inc, case_id, "reject", {"reason": f"Land record {text}"}, "reject")
        self.step(inc, case_id, "appeal", {"reason": f"Record corrected {text}"}, "appeal")
        self.step(inc, case_id, "sanction", {"sanction_date": past(10)}, "sanction", refs=("sanction_ref",))
        self.step(sup, case_id, "deliver", {"proof_of_delivery": text, "delivered_on": past(2),
                                            "override_reason": f"Beneficiary away {text}"}, "deliver (override)")
        self.step(inc, case_id, "reopen", {"reason": f"Instalment bounced {text}"}, "reopen")
        self.step(inc, case_id, "close", {"close_reason": "duplicate", "reason": f"Duplicate {text}"}, "close")

    def search(self):
        page = self.get(self.incharge, "/queue").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.post(self.incharge, "/queue/search?status=all", {"q": self.text, "csrf_token": token}, 302, "search")
        self.keep_session_cookie(self.incharge)
        self.get(self.incharge, "/queue?status=all", "queue after search")
        # Clear the search so the queue lists the case again.
        self.post(self.incharge, "/queue/search?status=all", {"q": "", "clear": "1", "csrf_token": token}, 302,
                  "search cleared")
        self.get(self.incharge, "/queue?status=all", "queue")
        self.get(self.supervisor, "/queue?status=all", "queue, supervisor")


# --- what is stored and logged -------------------------------------------------------------


def dump_database(app) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        parts = []
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).all()
            parts.append(f"{table.name}: " + "\n".join(repr(tuple(row)) for row in rows))
        return "\n".join(parts)


@pytest.fixture
def logs(caplog):
    """Everything logged at DEBUG by caseflow, werkzeug and the root logger.

    Loggers that exist before migrations run may have been switched off by Alembic's
    fileConfig (see test_migrations); they are switched back on here so the check is real.
    """
    names = [n for n in logging.root.manager.loggerDict if n == "caseflow" or n.startswith(("caseflow.", "werkzeug"))]
    loggers = [logging.getLogger(n) for n in {*names, "caseflow", "caseflow.auth", "werkzeug"}]
    disabled = {lg: lg.disabled for lg in loggers}
    for lg in loggers:
        lg.disabled = False
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="caseflow")
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    yield caplog
    for lg, was in disabled.items():
        lg.disabled = was


def logged_text(caplog) -> str:
    return caplog.text + "\n".join(f"{r.name} {r.msg!r} {r.args!r}" for r in caplog.records)


def assert_no_leak(where: str, text: str):
    found = [needle for needle in LEAKS if needle in text]
    assert not found, f"the full Aadhaar number leaked into {where}: {found}"


# --- Aadhaar ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number", SPELLINGS)
def test_full_aadhaar_number_appears_nowhere(app, world, logs, number):
    journey = Journey(app, world, number)
    journey.login(text_as_username=False)  # the username box has a test of its own, below
    person_id = journey.register(aadhaar_ok=number)
    case_id = journey.open_case(person_id)
    journey.every_step(case_id)
    journey.search()

    # The journey really went through: the case ended closed, its data stored masked.
    with app.app_context():
        case = db.session.get(Case, case_id)
        person = db.session.get(Beneficiary, person_id)
        assert case.status is CaseStatus.CLOSED
        assert person.aadhaar_last4 == LAST4
        assert case.proof_of_delivery == MASKED
        # Reference fields refused the number and kept the real reference exactly.
        assert case.application_ref == case.grievance_ref == case.sanction_ref == REFERENCE
        assert person.ration_card_no == REFERENCE

    stored = dump_database(app)
    assert_no_leak("the database", stored)
    assert stored.count(MASKED) >= 11  # every free-text field of the journey, masked

    logged = logged_text(logs)
    assert "login user_id=" in logged, "log capture is not working: the successful login was not seen"
    assert_no_leak("the logs", logged)

    for label, body in journey.bodies():
        assert_no_leak(f"the response to {label!r}", body)
    assert journey.cookies and any(MASKED in cookie for cookie in journey.cookies)  # the search, masked
    for cookie in journey.cookies:
        assert_no_leak("the session cookie", cookie)

    pages = dict(journey.bodies())
    assert MASKED in pages["register: errors, consent missing"]  # echoed masked
    assert MASKED in pages["beneficiary page"] and MASKED in pages["case page after close"]
    assert MASKED in pages["stale step"]


@pytest.mark.parametrize("number", SPELLINGS)
def test_full_aadhaar_number_as_login_username_is_not_echoed(app, world, client, logs, number):
    refused = client.post("/login", data={"username": number, "password": PASSWORD})
    assert refused.status_code == 401
    assert_no_leak("the login page echo", refused.get_data(as_text=True))
    assert "failed login" in logged_text(logs)
    assert_no_leak("the logs", logged_text(logs))
    assert_no_leak("the database", dump_database(app))


@pytest.mark.parametrize("number", SPELLINGS)
def test_full_aadhaar_number_in_year_of_birth_box_is_not_echoed(app, world, auth, client, number):
    """A number box echoes what was typed when it is invalid: never the full number."""
    auth.login(world.incharge)
    form = {"name": "Sunita", "gender": "female", "birth_year": number, "settlement": str(world.village.id),
            "preferred_language": "hi", "lawful_basis": "written_consent", "consent_given": "y"}
    refused = client.post("/beneficiaries/new", data=form)
    assert refused.status_code == 422
    assert_no_leak("the registration form echo (year of birth)", refused.get_data(as_text=True))


@pytest.mark.parametrize("number", SPELLINGS)
def test_full_aadhaar_number_in_date_boxes_is_not_echoed(app, world, auth, client, number):
    """Date boxes echo what was typed when it is not a date: never the full number."""
    auth.login(world.incharge)
    with app.app_context():
        case = world.case(status="documented")
        db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    refused = client.post(f"/cases/{case.id}/do/submit", data={
        "submit-version": hidden_version(page, "submit-version"), "submit-application_ref": "APP-1",
        "submit-application_date": number})
    assert refused.status_code == 422
    assert_no_leak("the submit form echo (application date)", refused.get_data(as_text=True))
    refused = client.post(f"/cases/{case.id}/follow-up", data={
        "fu-version": hidden_version(page, "fu-version"), "fu-office": "0", "fu-channel": "phone",
        "fu-response": "Will visit", "fu-promised_date": number})
    assert refused.status_code == 422
    assert_no_leak("the follow-up form echo (promised date)", refused.get_data(as_text=True))


def test_full_aadhaar_number_through_the_service_layer_is_cut_or_masked(app, world):
    """Imports and CLI commands call the services directly, without forms: the same rules hold
    (a reference refusing the number is in test_aadhaar_rule)."""
    from caseflow.cases.models import Channel
    from caseflow.cases.services import log_follow_up, open_case, transition
    from tests.conftest import step_data

    number = SPELLINGS[0]
    with app.app_context():
        person = world.person(name=f"Sunita {number}", relative_name=number, address=number, aadhaar=number,
                              ration_card_no=REFERENCE, consent_note=number)
        case = open_case(world.incharge, person, world.scheme, note=number)
        transition(case, world.incharge, "verify", {"reason": number}, expected_version=case.version)
        transition(case, world.incharge, "submit", {**step_data("submit"), "application_ref": REFERENCE,
                                                    "grievance_ref": REFERENCE}, expected_version=case.version)
        log_follow_up(case, world.incharge, expected_version=case.version, channel=Channel.PHONE, response=number)
        db.session.flush()
        assert person.aadhaar_last4 == LAST4
        assert case.application_ref == REFERENCE and person.name == f"Sunita {MASKED}"
    assert_no_leak("the database", dump_database(app))


# --- HTML and script ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [SCRIPT, IMG], ids=["script", "img"])
def test_html_in_every_text_field_is_escaped_on_every_page(app, world, payload):
    journey = Journey(app, world, payload)
    journey.login(text_as_username=True)
    person_id = journey.register(aadhaar_ok=LAST4)
    case_id = journey.open_case(person_id)
    journey.every_step(case_id)
    journey.search()

    for label, body in journey.bodies():
        raw = [r for r in RAW[payload] if r in body]
        assert not raw, f"{label!r} shows {raw} unescaped"

    pages = dict(journey.bodies())
    escaped = ESCAPED[payload]
    # Pages that show what was typed show it escaped (so the checks above saw real content).
    shown_on = [
        "login, username = text", "register: errors, consent missing", "register: possible duplicate",
        "open-case page after registering", "beneficiary page", "beneficiary page, supervisor", "open case: errors",
        "case page after opening", "verify: errors", "case page after verify", "submit: errors",
        "case page after submit", "follow-up: errors", "case page after follow-up", "stale step",
        "case page after reject", "sanction: errors", "deliver (override): errors", "case page after close",
        "queue after search", "queue", "queue, supervisor",
    ]
    missing = [label for label in shown_on if escaped not in pages[label]]
    assert not missing, f"the escaped text is missing from {missing}"

    # Every field's text reached the pages: count the fields shown escaped on the final pages.
    person_page, case_page = pages["beneficiary page"], pages["case page after close"]
    assert person_page.count(escaped) >= 5  # name, relative, address, ration card, consent note
    # name, relative, application and grievance refs, sanction ref, proof, and the timeline's notes
    assert case_page.count(escaped) >= 14


# --- mobile numbers and scope ------------------------------------------------------------------


def test_mobile_number_is_shown_only_inside_scope(app, world):
    with app.app_context():
        person = world.person(name="Kamla Bai", mobile="98765 43210")
        case = world.case(person=person, status="submitted")
        db.session.commit()
    shown = "+91 98765 43210"
    digits = "9876543210"

    def client_for(user):
        client = app.test_client()
        assert Auth(client).login(user).status_code == 302
        return client

    inside, supervisor, outside = (client_for(u) for u in (world.incharge, world.supervisor, world.other_incharge))

    for client in (inside, supervisor):
        for url in (f"/beneficiaries/{person.id}", f"/cases/{case.id}"):
            response = client.get(url)
            assert response.status_code == 200
            assert shown in text_of(response)

    not_found = outside.get("/beneficiaries/999999")
    for url in (f"/beneficiaries/{person.id}", f"/cases/{case.id}", f"/beneficiaries/{person.id}/cases/new"):
        response = outside.get(url)
        assert response.status_code == 404, url
        assert response.get_data() == not_found.get_data()  # the same 404 as for nothing at all
        assert digits not in response.get_data(as_text=True) and "98765" not in response.get_data(as_text=True)

    in_queue = inside.get("/queue?status=all").get_data(as_text=True)
    assert case.reference in in_queue
    for url in ("/queue?status=all", "/queue?status=submitted", f"/queue?status=all&settlement={world.village.id}"):
        page = outside.get(url).get_data(as_text=True)
        assert case.reference not in page and "Kamla" not in page and "98765" not in page, url

    # Registering someone with the same mobile in the other district does not reveal this person.
    same_mobile = outside.post("/beneficiaries/new", data={
        "name": "Kamla Bai", "gender": "female", "mobile": "9876543210", "settlement": str(world.other_village.id),
        "preferred_language": "hi", "lawful_basis": "written_consent", "consent_given": "y"})
    assert same_mobile.status_code == 302  # no "possibly the same person" from outside the scope
    with app.app_context():
        registered = db.session.scalars(sa.select(Beneficiary).where(Beneficiary.mobile == digits)).all()
        assert len(registered) == 2
