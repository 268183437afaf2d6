"""Filing and reviewing bias reports; revealing a complainant's identity (logged).

Every verb checks the version the user saw, changes the report (through the review machine
for the lifecycle), appends its timeline event and audit entry, and flushes; the caller
commits once. The complainant's identity is written once, on filing, and read back only by
`reveal_identity` (a supervisor, with a reason, logged), by `filer_identity` (the person
who filed it) and, when the complainant agreed to be named, by `referral_letter_context`.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.models import Office, OfficeKind, path_ids
from caseflow.areas.services import resolve_office
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.bias import patterns, workflow
from caseflow.bias.models import (
    OPEN_REVIEW,
    AccusedRole,
    BiasComplainant,
    BiasEvent,
    BiasKind,
    BiasReport,
    Finding,
    IdentityReveal,
    ReviewStatus,
)
from caseflow.cases.models import Case
from caseflow.db import today
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.letters.models import LetterKind
from caseflow.letters.services import draft_letter
from caseflow.scope import path_in_scope

# Roles whose office is found by the office kind of the same code, walking up from the case.
ROLE_KIND_CODES = {
    AccusedRole.SARPANCH: "sarpanch",
    AccusedRole.PARSHAD: "parshad",
    AccusedRole.PANCHAYAT_SECRETARY: "panchayat_secretary",
}


class BiasError(Refused):
    pass




@dataclass
class Complainant:
    """Who complained, as the filing form gives it."""

    is_beneficiary: bool = True
    name: str | None = None
    relation: str | None = None
    contact: str | None = None
    consent_to_be_named: bool = False
    protection_concern: str | None = None


# --- read helpers ----------------------------------------------------------------------


def blocked_offices_by_case(case_ids: list[int]) -> dict[int, set[int]]:
    """Offices each case must not be routed to: those accused in a report that still blocks.

    A report blocks while it is under review, and after a finding that it was substantiated
    or referred to a higher authority (see BiasReport.blocks_routing). One query for any
    number of cases; registered with caseflow.cases.routing, which every move asks.
    """
    found: dict[int, set[int]] = {}
    if not case_ids:
        return found
    rows = db.session.execute(
        sa.select(BiasReport.case_id, BiasReport.accused_office_id).where(
            BiasReport.case_id.in_(case_ids),
            BiasReport.accused_office_id.is_not(None),
            sa.or_(BiasReport.status.in_(OPEN_REVIEW), BiasReport.finding.in_((Finding.SUBSTANTIATED, Finding.REFERRED))),
        )
    )
    for case_id, office_id in rows:
        found.setdefault(case_id, set()).add(office_id)
    return found


def blocked_office_ids(case: Case) -> set[int]:
    return blocked_offices_by_case([case.id]).get(case.id, set())


def has_open_report(case: Case) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.func.count()).select_from(BiasReport).where(
            BiasReport.case_id == case.id, BiasReport.status.in_(OPEN_REVIEW))
    ))


def reports_for_case(case: Case) -> list[BiasReport]:
    return db.session.scalars(sa.select(BiasReport).where(BiasReport.case_id == case.id).order_by(BiasReport.id)).all()


def may_file(actor: User, case: Case) -> bool:
    return actor.role in (Role.INCHARGE, Role.SUPERVISOR) and path_in_scope(actor, case.area_path)


def accused_office_for(case: Case, role: AccusedRole) -> Office | None:
    """The post of this role responsible for the case's place, if one is set up."""
    code = ROLE_KIND_CODES.get(role)
    if code is None:
        return None
    kind_id = db.session.scalar(sa.select(OfficeKind.id).where(OfficeKind.code == code))
    return resolve_office(case.area_path, kind_id) if kind_id is not None else None


def offices_above(case: Case) -> list[Office]:
    """Every office at the case's settlement or above it, nearest first."""
    ids = path_ids(case.area_path)
    offices = db.session.scalars(sa.select(Office).where(Office.area_id.in_(ids))).all()
    depth = {area_id: i for i, area_id in enumerate(ids)}
    return sorted(offices, key=lambda o: (-depth[o.area_id], o.kind.code))


def other_office_choices(case: Case) -> list[Office]:
    """Offices an "other" accused may hold: those above the case not covered by a named role."""
    named = set(ROLE_KIND_CODES.values())
    return [o for o in offices_above(case) if o.kind.code not in named]


def referral_choices(report: BiasReport) -> list[Office]:
    """Higher authorities a finding can be referred to: offices above the accused, highest first.

    Above the accused office's own area when it is known, else above the case's gram
    panchayat or ward; never the accused, nor another office accused on the same case, nor an
    elected post (a referral goes to the administration, not to another local head).
    """
    case = report.case
    ids = path_ids(case.area_path)
    if report.accused_office is not None:
        ids = path_ids(report.accused_office.area.path)[:-1]
    else:
        ids = ids[:3]  # state, district, block/urban body
    blocked = blocked_office_ids(case) | ({report.accused_office_id} if report.accused_office_id else set())
    offices = db.session.scalars(sa.select(Office).where(Office.area_id.in_(ids))).all() if ids else []
    depth = {area_id: i for i, area_id in enumerate(ids)}
    return sorted((o for o in offices if o.id not in blocked and not o.kind.elected),
                  key=lambda o: (depth[o.area_id], o.kind.code))


def default_referral(choices: list[Office]) -> Office | None:
    """The district's office (the collector, typically) if there is one, else the highest."""
    for office in choices:
        if office.area.kind.value == "district":
            return office
    return choices[0] if choices else None


def filer_identity(report: BiasReport, user: User) -> BiasComplainant | None:
    """The identity, for the one person who filed the report (they gave it); None for anyone else."""
    if user is None or report.filed_by_id != user.id or not path_in_scope(user, report.area_path):
        return None
    return stored_complainant(report)


def reveals(report: BiasReport) -> list[IdentityReveal]:
    return db.session.scalars(
        sa.select(IdentityReveal).where(IdentityReveal.report_id == report.id).order_by(IdentityReveal.id)
    ).all()


def events(report: BiasReport) -> list[BiasEvent]:
    return db.session.scalars(sa.select(BiasEvent).where(BiasEvent.report_id == report.id).order_by(BiasEvent.id)).all()


def stored_complainant(report: BiasReport) -> BiasComplainant | None:
    """Who complained, as filed: only for the reveal, the filer and a consenting referral."""
    return db.session.scalar(sa.select(BiasComplainant).where(BiasComplainant.report_id == report.id))


# --- verbs -----------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    text = text.strip() if isinstance(text, str) else None
    return text or None


def file_report(
    case: Case,
    actor: User,
    *,
    accused_role: AccusedRole,
    kind: BiasKind,
    incident_date: date,
    account: str,
    complainant: Complainant,
    other_office_id: int | None = None,
    holder_name: str | None = None,
    evidence_notes: str | None = None,
    witnesses: str | None = None,
) -> BiasReport:
    """File a report about `case`. The identity goes to its own table, nowhere else."""
    if not may_file(actor, case):
        raise BiasError(_l("Only an in-charge or a supervisor of the case's area can report bias."))
    if not isinstance(incident_date, date):
        raise BiasError(_l("The incident date is required."))
    if incident_date > today():
        raise BiasError(_l("A date cannot be in the future."))
    if not _clean(account):
        raise BiasError(_l("The account of what happened is required."))
    if not complainant.is_beneficiary and not _clean(complainant.name):
        raise BiasError(_l("Give the name of the person who complained (it is kept confidential)."))
    if accused_role is AccusedRole.OTHER:
        office = None
        if other_office_id:
            office = next((o for o in other_office_choices(case) if o.id == other_office_id), None)
            if office is None:
                raise BiasError(_l("Choose an office of the case's area."))
    else:
        office = accused_office_for(case, accused_role)
    report = BiasReport(
        case_id=case.id,
        area_path=case.area_path,
        accused_role=accused_role,
        accused_office_id=office.id if office else None,
        # Holders change: keep who held the post, as the in-charge knows it, else as recorded.
        accused_holder_name=_clean(holder_name) or (office.holder_name if office else None),
        kind=kind,
        incident_date=incident_date,
        account=_clean(account),
        evidence_notes=_clean(evidence_notes),
        witnesses=_clean(witnesses),
        filed_by_id=actor.id,
        status=ReviewStatus.FILED,
    )
    db.session.add(report)
    db.session.flush()
    db.session.add(BiasComplainant(
        report_id=report.id,
        is_beneficiary=complainant.is_beneficiary,
        name=None if complainant.is_beneficiary else _clean(complainant.name),
        relation_to_beneficiary=None if complainant.is_beneficiary else _clean(complainant.relation),
        contact=_clean(complainant.contact),
        consent_to_be_named=bool(complainant.consent_to_be_named),
        protection_concern=_clean(complainant.protection_concern),
    ))
    db.session.add(BiasEvent(report_id=report.id, actor_id=actor.id, trigger="file", to_status=ReviewStatus.FILED))
    record("bias.filed", actor=actor, obj=report, data={
        "case_id": case.id, "accused_role": accused_role, "accused_office_id": report.accused_office_id,
        "kind": kind, "status": report.status})
    db.session.flush()
    return report


def _check_version(report: BiasReport, expected_version: int | None) -> None:
    if expected_version is None or report.version != expected_version:
        raise Stale()


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Stale() from exc


def review(report: BiasReport, actor: User, trigger: str, data: dict, *, expected_version: int | None) -> BiasEvent:
    """Fire a review step. Raises Stale or workflow.TransitionRefused and then changes nothing.

    A referred finding drafts the referral letter to the chosen higher authority in the same
    transaction.
    """
    _check_version(report, expected_version)
    if trigger not in workflow.TRIGGERS:
        raise workflow.TransitionRefused([f"unknown action {trigger!r}"])
    if not path_in_scope(actor, report.area_path):
        raise workflow.TransitionRefused([_l("The report is outside your areas.")])
    step, problems = workflow.REVIEW_MACHINE.decide(report, actor, trigger, data)
    if step is None:
        raise workflow.TransitionRefused(problems)
    referral_office = None
    if trigger == "record_finding" and data.get("finding") is Finding.REFERRED:
        referral_office = next((o for o in referral_choices(report) if o.id == data["referral_office_id"]), None)
        if referral_office is None:
            raise workflow.TransitionRefused([_l("Choose a higher authority above the accused office.")])
    before = report.status
    workflow.REVIEW_MACHINE.fire(report, trigger, actor=actor, data=data, step=step)
    event = BiasEvent(
        report_id=report.id,
        actor_id=actor.id,
        trigger=trigger,
        from_status=before,
        to_status=report.status,
        finding=data.get("finding") if trigger == "record_finding" else None,
        note=_clean(data.get("reasons") if trigger == "record_finding" else data.get("reason")),
    )
    db.session.add(event)
    # Now, before anything below queries (and so autoflushes): the versioned UPDATE is where a
    # change committed meanwhile by someone else shows, and it must surface as Stale.
    _flush()
    letter = None
    if referral_office is not None:
        letter = draft_letter(report.case, referral_office, actor=actor, kind=LetterKind.REFERRAL,
                              bias_report_id=report.id)
    audit_data = {"case_id": report.case_id, "trigger": trigger, "from": before, "to": report.status}
    if trigger == "record_finding":
        audit_data["finding"] = report.finding
    if letter is not None:
        audit_data["letter_id"] = letter.id
    record(f"bias.{trigger}", actor=actor, obj=report, data=audit_data)
    _flush()
    return event


def reveal_identity(report: BiasReport, actor: User, reason: str) -> BiasComplainant:
    """Show a supervisor who complained. The reason is kept with the reveal; the audit entry
    records that it happened (never the reason or the identity)."""
    if actor.role is not Role.SUPERVISOR or not path_in_scope(actor, report.area_path):
        raise BiasError(_l("Only a supervisor of the report's area can see who complained."))
    reason = _clean(reason)
    if not reason:
        raise BiasError(_l("Say why you need to see who complained."))
    reveal = IdentityReveal(report_id=report.id, viewer_id=actor.id, reason=reason)
    db.session.add(reveal)
    db.session.flush()
    record("bias.identity_revealed", actor=actor, obj=report, data={"reveal_id": reveal.id})
    db.session.flush()
    return stored_complainant(report)


def export_patterns(actor: User, district_id: int | None, locale: str) -> bytes:
    """The pattern tables as CSV for `actor`'s areas; the export itself goes on the audit trail."""
    result = patterns.patterns(actor, district_id)
    body = patterns.to_csv(result, locale)
    record("export.csv", actor=actor, object_type="bias_patterns",
           data={"rows": len(result.offices) + len(result.panchayats), "district_id": district_id})
    return body
