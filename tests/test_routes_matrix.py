"""Who may use which route: every endpoint in the URL map × every role × in/out of scope.

Guards access control as a whole. `ROUTES` is the explicit table of expected access; a
route added to the app without a row here fails `test_matrix_covers_every_route`, so nobody
can add a page and forget to decide who may see it. For each endpoint the test asks as an
anonymous visitor, an administrator, a state supervisor, the Sehore in-charge, the Raisen
in-charge (out of scope for Sehore objects) and a user disabled after signing in, with ids
of an object in scope, out of scope and missing. Out of scope must be the very same 404 as a
missing id. A refused POST (with a payload that would succeed for an allowed user) must
change nothing in the database; one allowed user then sends the same payload and it works,
which proves the refused attempts were real.
"""
import io
import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.db import today
from caseflow.evidence import services as evidence_services
from caseflow.evidence.files import prepare
from caseflow.extensions import db
from caseflow.holidays.services import create_holiday
from caseflow.reviews.quarters import last_ended
from tests import evidence_support
from tests.conftest import PASSWORD, Auth
from tests.letters_support import matrix_letters

PUBLIC, SIGNED_IN, CASEWORK, ADMIN = "public", "signed in", "casework", "admin"
SUPERVISOR = "supervisor only"  # refused (403) to in-charges before anything is loaded
OK, LOGIN = "ok", "login"  # allowed; bounced to the login page
ROLES = ("anonymous", "admin", "supervisor", "incharge", "other", "disabled")

# Expected access per role for each kind of route.
ACCESS = {
    PUBLIC: dict(anonymous=OK, admin=OK, supervisor=OK, incharge=OK, other=OK, disabled=OK),
    SIGNED_IN: dict(anonymous=LOGIN, admin=OK, supervisor=OK, incharge=OK, other=OK, disabled=LOGIN),
    CASEWORK: dict(anonymous=LOGIN, admin=403, supervisor=OK, incharge=OK, other=OK, disabled=LOGIN),
    ADMIN: dict(anonymous=LOGIN, admin=OK, supervisor=403, incharge=403, other=403, disabled=LOGIN),
    SUPERVISOR: dict(anonymous=LOGIN, admin=403, supervisor=OK, incharge=403, other=403, disabled=LOGIN),
}
# Districts whose beneficiaries and cases each case-working role may see.
SCOPE = {"supervisor": {"shr", "rsn"}, "incharge": {"shr"}, "other": {"rsn"}}
# The one allowed role that sends each POST for real, after every refused attempt.
WRITER = {SIGNED_IN: "incharge", CASEWORK: "incharge", ADMIN: "admin", SUPERVISOR: "supervisor"}
MISSING_ID = 2**31 - 1  # a valid integer id that no row will reach
NEW_PASSWORD = "another-long-password"


@dataclass(frozen=True)
class Route:
    access: str
    get: int | dict | None = 200  # code for an allowed GET (per role if a dict); None: no GET
    post: object = None  # payload(o, obj, client) that succeeds for an allowed user; None: no POST
    post_code: int = 302
    writes: bool = True  # the allowed POST changes the database
    scoped_as: str | None = None  # the `objs` attribute for the scoped URL argument, if not SCOPED_ARGS


def _token(client) -> str:
    """A CSRF token from the queue page (the search checks one even when CSRF is off); none if refused."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/queue").get_data(as_text=True))
    return found.group(1) if found else ""


ROUTES = {
    "auth.index": Route(PUBLIC, get=302),
    "auth.login": Route(PUBLIC, get={"anonymous": 200, "disabled": 200, None: 302},
                        post=lambda o, obj, c: {"username": "incharge", "password": PASSWORD}),
    # Signing out deletes the session on the server.
    "auth.logout": Route(SIGNED_IN, get=None, post=lambda o, obj, c: {}),
    "auth.password": Route(SIGNED_IN, post=lambda o, obj, c: {"current": PASSWORD, "new": NEW_PASSWORD,
                                                               "confirm": NEW_PASSWORD}),
    "auth.language": Route(PUBLIC, get=None, post=lambda o, obj, c: {"lang": "hi"}),
    "auth.account": Route(SIGNED_IN, post=lambda o, obj, c: {"email": "someone@example.org", "digests": "y"},
                          post_code=303),
    "today.index": Route(CASEWORK),
    "health.healthz": Route(PUBLIC),
    # 404 to everyone while CASEFLOW_METRICS_TOKEN is unset; its token is tested in tests/test_metrics.py.
    "monitoring.metrics": Route(PUBLIC, get=404),
    "cases.queue": Route(CASEWORK),
    "dashboards.dashboard": Route(CASEWORK),
    "cases.search": Route(CASEWORK, get=None, writes=False,
                          post=lambda o, obj, c: {"q": "Sunita", "csrf_token": _token(c)}),
    "cases.export_cases": Route(CASEWORK, get=None, post_code=200, writes=False, post=lambda o, obj, c: {"format": "csv"}),
    "cases.open_case": Route(CASEWORK, post=lambda o, obj, c: {"scheme": o.scheme.id}),
    "cases.show": Route(CASEWORK),
    "cases.step": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {"verify-version": obj.version}),
    "cases.follow_up": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {
        "fu-version": obj.version, "fu-office": 0, "fu-channel": "phone", "fu-response": "Will reply next week"}),
    "cases.attach": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {
        "ev-file": (io.BytesIO(evidence_support.photo()), "photo.jpg"), "ev-caption": "Receipt"}),
    # Evidence files: only inside the viewer's areas, like the case they belong to.
    "evidence.download": Route(CASEWORK),
    "evidence.thumbnail": Route(CASEWORK),
    "cases.assign": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {
        "as-version": obj.version, "as-assignee": o.incharge}),
    "beneficiaries.new": Route(CASEWORK, post=lambda o, obj, c: {
        "name": "Geeta Kumari", "gender": "female", "settlement": o.village, "preferred_language": "hi",
        "lawful_basis": "written_consent", "consent_given": "y"}),
    "beneficiaries.show": Route(CASEWORK),
    "admin.index": Route(ADMIN),
    "users.index": Route(ADMIN),
    "users.new": Route(ADMIN, post=lambda o, obj, c: {
        "username": "newcomer", "display_name": "Newcomer", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "role": "incharge", "areas": o.district, "locale": "hi"}),
    "users.edit": Route(ADMIN, post=lambda o, obj, c: {
        "display_name": "Renamed", "role": "incharge", "areas": o.other_district, "locale": "en", "active": "y"}),
    "users.password": Route(ADMIN, post=lambda o, obj, c: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    "areas.tree": Route(ADMIN, post=lambda o, obj, c: {
        "state-kind": "state", "state-name_en": "New State", "state-name_hi": "नया राज्य"}),
    "areas.show": Route(ADMIN),
    "areas.update": Route(ADMIN, get=None, post=lambda o, obj, c: {
        "edit-name_en": "Rampur Kalan", "edit-name_hi": "रामपुर कलां", "edit-active": "y"}),
    "areas.add_child": Route(ADMIN, get=None, post=lambda o, obj, c: {
        "child-kind": "settlement", "child-name_en": "Naya Tola", "child-name_hi": "नया टोला"}),
    "users.area_users": Route(ADMIN, post=lambda o, obj, c: {"grant-username": "other"}),
    "areas.office_new": Route(ADMIN, post=lambda o, obj, c: {
        "kind_id": o.janpad_kind, "holder_name": "B. Singh", "language": "hi"}),
    "areas.offices": Route(ADMIN),
    "areas.office_edit": Route(ADMIN, post=lambda o, obj, c: {
        "kind_id": o.sarpanch_kind.id, "holder_name": "Ram Prasad", "language": "hi"}),
    "areas.office_kinds": Route(ADMIN, post=lambda o, obj, c: {
        "code": "patwari", "name_en": "Patwari", "name_hi": "पटवारी"}),
    "areas.office_kind_edit": Route(ADMIN, post=lambda o, obj, c: {"name_en": "Sarpanch (head)", "name_hi": "सरपंच"}),
    "schemes.index": Route(ADMIN),
    "schemes.new": Route(ADMIN, post=lambda o, obj, c: {
        "code": "NSAP", "name_en": "Old age pension", "name_hi": "वृद्धावस्था पेंशन", "department": "Social Justice",
        "proof_of_delivery": "First pension credit", "active": "y"}),
    "schemes.edit": Route(ADMIN, post=lambda o, obj, c: {
        "code": "PMAY-G", "name_en": "PMAY (Gramin)", "name_hi": "प्रधानमंत्री आवास योजना", "department": "Rural",
        "proof_of_delivery": "Sanction order", "active": "y"}),
    "schemes.ladder": Route(ADMIN, post=lambda o, obj, c: {"rows-0-office_kind": o.janpad_kind, "rows-0-days": 20}),
    "holidays.index": Route(ADMIN, post=lambda o, obj, c: {
        "day": "2026-10-02", "name_en": "Gandhi Jayanti", "name_hi": "गांधी जयंती"}),
    "holidays.delete": Route(ADMIN, post=lambda o, obj, c: {"confirm": "yes"}),  # GET: the confirmation page
    "holidays.week": Route(ADMIN, post=lambda o, obj, c: {"offs": "6", "saturdays": ["2", "4"]}),
    # Supervisors only; an in-charge is refused in scope and gets the usual 404 outside it.
    "audit.trail": Route(CASEWORK, get={"incharge": 403, "other": 403, None: 200}),
    # Bias: in-charges list what they filed and read reports of their areas; supervisors review.
    "bias.queue": Route(CASEWORK),
    "bias.new": Route(CASEWORK, post_code=303, post=lambda o, obj, c: {
        "accused_role": "sarpanch", "other_office": 0, "kind": "political", "incident_date": "2025-01-10",
        "account": "Told to vote for him next time", "complainant": "beneficiary"}),
    "bias.show": Route(CASEWORK),
    "bias.review": Route(SUPERVISOR, get=None, post_code=303, post=lambda o, obj, c: {"take-version": obj.version}),
    "bias.reveal": Route(SUPERVISOR, get=None, post_code=200, post=lambda o, obj, c: {"reason": "Protection visit"}),
    "bias.patterns": Route(SUPERVISOR),
    # Writes only its audit entry, which the snapshot leaves out.
    "bias.export": Route(SUPERVISOR, get=None, post_code=200, writes=False, post=lambda o, obj, c: {"district": ""}),
    # Letters: case-workers in scope; printing renders on first use, dispatch renders if never printed.
    "letters.register": Route(CASEWORK),
    "letters.pdf": Route(CASEWORK),
    "letters.batch": Route(CASEWORK),
    "letters.batch_pdf": Route(CASEWORK, get=302),  # nothing rendered yet: to the progress page
    "letters.draft": Route(CASEWORK, get=None, post_code=303, scoped_as="letter_case",
                           post=lambda o, obj, c: {"letter-version": obj.version}),
    "letters.dispatch": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {
        f"dispatch-{obj.id}-version": obj.version, f"dispatch-{obj.id}-mode": "hand",
        f"dispatch-{obj.id}-dispatched_on": today().isoformat()}),
    "letters.acknowledge": Route(CASEWORK, get=None, post_code=303, scoped_as="dispatched_letter",
                                 post=lambda o, obj, c: {f"ack-{obj.id}-version": obj.version,
                                                         f"ack-{obj.id}-inward_number": "IN/1",
                                                         f"ack-{obj.id}-ack_date": today().isoformat()}),
    # Escalation: the flagged-case lists are scoped like the queue; sending back is for supervisors.
    "escalation.stalled": Route(CASEWORK),
    "escalation.configuration": Route(CASEWORK),
    # Quarterly reviews: supervisors of the in-charge's areas and the in-charge (their own only).
    "reviews.index": Route(CASEWORK),
    "reviews.show": Route(CASEWORK),
    "reviews.pdf": Route(CASEWORK),
    "reviews.open_review": Route(SUPERVISOR, get=None, post=lambda o, obj, c: {
        "incharge": o.incharge, "quarter": o.unreviewed_quarter}),
    "reviews.record_check": Route(SUPERVISOR, get=None, post=lambda o, obj, c: {
        "check": obj.check, f"c{obj.check}-version": obj.version, f"c{obj.check}-reachable": "yes",
        f"c{obj.check}-received": "yes", f"c{obj.check}-file_complete": "no"}),
    "reviews.save_notes": Route(SUPERVISOR, get=None, post=lambda o, obj, c: {
        "version": obj.version, "notes": "Steady work", "assessment": "good"}),
    "reviews.save_response": Route(CASEWORK, get=None, scoped_as="signed_review", post=lambda o, obj, c: {
        "version": obj.version, "response": "Agreed"}),
    "reviews.sign": Route(CASEWORK, get=None, scoped_as="signed_review", post=lambda o, obj, c: {
        "version": obj.version, "trigger": "sign_incharge"}),
    # Impact: summaries of areas in scope (the default area is the user's own); consent and stories
    # on a resolved case of each district whose beneficiary agreed to publicity and has a story.
    "impact.summary": Route(CASEWORK),
    "impact.card": Route(CASEWORK),
    "impact.sheet": Route(CASEWORK),
    "impact.consent": Route(CASEWORK, get=None, post_code=303, post=lambda o, obj, c: {
        "given_as": "oral", "note": "Witness: neighbour", "understood": "y"}),
    "impact.withdraw": Route(CASEWORK, get=None, post_code=303, scoped_as="told_person", post=lambda o, obj, c: {}),
    "impact.story": Route(CASEWORK, get=None, post_code=303, scoped_as="told_case",
                          post=lambda o, obj, c: {"text": "The house was built before the monsoon."}),
    "impact.retract": Route(CASEWORK, get=None, post_code=303, scoped_as="told_case", post=lambda o, obj, c: {}),
}

# URL arguments: scoped objects exist in Sehore ("shr") and Raisen ("rsn"); others are global.
SCOPED_ARGS = {"case_id": "case", "beneficiary_id": "person", "object_id": "case", "report_id": "bias_report",
               "letter_id": "letter", "file_id": "evidence", "review_id": "review"}
ADMIN_ARGS = {"area_id": "gp", "user_id": "other_user", "kind_id": "sarpanch_kind", "office_id": "sarpanch_office",
              "scheme_id": "scheme", "holiday_id": "holiday", "state_id": "state"}
FIXED_ARGS = {"trigger": "verify", "object_type": "cases", "step": "take"}


def test_matrix_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert sorted(endpoints - ROUTES.keys()) == [], "routes without a row in ROUTES: decide who may use them"
    assert sorted(ROUTES.keys() - endpoints) == [], "rows in ROUTES for routes that no longer exist"


def _set_active(app, user_id: int, active: bool) -> None:
    with app.app_context():
        db.session.get(User, user_id).active = active
        db.session.commit()


@pytest.fixture
def objs(app, world, tmp_path, monkeypatch):
    """Ids of the objects the URLs and payloads refer to, in and out of the Sehore in-charge's scope."""
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    with app.app_context():
        shr_case = world.case()
        rsn_person = world.person(name="Kamla Bai", settlement=world.other_village, actor=world.other_incharge)
        rsn_case = world.case(person=rsn_person, actor=world.other_incharge)
        shr_person = world.person(name="Radha Bai")
        rsn_person2 = world.person(name="Savitri Bai", settlement=world.other_village, actor=world.other_incharge)
        holiday = create_holiday(date(2026, 8, 15), "Independence Day", "स्वतंत्रता दिवस", actor=None)
        bias_reports = {district: _bias_report(world, actor, settlement) for district, actor, settlement in (
            ("shr", world.incharge, world.village), ("rsn", world.other_incharge, world.other_village))}
        letters = matrix_letters(world)
        evidence = {district: evidence_services.attach(case, actor, prepare(evidence_support.photo()))
                    for district, case, actor in (("shr", shr_case, world.incharge),
                                                  ("rsn", rsn_case, world.other_incharge))}
        reviews = {district: _reviews(world, incharge, case) for district, incharge, case in (
            ("shr", world.incharge, shr_case), ("rsn", world.other_incharge, rsn_case))}
        told = {"shr": _told_case(world, world.incharge, world.village),
                "rsn": _told_case(world, world.other_incharge, world.other_village)}
        db.session.commit()

        def ns(obj):
            return SimpleNamespace(id=obj.id, version=getattr(obj, "version", None))

        return SimpleNamespace(
            case={"shr": ns(shr_case), "rsn": ns(rsn_case)},
            person={"shr": ns(shr_person), "rsn": ns(rsn_person2)},
            gp=ns(world.gp), state=ns(world.state), other_user=ns(world.other_incharge), sarpanch_kind=ns(world.kinds["sarpanch"]),
            sarpanch_office=ns(world.sarpanch), scheme=ns(world.scheme), holiday=ns(holiday),
            janpad_kind=world.kinds["janpad_ceo"].id, village=world.village.id, district=world.district.id,
            other_district=world.other_district.id, incharge=world.incharge.id,
            bias_report={k: ns(v) for k, v in bias_reports.items()},
            evidence={k: ns(v) for k, v in evidence.items()},
            told_case={k: ns(v) for k, v in told.items()}, told_person={k: ns(v.beneficiary) for k, v in told.items()},
            **{name: {k: ns(v) for k, v in group.items()} for name, group in letters.items()},
            review={k: SimpleNamespace(id=v[0].id, version=v[0].version, check=v[0].checks[0].id)
                    for k, v in reviews.items()},
            signed_review={k: ns(v[1]) for k, v in reviews.items()},
            unreviewed_quarter=last_ended(today()).previous().previous().code(),
        )


def _reviews(world, incharge, case):
    """An open review of last quarter with one spot check, and the quarter before's, signed by the
    supervisor and answered by the in-charge (built directly: the quarters have no history here)."""
    from caseflow.db import utcnow
    from caseflow.reviews.figures import compute
    from caseflow.reviews.models import Assessment, QuarterlyReview, ReviewStage, SpotCheck

    quarter = last_ended(today())
    common = dict(incharge_id=incharge.id, area_path=incharge.areas[0].path, opened_by_id=world.supervisor.id,
                  sample_seed=1)
    open_review = QuarterlyReview(quarter_start=quarter.start, stage=ReviewStage.OPEN, **common)
    signed = QuarterlyReview(quarter_start=quarter.previous().start, stage=ReviewStage.AWAITING_RESPONSE,
                             assessment=Assessment.GOOD, response="Noted",
                             figures=compute(incharge, quarter.previous(), peer_ids=[], previous=None),
                             supervisor_signed_by_id=world.supervisor.id, supervisor_signed_at=utcnow(), **common)
    db.session.add_all([open_review, signed])
    db.session.flush()
    db.session.add(SpotCheck(review_id=open_review.id, case_id=case.id, position=1))
    db.session.flush()
    db.session.refresh(open_review)
    return open_review, signed
def _told_case(world, actor, settlement):
    """A resolved case whose beneficiary agreed to publicity, with a story (caseflow.impact)."""
    from caseflow.impact.models import ConsentForm
    from caseflow.impact.services import record_consent, write_story

    case = world.case(person=world.person(name="Janki Bai", settlement=settlement, actor=actor), actor=actor,
                      status="resolved")
    record_consent(case.beneficiary, actor=actor, given_as=ConsentForm.WRITTEN, note=None)
    write_story(case, actor=actor, text="Janki Bai's house is built.")
    return case


def _bias_report(world, actor, settlement):
    """A filed bias report on a case of its own, so the case rows above keep their versions."""
    from caseflow.bias.models import AccusedRole, BiasKind
    from caseflow.bias.services import Complainant, file_report

    case = world.case(person=world.person(name="Meera Bai", settlement=settlement, actor=actor), actor=actor)
    return file_report(case, actor, accused_role=AccusedRole.SARPANCH, kind=BiasKind.POLITICAL,
                       incident_date=date(2025, 1, 10), account="Told to vote for him", complainant=Complainant())


@pytest.fixture
def clients(app, world):
    """One test client per role, each signed in (the disabled user is disabled after signing in)."""
    clients = {"anonymous": app.test_client()}
    users = {"admin": world.admin, "supervisor": world.supervisor, "incharge": world.incharge,
             "other": world.other_incharge, "disabled": world.disabled}
    _set_active(app, world.disabled.id, True)
    for role, user in users.items():
        clients[role] = app.test_client()
        assert Auth(clients[role]).login(user).status_code == 302, role
    _set_active(app, world.disabled.id, False)
    return clients


# A refused request writes its refusal to the audit trail and nothing else (tests/test_audit.py).
AUDIT_TABLES = {"audit_entries", "audit_head"}


def snapshot(app) -> dict:
    with app.app_context():
        return {
            table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
            for table in db.metadata.sorted_tables
            if table.name not in AUDIT_TABLES
        }


def _variants(rule) -> tuple:
    if set(rule.arguments) & SCOPED_ARGS.keys():
        return ("missing", "shr", "rsn")
    if set(rule.arguments) & ADMIN_ARGS.keys():
        return ("missing", "present")
    return (None,)


def _url_and_object(app, rule, variant, o):
    """The URL for this variant, and the object the payload is about (for a missing id, the in-scope one)."""
    values, obj = {}, None
    for arg in rule.arguments:
        if arg in SCOPED_ARGS:
            obj = getattr(o, ROUTES[rule.endpoint].scoped_as or SCOPED_ARGS[arg])["rsn" if variant == "rsn" else "shr"]
            values[arg] = MISSING_ID if variant == "missing" else obj.id
        elif arg in ADMIN_ARGS:
            obj = getattr(o, ADMIN_ARGS[arg])
            values[arg] = MISSING_ID if variant == "missing" else obj.id
        elif arg in FIXED_ARGS:
            values[arg] = FIXED_ARGS[arg]
        else:
            pytest.fail(f"{rule.endpoint}: no test object for URL argument {arg!r}; add it to the argument tables")
    with app.app_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values), obj


def _expected(route: Route, role: str, variant) -> str | int:
    outcome = ACCESS[route.access][role]
    if outcome == OK and variant == "missing":
        return 404
    if outcome == OK and variant in ("shr", "rsn") and variant not in SCOPE[role]:
        return 404
    return outcome


def _is_login_redirect(response) -> bool:
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code == 302 and location.path == "/login" and "next" in parse_qs(location.query)


def _check(response, expected, allowed_code, where: str, missing_bodies: dict, role: str, method: str):
    if expected == LOGIN:
        assert _is_login_redirect(response), f"{where}: {response.status_code} {response.headers.get('Location')}"
    elif expected == OK:
        assert response.status_code == allowed_code, f"{where}: {response.status_code}"
        assert not _is_login_redirect(response), f"{where}: bounced to the login page"
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"
    if expected == 404:
        body = response.get_data()
        # Outside the scope looks exactly like an id that does not exist.
        assert missing_bodies.setdefault((role, method), body) == body, f"{where}: differs from a missing id"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_matrix(endpoint, app, objs, clients):
    route = ROUTES[endpoint]
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    assert rules, f"{endpoint} is in ROUTES but not in the URL map"
    for rule in rules:
        assert ("GET" in rule.methods) == (route.get is not None), f"{endpoint}: GET in the table and the app differ"
        assert ("POST" in rule.methods) == (route.post is not None), f"{endpoint}: POST in the table and the app differ"
        missing_bodies = {}
        if route.get is not None:
            for variant in _variants(rule):
                url, _obj = _url_and_object(app, rule, variant, objs)
                for role in ROLES:
                    code = route.get if isinstance(route.get, int) else route.get.get(role, route.get[None])
                    response = clients[role].get(url)
                    _check(response, _expected(route, role, variant), code, f"GET {url} as {role}", missing_bodies,
                           role, "GET")
        if route.post is not None:
            _check_posts(app, route, rule, objs, clients, missing_bodies)


def _check_posts(app, route, rule, o, clients, missing_bodies):
    writes, before = [], None if route.access == PUBLIC else snapshot(app)
    for variant in _variants(rule):
        url, obj = _url_and_object(app, rule, variant, o)
        for role in ROLES:
            expected, where = _expected(route, role, variant), f"POST {url} as {role}"
            if route.access == PUBLIC or expected != OK:
                response = clients[role].post(url, data=route.post(o, obj, clients[role]))
                _check(response, expected, route.post_code, where, missing_bodies, role, "POST")
                if before is not None:
                    assert snapshot(app) == before, f"{where}: a refused request changed the database"
            elif role == WRITER[route.access] and variant in (None, "shr", "present"):
                writes.append((url, obj, role, where))
    assert route.access == PUBLIC or writes, f"{rule.endpoint}: no allowed request to prove the payload works"
    for url, obj, role, where in writes:
        before = snapshot(app)
        response = clients[role].post(url, data=route.post(o, obj, clients[role]))
        _check(response, OK, route.post_code, where, missing_bodies, role, "POST")
        changed = snapshot(app) != before
        assert changed == route.writes, f"{where}: changed the database: {changed}, expected {route.writes}"


def test_disabled_user_cannot_sign_in(app, world, client, auth):
    response = auth.login(world.disabled)
    assert response.status_code == 401
    assert _is_login_redirect(client.get("/queue"))


def test_disabled_after_sign_in_is_signed_out_on_the_next_request(app, world, client, auth):
    assert auth.login(world.incharge).status_code == 302
    assert client.get("/queue").status_code == 200
    _set_active(app, world.incharge.id, False)
    assert _is_login_redirect(client.get("/queue"))
    assert client.get("/login").status_code == 200  # the login page treats the visitor as signed out
