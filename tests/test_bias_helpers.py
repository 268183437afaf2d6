"""Factories shared by the bias tests (no tests here): reports, more supervisors, review steps."""
from datetime import date, timedelta

from caseflow.auth import services as auth_services
from caseflow.auth.models import Role
from caseflow.bias import services
from caseflow.bias.models import AccusedRole, BiasKind, Finding
from caseflow.db import today
from tests.conftest import PASSWORD

# What identifies the complainant, in spellings that appear nowhere else in the world.
COMPLAINANT_NAME = "Kalawati Bairagi"
COMPLAINANT_CONTACT = "Via Anganwadi worker Shanno"
COMPLAINANT_RELATION = "Neighbour of the family"
PROTECTION = "Fears her son will lose his job at the panchayat"
IDENTITY_STRINGS = (COMPLAINANT_NAME, COMPLAINANT_CONTACT, COMPLAINANT_RELATION, PROTECTION)


def incident() -> date:
    return today() - timedelta(days=10)


def someone_else(consent: bool = False) -> services.Complainant:
    return services.Complainant(is_beneficiary=False, name=COMPLAINANT_NAME, relation=COMPLAINANT_RELATION,
                                contact=COMPLAINANT_CONTACT, consent_to_be_named=consent,
                                protection_concern=PROTECTION)


def the_beneficiary(consent: bool = False) -> services.Complainant:
    return services.Complainant(is_beneficiary=True, contact=COMPLAINANT_CONTACT, consent_to_be_named=consent,
                                protection_concern=PROTECTION)


def file(world, case=None, *, actor=None, role=AccusedRole.SARPANCH, kind=BiasKind.POLITICAL, complainant=None,
         **fields):
    case = case or world.case(status="submitted")
    return services.file_report(
        case, actor or world.incharge, accused_role=role, kind=kind, incident_date=fields.pop("incident_date", incident()),
        account=fields.pop("account", "The sarpanch said: you did not vote for me, so no house for you."),
        complainant=complainant or someone_else(), **fields)


def supervisor(username: str, areas, name: str | None = None):
    return auth_services.create_user(username=username, display_name=name or username.title(), password=PASSWORD,
                                     role=Role.SUPERVISOR, areas=areas, locale="en", actor=None)


def finding_data(finding: Finding = Finding.SUBSTANTIATED, reasons: str = "Two witnesses confirm the remark.",
                 **extra) -> dict:
    return {"finding": finding, "reasons": reasons, **extra}


def review(report, actor, trigger, data=None):
    return services.review(report, actor, trigger, data or {}, expected_version=report.version)
