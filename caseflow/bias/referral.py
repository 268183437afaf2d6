"""What a referral letter about a bias finding may show, and nothing else.

The complainant's identity only with their consent; without it (when they are the
beneficiary) no beneficiary, settlement or reference either. The letter quotes the
supervisor's reasons and is signed by the supervisor who made the finding. Registered with
caseflow.letters.render as the context of referral letters (see caseflow.create_app).
"""
import re

import sqlalchemy as sa

from caseflow.areas.models import PATH_SEGMENT, Area, path_ids
from caseflow.auth.models import User
from caseflow.bias.models import BiasReport
from caseflow.bias.services import stored_complainant
from caseflow.db import local_date
from caseflow.extensions import db
from caseflow.letters.models import Letter

WITHHELD = "[…]"


def _redact(text: str | None, secrets: list[str]) -> str | None:
    if not text:
        return text
    for secret in sorted((s for s in secrets if s and len(s.strip()) >= 3), key=len, reverse=True):
        text = re.sub(re.escape(secret.strip()), WITHHELD, text, flags=re.IGNORECASE)
    return text


def _area_names(path: str, locale: str) -> list[str]:
    ids = path_ids(path)
    areas = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))}
    return [areas[i].name(locale) for i in ids if i in areas]


def referral_letter_context(report: BiasReport) -> dict:
    """Exactly what a referral letter about this report may show, and nothing else.

    The complainant's identity is in it only if they consented to be named. When the
    complainant is the beneficiary and did not consent, the case reference, the beneficiary's
    name and the settlement are left out too (any of them points at the person), and the
    letter names only the gram panchayat/ward and above. The supervisor's written reasons
    are quoted with the complainant's (and then the beneficiary's) name and contact cut out,
    as a second line of defence. The account, evidence, witnesses and protection concern are
    never in it: they are the complainant's words and may identify them.
    """
    complainant = stored_complainant(report)
    consent = bool(complainant and complainant.consent_to_be_named)
    complainant_is_beneficiary = complainant is None or complainant.is_beneficiary
    case = report.case
    beneficiary_shown = consent or not complainant_is_beneficiary
    secrets = []
    if complainant is not None and not consent:
        secrets += [complainant.name, complainant.contact, complainant.relation_to_beneficiary]
        if complainant.is_beneficiary:
            secrets += [case.beneficiary.name, case.beneficiary.mobile]
    office = report.accused_office
    # The place down to the gram panchayat or ward; the settlement only with the case itself.
    place_path = case.area_path if beneficiary_shown else case.area_path[: 4 * PATH_SEGMENT]
    return {
        "report_id": report.id,
        "case_reference": case.reference if beneficiary_shown else None,
        "beneficiary_name": case.beneficiary.name if beneficiary_shown else None,
        "scheme_code": case.scheme.code,
        "scheme_name": {"en": case.scheme.name_en, "hi": case.scheme.name_hi},
        "place": {"en": _area_names(place_path, "en"), "hi": _area_names(place_path, "hi")},
        "accused_role": report.accused_role.value,
        "accused_office_title": {"en": office.title("en"), "hi": office.title("hi")} if office else None,
        # The post's holder at the time: a public official, named in the letter about them.
        "accused_holder_name": report.accused_holder_name,
        "kind": report.kind.value,
        "incident_date": report.incident_date,
        "finding": report.finding.value if report.finding else None,
        "finding_date": local_date(report.finding_at) if report.finding_at else None,
        "finding_reasons": _redact(report.finding_reasons, secrets),
        "complainant": (
            {"is_beneficiary": complainant.is_beneficiary,
             "name": case.beneficiary.name if complainant.is_beneficiary else complainant.name,
             "relation_to_beneficiary": complainant.relation_to_beneficiary}
            if consent else None
        ),
    }


def referral_letter_extras(letter: Letter) -> dict:
    """What a referral letter adds to the letter's context (registered with letters.render):
    the finding as `referral_letter_context` allows, and the supervisor who made the finding
    as the one who signs — the referral is their decision, not the in-charge's."""
    report = db.session.get(BiasReport, letter.bias_report_id)
    referral = referral_letter_context(report)
    decided_by = db.session.get(User, report.finding_by_id) if report.finding_by_id else None
    return {
        "bias_report": report,
        "referral": referral,
        # A referral that must not identify the beneficiary shows no person, place or reference.
        "anonymous": referral.get("beneficiary_name") is None,
        "signatory": decided_by,
        "signatory_title": "supervisor" if decided_by is not None else None,
    }
