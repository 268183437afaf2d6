"""The confidentiality matrix: every role and scope against every page, export and letter that
could show who complained. The complainant's identity may appear in exactly two places: the
report page of the person who filed it, and the response to a supervisor's reveal (given a
reason, in the report's area). Everywhere else — lists, the case page, the pattern view, the
CSV export, the letter context, the audit trail, the letters register, log lines — it must not.
Each reveal is recorded (who, when, why) and shown to the other supervisors.
"""
import logging

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.auth import services as auth_services
from caseflow.auth.models import Role
from caseflow.bias import referral
from caseflow.bias.models import Finding, IdentityReveal
from caseflow.extensions import db
from caseflow.letters.models import Letter
from tests.conftest import PASSWORD, Auth
from tests.test_bias_helpers import (
    COMPLAINANT_NAME,
    IDENTITY_STRINGS,
    PROTECTION,
    file,
    finding_data,
    review,
    someone_else,
    supervisor,
    the_beneficiary,
)

ROLES = ("anonymous", "admin", "supervisor", "second_supervisor", "raisen_supervisor", "filer", "colleague",
         "raisen_incharge")
SURFACES = ("queue", "report", "case", "beneficiary", "case_queue", "patterns", "export", "reveal")
# (role, surface) pairs where the identity may show; every other pair must not show it.
ALLOWED = {("filer", "report"), ("supervisor", "reveal"), ("second_supervisor", "reveal")}
MARKER = 'data-testid="complainant-name"'  # the identity block of the report page


@pytest.fixture(params=["someone_else", "beneficiary"])
def setup(request, app, world):
    with app.app_context():
        colleague = auth_services.create_user(username="colleague", display_name="Second Sehore in-charge",
                                              password=PASSWORD, role=Role.INCHARGE, areas=[world.district],
                                              locale="en", actor=None)
        second = supervisor("second_supervisor", [world.state], "Second Supervisor")
        raisen = supervisor("raisen_supervisor", [world.other_district], "Raisen Supervisor")
        complainant = someone_else() if request.param == "someone_else" else the_beneficiary()
        report = file(world, complainant=complainant)
        # Reviewed to a referral, so a referral letter exists as well.
        review(report, world.supervisor, "take")
        review(report, world.supervisor, "record_finding",
               finding_data(Finding.REFERRED, referral_office_id=world.collector.id))
        db.session.commit()
        users = {"admin": world.admin, "supervisor": world.supervisor, "second_supervisor": second,
                 "raisen_supervisor": raisen, "filer": world.incharge, "colleague": colleague,
                 "raisen_incharge": world.other_incharge}
        secrets = list(IDENTITY_STRINGS) if request.param == "someone_else" else [PROTECTION, MARKER]
        return {"report": report.id, "case": report.case_id, "beneficiary": report.case.beneficiary_id,
                "users": {k: u.username for k, u in users.items()}, "secrets": secrets}


def _surfaces(client, s) -> dict:
    report = s["report"]
    return {
        "queue": client.get("/bias?status=all"),
        "report": client.get(f"/bias/reports/{report}"),
        "case": client.get(f"/cases/{s['case']}"),
        "beneficiary": client.get(f"/beneficiaries/{s['beneficiary']}"),
        "case_queue": client.get("/queue?status=all"),
        "patterns": client.get("/bias/patterns"),
        "export": client.post("/bias/patterns/export", data={"district": ""}),
        "reveal": client.post(f"/bias/reports/{report}/reveal", data={"reason": "Protection visit planned"}),
    }


def test_identity_appears_only_where_allowed(app, setup, caplog):
    caplog.set_level(logging.DEBUG)
    seen = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            assert Auth(client).login(setup["users"][role]).status_code == 302
        for surface, response in _surfaces(client, setup).items():
            body = response.get_data(as_text=True)
            shown = [secret for secret in setup["secrets"] if secret in body]
            seen[(role, surface)] = (response.status_code, bool(shown))
            assert bool(shown) == ((role, surface) in ALLOWED), (role, surface, response.status_code, shown)
    # The allowed views really happened (not a 403/404 that trivially shows nothing).
    assert seen[("filer", "report")] == (200, True)
    assert seen[("supervisor", "reveal")] == (200, True)
    assert seen[("raisen_supervisor", "reveal")] == (404, False)
    assert seen[("colleague", "report")] == (200, False)
    assert seen[("raisen_incharge", "report")][0] == 404
    assert seen[("supervisor", "export")][0] == 200 and seen[("supervisor", "patterns")][0] == 200
    for record in caplog.records:
        assert not any(secret in record.getMessage() for secret in setup["secrets"])


def test_reveals_are_logged_and_listed_for_other_supervisors(app, setup):
    for role in ("supervisor", "second_supervisor"):
        client = app.test_client()
        Auth(client).login(setup["users"][role])
        client.post(f"/bias/reports/{setup['report']}/reveal", data={"reason": f"Reason of {role}"})
    with app.app_context():
        rows = db.session.scalars(sa.select(IdentityReveal).order_by(IdentityReveal.id)).all()
        assert [(r.viewer.username, r.reason) for r in rows] == [
            ("supervisor", "Reason of supervisor"), ("second_supervisor", "Reason of second_supervisor")]
        assert len(db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "bias.identity_revealed")).all()) == 2
    client = app.test_client()
    Auth(client).login(setup["users"]["raisen_supervisor"])
    assert client.get(f"/bias/reports/{setup['report']}").status_code == 404
    for role, visible in (("supervisor", True), ("second_supervisor", True), ("filer", False), ("colleague", False)):
        client = app.test_client()
        Auth(client).login(setup["users"][role])
        body = client.get(f"/bias/reports/{setup['report']}").get_data(as_text=True)
        assert ("Reason of second_supervisor" in body) is visible, role


def test_no_identity_in_letters_audit_or_letter_context(app, setup):
    with app.app_context():
        audit_text = " ".join(repr((e.action, e.data)) for e in db.session.scalars(sa.select(AuditEntry)))
        letters = db.session.scalars(sa.select(Letter)).all()
        assert letters, "the referral drafted a letter"
        letter_text = " ".join(repr({c.key: getattr(letter, c.key) for c in sa.inspect(Letter).column_attrs})
                               for letter in letters)
        from caseflow.bias.models import BiasReport

        context = repr(referral.referral_letter_context(db.session.get(BiasReport, setup["report"])))
        with app.test_request_context():
            from caseflow.letters.render import letter_html

            rendered = " ".join(letter_html(letter) for letter in letters)
    for secret in setup["secrets"]:
        assert secret not in audit_text
        assert secret not in letter_text
        assert secret not in context
        assert secret not in rendered
    assert COMPLAINANT_NAME not in context
    assert "Sarpanch, Rampur" in rendered  # the referral letter itself was rendered
