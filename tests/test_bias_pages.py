"""The bias pages through HTTP: filing from a case, the case-page flag, the supervisor queue and
its filters and counts, the review buttons and steps, a stale edit (409, nothing written), the
reveal form, the pattern view and its CSV export, and HTML escaping in every text field.
"""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.bias.models import AccusedRole, BiasKind, BiasReport, Finding, IdentityReveal, ReviewStatus
from caseflow.db import today, utcnow
from caseflow.extensions import db
from tests.conftest import Auth, text_of
from tests.test_bias_helpers import COMPLAINANT_NAME, IDENTITY_STRINGS, file, finding_data, review, supervisor

R = ReviewStatus
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def form_for(case_id: int, **overrides) -> dict:
    data = {
        "accused_role": "sarpanch", "other_office": "0", "holder_name": "", "kind": "political",
        "incident_date": (today() - timedelta(days=3)).isoformat(),
        "account": "He said: no house, you voted for the other side.", "evidence_notes": "", "witnesses": "",
        "complainant": "other", "complainant_name": COMPLAINANT_NAME, "complainant_relation": "Neighbour",
        "complainant_contact": "", "protection_concern": "",
    }
    data.update(overrides)
    return data


def version_of(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no {name} field on the page"
    return re.search(r'\bvalue="(\d+)"', tag.group(0)).group(1)


@pytest.fixture
def case_id(app, world):
    with app.app_context():
        case = world.case(status="submitted")
        db.session.commit()
        return case.id


def test_incharge_files_a_report_from_the_case_page(app, world, client, auth, case_id):
    auth.login(world.incharge)
    page = client.get(f"/cases/{case_id}")
    assert f'href="/cases/{case_id}/bias/new"' in page.get_data(as_text=True)
    assert 'data-testid="bias-flag"' not in page.get_data(as_text=True)
    form = client.get(f"/cases/{case_id}/bias/new")
    assert form.status_code == 200 and "Sarpanch, Rampur (Mohan Lal)" in text_of(form)

    response = client.post(f"/cases/{case_id}/bias/new", data=form_for(case_id))
    assert response.status_code == 303
    report_url = response.headers["Location"]
    with app.app_context():
        report = db.session.scalar(sa.select(BiasReport).where(BiasReport.case_id == case_id))
        assert (report.accused_office_id, report.filed_by_id, report.status) == (world.sarpanch.id, world.incharge.id,
                                                                                 R.FILED)
    assert report_url.endswith(f"/bias/reports/{report.id}")
    shown = client.get(report_url)
    assert COMPLAINANT_NAME in shown.get_data(as_text=True)  # the filer sees what they filed
    flagged = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-testid="bias-flag"' in flagged and f"/bias/reports/{report.id}" in flagged
    assert COMPLAINANT_NAME not in flagged


@pytest.mark.parametrize("overrides,error", [
    ({"incident_date": (today() + timedelta(days=2)).isoformat()}, "A date cannot be in the future."),
    ({"account": ""}, "This field is required."),
    ({"complainant_name": ""}, "Give the name of the person who complained."),
    ({"kind": ""}, "This field is required."),
    ({"accused_role": "other", "other_office": "999999"}, "Not a valid choice"),
])
def test_filing_form_errors_file_nothing(app, world, client, auth, case_id, overrides, error):
    auth.login(world.incharge)
    response = client.post(f"/cases/{case_id}/bias/new", data=form_for(case_id, **overrides))
    assert response.status_code == 422
    assert error in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BiasReport)) == 0


def test_filing_outside_scope_is_404(app, world, client, auth, case_id):
    auth.login(world.other_incharge)
    assert client.get(f"/cases/{case_id}/bias/new").status_code == 404
    assert client.post(f"/cases/{case_id}/bias/new", data=form_for(case_id)).status_code == 404


@pytest.fixture
def queue_world(app, world):
    """Reports of several ages, statuses, roles and kinds in both districts."""
    with app.app_context():
        raisen_person = world.person(name="Kamla Bai", settlement=world.other_village, actor=world.other_incharge)
        raisen_case = world.case(person=raisen_person, actor=world.other_incharge, status="submitted")
        a = file(world, role=AccusedRole.SARPANCH, kind=BiasKind.POLITICAL)
        b = file(world, role=AccusedRole.PANCHAYAT_SECRETARY, kind=BiasKind.BRIBE, actor=world.supervisor)
        c = file(world, raisen_case, role=AccusedRole.SARPANCH, kind=BiasKind.CASTE, actor=world.other_incharge)
        d = file(world, role=AccusedRole.SARPANCH, kind=BiasKind.RELIGION)
        review(d, world.supervisor, "take")
        review(d, world.supervisor, "record_finding", finding_data(Finding.UNSUBSTANTIATED))
        # Ages: b is oldest, then a, then c, then d.
        for report, days in ((a, 40), (b, 100), (c, 10), (d, 1)):
            report.filed_at = utcnow() - timedelta(days=days)
        db.session.commit()
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


def listed(response) -> list[int]:
    return [int(n) for n in re.findall(r'href="/bias/reports/(\d+)"', response.get_data(as_text=True))]


def test_supervisor_queue_oldest_first_with_counts(app, world, client, auth, queue_world):
    q = queue_world
    auth.login(world.supervisor)
    response = client.get("/bias")
    assert response.status_code == 200
    assert listed(response) == [q["b"], q["a"], q["c"]]  # open ones, oldest first
    html = response.get_data(as_text=True)
    assert 'data-testid="count-filed">3<' in html and 'data-testid="count-concluded">1<' in html
    assert listed(client.get("/bias?status=all")) == [q["b"], q["a"], q["c"], q["d"]]
    assert listed(client.get("/bias?status=concluded")) == [q["d"]]
    assert listed(client.get("/bias?age=30")) == [q["b"], q["a"]]
    assert listed(client.get("/bias?age=90")) == [q["b"]]
    assert listed(client.get(f"/bias?area={world.other_district.id}")) == [q["c"]]
    assert listed(client.get(f"/bias?area={world.block.id}&status=all")) == [q["b"], q["a"], q["d"]]
    assert listed(client.get("/bias?role=panchayat_secretary")) == [q["b"]]
    assert listed(client.get("/bias?kind=caste")) == [q["c"]]
    assert listed(client.get("/bias?status=bogus&age=5&role=x&kind=y")) == [q["b"], q["a"], q["c"]]
    assert COMPLAINANT_NAME not in html


def test_queue_pages_with_a_cursor(app, world, client, auth, queue_world):
    from caseflow.bias import queries

    q = queue_world
    with app.test_request_context():
        user = db.session.get(type(world.supervisor), world.supervisor.id)
        first = queries.queue(user, queries.QueueFilters(status="all"), page_size=2)
        assert [r.id for r in first.reports] == [q["b"], q["a"]] and first.next_cursor
        second = queries.queue(user, queries.QueueFilters(status="all", after=first.next_cursor), page_size=2)
        assert [r.id for r in second.reports] == [q["c"], q["d"]] and second.next_cursor is None
    auth.login(world.supervisor)
    assert listed(client.get(f"/bias?status=all&after={first.next_cursor}")) == [q["c"], q["d"]]


def test_incharges_list_only_what_they_filed(app, world, client, auth, queue_world):
    q = queue_world
    auth.login(world.incharge)
    assert listed(client.get("/bias?status=all")) == [q["a"], q["d"]]  # not b: the supervisor filed it
    Auth(client).logout()
    auth.login(world.other_incharge)
    assert listed(client.get("/bias?status=all")) == [q["c"]]


def test_review_buttons_follow_the_guards(app, world, client, auth, queue_world):
    q = queue_world
    auth.login(world.incharge)
    html = client.get(f"/bias/reports/{q['a']}").get_data(as_text=True)
    assert 'data-action="take"' not in html and "/reveal" not in html
    assert client.post(f"/bias/reports/{q['a']}/do/take", data={"take-version": 1}).status_code == 403
    Auth(client).logout()
    auth.login(world.supervisor)
    html = client.get(f"/bias/reports/{q['a']}").get_data(as_text=True)
    assert 'data-action="take"' in html and 'data-action="reveal"' in html
    assert 'data-action="reopen"' in client.get(f"/bias/reports/{q['d']}").get_data(as_text=True)


def test_supervisor_reviews_through_the_pages(app, world, client, auth, queue_world):
    q = queue_world
    with app.app_context():
        second = supervisor("second", [world.state])
        db.session.commit()
    auth.login(world.supervisor)
    url = f"/bias/reports/{q['a']}"
    response = client.post(f"{url}/do/take", data={"take-version": version_of(client.get(url).get_data(as_text=True),
                                                                              "take-version")})
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert 'data-action="record_finding"' in html
    assert f'<option selected value="{world.collector.id}">' in html  # referral defaults to the collector
    refused = client.post(f"{url}/do/record_finding", data={
        "record_finding-version": version_of(html, "record_finding-version"), "record_finding-finding": "substantiated",
        "record_finding-reasons": "", "record_finding-referral_office": "0"})
    assert refused.status_code == 422 and "This field is required." in text_of(refused)
    done = client.post(f"{url}/do/record_finding", data={
        "record_finding-version": version_of(html, "record_finding-version"), "record_finding-finding": "substantiated",
        "record_finding-reasons": "Two neighbours heard it.", "record_finding-referral_office": "0"})
    assert done.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="awaiting"' in html and 'data-action="confirm"' not in html  # not for the finder
    Auth(client).logout()
    auth.login(second)
    html = client.get(url).get_data(as_text=True)
    assert 'data-action="confirm"' in html and 'data-action="send_back"' in html
    assert client.post(f"{url}/do/confirm", data={"confirm-version": version_of(html, "confirm-version")}
                       ).status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="confirmed-by">Second' in html
    with app.app_context():
        report = db.session.get(BiasReport, q["a"])
        assert (report.status, report.finding, report.confirmed_by_id) == (R.CONCLUDED, Finding.SUBSTANTIATED,
                                                                           second.id)


def test_unknown_step_is_404(app, world, client, auth, queue_world):
    auth.login(world.supervisor)
    assert client.post(f"/bias/reports/{queue_world['a']}/do/to_concluded", data={}).status_code == 404


def test_stale_edit_gets_409_and_changes_nothing(app, world, client, auth, queue_world):
    q = queue_world
    with app.app_context():
        second = supervisor("second", [world.state])
        db.session.commit()
    auth.login(world.supervisor)
    html = client.get(f"/bias/reports/{q['a']}").get_data(as_text=True)
    seen = version_of(html, "take-version")
    other = app.test_client()
    Auth(other).login(second)
    assert other.post(f"/bias/reports/{q['a']}/do/take", data={"take-version": seen}).status_code == 303
    with app.app_context():
        before = db.session.get(BiasReport, q["a"]).version
    # The first supervisor's page still shows the old version: their click is refused.
    response = client.post(f"/bias/reports/{q['a']}/do/take_over", data={
        "take_over-version": seen, "take_over-reason": "I was here first"})
    assert response.status_code == 409
    assert "This report changed — reload" in text_of(response) and "I was here first" in text_of(response)
    with app.app_context():
        report = db.session.get(BiasReport, q["a"])
        assert (report.version, report.reviewer_id) == (before, second.id)


def test_reveal_shows_the_identity_once_and_lists_it_for_other_supervisors(app, world, client, auth, queue_world):
    q = queue_world
    with app.app_context():
        second = supervisor("second", [world.state])
        db.session.commit()
    auth.login(world.supervisor)
    url = f"/bias/reports/{q['a']}"
    assert COMPLAINANT_NAME not in client.get(url).get_data(as_text=True)
    refused = client.post(f"{url}/reveal", data={"reason": "  "})
    assert refused.status_code == 422 and COMPLAINANT_NAME not in refused.get_data(as_text=True)
    shown = client.post(f"{url}/reveal", data={"reason": "Checking a threat she reported"})
    assert shown.status_code == 200 and COMPLAINANT_NAME in shown.get_data(as_text=True)
    assert COMPLAINANT_NAME not in client.get(url).get_data(as_text=True)  # not kept for later views
    Auth(client).logout()
    auth.login(second)
    page = client.get(url)
    reveals = re.search(r'data-testid="reveals".*?</section>', page.get_data(as_text=True), re.S).group(0)
    assert "Supervisor" in reveals and "Checking a threat she reported" in reveals
    assert COMPLAINANT_NAME not in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityReveal)) == 1
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "bias.identity_revealed")).one()
        assert entry.actor_id == world.supervisor.id and "threat" not in repr(entry.data)


@pytest.mark.parametrize("url,method", [("/bias/patterns", "get"), ("/bias/patterns/export", "post")])
def test_patterns_are_for_supervisors(app, world, client, auth, url, method):
    auth.login(world.incharge)
    assert getattr(client, method)(url).status_code == 403


def test_patterns_page_has_charts_and_the_caveat(app, world, client, auth, queue_world):
    auth.login(world.supervisor)
    response = client.get("/bias/patterns")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A signal to look at, not a finding." in html
    assert html.count("<svg") >= 4 and "<script" not in html and "style=" not in html
    assert "Sarpanch, Rampur" in text_of(response) and "Sultanpur" in text_of(response)
    assert COMPLAINANT_NAME not in html and "Mohan Lal" not in html
    only_sehore = client.get(f"/bias/patterns?district={world.district.id}")
    assert "Sultanpur" not in text_of(only_sehore)


def test_csv_export_has_a_bom_no_identity_and_is_audited(app, world, client, auth, queue_world):
    auth.login(world.supervisor)
    response = client.post("/bias/patterns/export", data={"district": ""})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["level", "district", "jurisdiction"]
    text = body.decode("utf-8-sig")
    for secret in (*IDENTITY_STRINGS, "Mohan Lal", "Suresh Verma", "सुनीता देवी", "Kamla Bai", "Kalawati"):
        assert secret not in text
    assert "Sarpanch, Rampur" in text
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.csv")).one()
        assert entry.actor_id == world.supervisor.id and entry.data["rows"] == len(rows) - 1


def test_csv_in_hindi_keeps_devanagari(app, world, client, auth, queue_world):
    with app.app_context():
        from caseflow.auth.models import User

        db.session.get(User, world.supervisor.id).locale = "hi"
        db.session.commit()
    auth.login(world.supervisor)
    text = client.post("/bias/patterns/export", data={"district": str(world.district.id)}).get_data().decode("utf-8")
    assert "सरपंच, रामपुर" in text and "सीहोर" in text and "रायसेन" not in text


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_html_in_every_text_field_is_escaped(app, world, client, auth, case_id, payload):
    auth.login(world.incharge)
    response = client.post(f"/cases/{case_id}/bias/new", data=form_for(
        case_id, holder_name=payload, account=payload, evidence_notes=payload, witnesses=payload,
        complainant_name=payload, complainant_relation=payload, complainant_contact=payload,
        protection_concern=payload))
    assert response.status_code == 303
    url = response.headers["Location"]
    pages = [client.get(url), client.get(f"/cases/{case_id}"), client.get("/bias")]
    Auth(client).logout()
    auth.login(world.supervisor)
    html = client.get(url).get_data(as_text=True)
    client.post(f"{url}/do/take", data={"take-version": version_of(html, "take-version")})
    html = client.get(url).get_data(as_text=True)
    client.post(f"{url}/do/record_finding", data={
        "record_finding-version": version_of(html, "record_finding-version"), "record_finding-finding": "referred",
        "record_finding-reasons": payload, "record_finding-referral_office": str(world.collector.id)})
    pages += [client.post(f"{url}/reveal", data={"reason": payload}), client.get(url), client.get("/bias/patterns"),
              client.get("/bias?status=all")]
    stale = client.post(f"{url}/do/reopen", data={"reopen-version": "1", "reopen-reason": payload})
    assert stale.status_code == 409
    pages.append(stale)
    escaped_seen = 0
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        escaped_seen += html.count("&lt;script&gt;") + html.count("&lt;img src=x")
    assert escaped_seen >= 10  # the payload really was shown, escaped, in many places


def test_patterns_page_shows_the_strongest_rows_and_says_so(app, world, client, auth, queue_world, monkeypatch):
    from caseflow.bias import views

    auth.login(world.supervisor)
    assert 'data-testid="truncated"' not in client.get("/bias/patterns").get_data(as_text=True)
    monkeypatch.setattr(views, "PATTERN_ROWS", 1)
    html = client.get("/bias/patterns").get_data(as_text=True)
    assert 'data-testid="truncated"' in html and "The 1 strongest signals of 3 are shown" in html
