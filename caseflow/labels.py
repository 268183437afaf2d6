"""Every code a person may read, with its Hindi and English label, in one place.

Statuses, event kinds, reasons, channels, letter and bias codes, roles, area kinds, the steps
of both review machines as the timeline tells them, and every audit action and audit data key.
Forms, workflows, letters, the timeline and the audit page take their labels from here, so a
code never reaches a page untranslated; tests/test_labels.py fails on a code without a label.

Labels are lazy strings: they are translated when shown, in the reader's (or the letter's)
language. This module imports model enums only, so services and views can all use it.
"""
from enum import Enum

from flask_babel import lazy_gettext as _l

from caseflow.areas.models import AreaKind
from caseflow.auth.models import Role
from caseflow.beneficiaries.models import Gender, LawfulBasis, Relation
from caseflow.bias.models import AccusedRole, BiasKind, Finding, ReviewStatus
from caseflow.cases.models import Attention, CaseStatus, Channel, CloseReason, EventKind
from caseflow.letters.models import DispatchMode, LetterKind, LetterStatus

# --- cases ------------------------------------------------------------------------------------

CASE_STATUS = {
    CaseStatus.IDENTIFIED: _l("Identified"),
    CaseStatus.DOCUMENTED: _l("Documented"),
    CaseStatus.SUBMITTED: _l("Submitted"),
    CaseStatus.ESCALATED: _l("Escalated"),
    CaseStatus.SANCTIONED: _l("Sanctioned"),
    CaseStatus.REJECTED: _l("Rejected"),
    CaseStatus.RESOLVED: _l("Resolved"),
    CaseStatus.CLOSED: _l("Closed"),
}
# How the timeline (and a letter's history) tells of a case step once taken, by trigger.
CASE_STEP_DONE = {
    "verify": _l("Documents verified"),
    "submit": _l("Submission recorded"),
    "escalate": _l("Escalated"),
    "sanction": _l("Sanction recorded"),
    "reject": _l("Rejection recorded"),
    "appeal": _l("Appealed"),
    "deliver": _l("Delivery recorded"),
    "close": _l("Case closed"),
    "reopen": _l("Case reopened"),
    "send_back": _l("Sent back to the level below"),
}
EVENT_KIND = {
    EventKind.CREATED: _l("Case opened"),
    EventKind.TRANSITION: _l("Case step"),
    EventKind.FOLLOW_UP: _l("Follow-up"),
    EventKind.ASSIGNMENT: _l("Case assigned"),
    EventKind.LETTER: _l("Letter drafted"),
    EventKind.SENT_BACK: _l("Sent back to the level below"),
    EventKind.ATTENTION: _l("Put on a supervisor's list"),
}
CLOSE_REASON = {
    CloseReason.INELIGIBLE: _l("Not eligible"),
    CloseReason.DUPLICATE: _l("Duplicate case"),
    CloseReason.WITHDRAWN: _l("Withdrawn by the beneficiary"),
    CloseReason.UNREACHABLE: _l("Beneficiary unreachable"),
    CloseReason.DECEASED: _l("Beneficiary deceased"),
    CloseReason.MOVED: _l("Beneficiary moved away"),
}
CHANNEL = {
    Channel.VISIT: _l("Visit"),
    Channel.PHONE: _l("Phone"),
    Channel.LETTER: _l("Letter"),
    Channel.EMAIL: _l("Email"),
}
ATTENTION = {
    Attention.STALLED_AT_TOP: _l("Stalled at the top"),
    Attention.NEEDS_CONFIGURATION: _l("Needs configuration"),
}

# --- bias reports -----------------------------------------------------------------------------

REVIEW_STATUS = {
    ReviewStatus.FILED: _l("Filed"),
    ReviewStatus.IN_REVIEW: _l("In review"),
    ReviewStatus.AWAITING_CONFIRMATION: _l("Awaiting confirmation"),
    ReviewStatus.CONCLUDED: _l("Concluded"),
}
# How the report's timeline tells of a review step once taken, by trigger ("file" opens it).
BIAS_STEP_DONE = {
    "file": _l("Report filed"),
    "take": _l("Taken for review"),
    "take_over": _l("Review taken over"),
    "record_finding": _l("Finding recorded"),
    "confirm": _l("Finding confirmed"),
    "send_back": _l("Finding sent back for review"),
    "reopen": _l("Review reopened"),
}
ACCUSED_ROLE = {
    AccusedRole.SARPANCH: _l("Sarpanch"),
    AccusedRole.PARSHAD: _l("Parshad (ward councillor)"),
    AccusedRole.PANCHAYAT_SECRETARY: _l("Panchayat secretary"),
    AccusedRole.OTHER: _l("Other official"),
}
BIAS_KIND = {
    BiasKind.POLITICAL: _l("Political retaliation (“you did not vote for me”)"),
    BiasKind.CASTE: _l("Caste"),
    BiasKind.RELIGION: _l("Religion"),
    BiasKind.BRIBE: _l("Bribe demand"),
    BiasKind.OTHER: _l("Other"),
}
FINDING = {
    Finding.SUBSTANTIATED: _l("Substantiated"),
    Finding.UNSUBSTANTIATED: _l("Unsubstantiated"),
    Finding.REFERRED: _l("Referred to a higher authority"),
}
# The same codes inside a letter's sentences ("a complaint of %(kind)s …", "… concluded: %(finding)s").
BIAS_KIND_PHRASE = {
    BiasKind.POLITICAL: _l("political retaliation"),
    BiasKind.CASTE: _l("caste discrimination"),
    BiasKind.RELIGION: _l("religious discrimination"),
    BiasKind.BRIBE: _l("a bribe demand"),
    BiasKind.OTHER: _l("bias"),
}
FINDING_PHRASE = {
    Finding.SUBSTANTIATED: _l("the complaint is substantiated"),
    Finding.UNSUBSTANTIATED: _l("the complaint could not be substantiated"),
    Finding.REFERRED: _l("the complaint needs an inquiry by a higher authority"),
}

# --- letters ----------------------------------------------------------------------------------

LETTER_STATUS = {
    LetterStatus.DRAFTED: _l("Drafted"),
    LetterStatus.DISPATCHED: _l("Dispatched"),
    LetterStatus.ACKNOWLEDGED: _l("Acknowledged"),
}
LETTER_KIND = {
    LetterKind.ESCALATION: _l("Escalation letter"),
    LetterKind.REFERRAL: _l("Referral letter"),
}
DISPATCH_MODE = {
    DispatchMode.HAND: _l("By hand"),
    DispatchMode.REGISTERED_POST: _l("Registered post"),
    DispatchMode.EMAIL: _l("Email"),
}

# --- people and places ------------------------------------------------------------------------

ROLE = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.INCHARGE: _l("District in-charge"),
}
AREA_KIND = {
    AreaKind.STATE: _l("State"),
    AreaKind.DISTRICT: _l("District"),
    AreaKind.BLOCK: _l("Block"),
    AreaKind.URBAN_BODY: _l("Urban body"),
    AreaKind.GRAM_PANCHAYAT: _l("Gram panchayat"),
    AreaKind.WARD: _l("Ward"),
    AreaKind.SETTLEMENT: _l("Settlement"),
}
GENDER = {Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male"), Gender.OTHER: _l("Other")}
RELATION = {
    Relation.FATHER: _l("Father"),
    Relation.HUSBAND: _l("Husband"),
    Relation.MOTHER: _l("Mother"),
    Relation.GUARDIAN: _l("Guardian"),
}
# A letter's table row naming the relative ("Father's name: …").
RELATION_PHRASE = {
    Relation.FATHER: _l("Father's name"),
    Relation.HUSBAND: _l("Husband's name"),
    Relation.MOTHER: _l("Mother's name"),
    Relation.GUARDIAN: _l("Guardian's name"),
}
LAWFUL_BASIS = {
    LawfulBasis.WRITTEN_CONSENT: _l("Written consent of the person"),
    LawfulBasis.ORAL_CONSENT: _l("Oral consent of the person, witnessed"),
    LawfulBasis.GUARDIAN_CONSENT: _l("Consent of a guardian"),
}

# --- the audit trail --------------------------------------------------------------------------

# Every action `caseflow.audit.services.record` is called with (tests/test_labels.py reads the
# calls in the source and fails on one missing here). `bias.<trigger>` is one per review step.
AUDIT_ACTION = {
    "access.refused": _l("Access refused"),
    "area.created": _l("Area added"),
    "area.updated": _l("Area changed"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "beneficiary.registered": _l("Beneficiary registered"),
    "beneficiary.updated": _l("Beneficiary details changed"),
    "bias.confirm": _l("Bias review: finding confirmed"),
    "bias.filed": _l("Bias report filed"),
    "bias.identity_revealed": _l("Complainant's identity shown"),
    "bias.record_finding": _l("Bias review: finding recorded"),
    "bias.reopen": _l("Bias review: reopened"),
    "bias.send_back": _l("Bias review: finding sent back"),
    "bias.take": _l("Bias review: taken for review"),
    "bias.take_over": _l("Bias review: taken over"),
    "case.assigned": _l("Case assigned"),
    "case.attention": _l("Case put on a supervisor's list"),
    "case.attention_cleared": _l("Case taken off a supervisor's list"),
    "case.bias_skip": _l("Accused office skipped in escalation"),
    "case.follow_up": _l("Follow-up logged"),
    "case.opened": _l("Case opened"),
    "case.send_back": _l("Case sent back to the level below"),
    "case.sent_back": _l("Case sent back to the level below"),
    "case.transition": _l("Case step"),
    "export.csv": _l("Data exported (CSV)"),
    "holiday.created": _l("Holiday added"),
    "holiday.deleted": _l("Holiday deleted"),
    "letter.acknowledged": _l("Letter receipt recorded"),
    "letter.dispatched": _l("Letter dispatch recorded"),
    "letter.drafted": _l("Letter drafted"),
    "letter.printed": _l("Letter printed"),
    "letter.rendered": _l("Letter PDF made"),
    "letter.superseded": _l("Letter superseded"),
    "office.created": _l("Office added"),
    "office.updated": _l("Office changed"),
    "office_kind.created": _l("Office kind added"),
    "office_kind.updated": _l("Office kind changed"),
    "scheme.created": _l("Scheme added"),
    "scheme.ladder_set": _l("Escalation ladder set"),
    "scheme.updated": _l("Scheme changed"),
    "sweep.finished": _l("Escalation sweep finished"),
    "sweep.started": _l("Escalation sweep started"),
    "user.area_added": _l("Area added to account"),
    "user.created": _l("Account created"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account enabled"),
    "user.locale_changed": _l("Language changed"),
    "user.password_changed": _l("Password changed"),
    "user.updated": _l("Account changed"),
}
# What an entry is about (its object_type: the table name).
AUDIT_OBJECT = {
    "areas": _l("Area"),
    "beneficiaries": _l("Beneficiary"),
    "bias_patterns": _l("Bias patterns"),
    "bias_reports": _l("Bias report"),
    "cases": _l("Case"),
    "holidays": _l("Holiday"),
    "letters": _l("Letter"),
    "office_kinds": _l("Office kind"),
    "offices": _l("Office"),
    "schemes": _l("Scheme"),
    "sweep_runs": _l("Escalation sweep"),
    "users": _l("User account"),
}
# What the keys of an entry's data mean (tests/test_labels.py checks the keys written literally).
AUDIT_KEY = {
    "accused_office_id": _l("accused office"),
    "accused_role": _l("accused"),
    "area_id": _l("area"),
    "area_ids": _l("areas"),
    "args": _l("asked for"),
    "as_of": _l("as of"),
    "assignee_id": _l("assigned to"),
    "attention": _l("list"),
    "batch": _l("in a batch"),
    "beneficiary_id": _l("beneficiary"),
    "case_id": _l("case"),
    "channel": _l("channel"),
    "code": _l("code"),
    "day": _l("day"),
    "district_id": _l("district"),
    "elected": _l("elected"),
    "endpoint": _l("page"),
    "escalated": _l("escalated"),
    "fields": _l("fields"),
    "finding": _l("finding"),
    "from_level": _l("from level"),
    "holder_changed": _l("holder changed"),
    "kind": _l("kind"),
    "kind_id": _l("office kind"),
    "letter_id": _l("letter"),
    "level": _l("level"),
    "levels": _l("levels"),
    "locale": _l("language"),
    "missing_level": _l("level without an office"),
    "mode": _l("sent by"),
    "needs_configuration": _l("needs configuration"),
    "office_id": _l("office"),
    "office_kind_id": _l("office kind"),
    "overdue_since": _l("overdue since"),
    "parent_id": _l("part of"),
    "promised_date_set": _l("date promised"),
    "reason": _l("reason code"),
    "reveal_id": _l("view"),
    "role": _l("role"),
    "rows": _l("rows"),
    "scheme_id": _l("scheme"),
    "settlement_id": _l("settlement"),
    "sha256": _l("PDF fingerprint"),
    "skipped_levels": _l("levels skipped"),
    "stalled_at_top": _l("stalled at the top"),
    "status": _l("status"),
    "to_level": _l("to level"),
    "vacant": _l("vacant"),
}
# Bookkeeping keys the audit page does not repeat (the step line already tells from → to).
AUDIT_HIDDEN_KEYS = frozenset({"event_id", "trigger", "from", "to", "method"})

# Every labelled enum, so `label(member)` (the template filter) needs no table name.
BY_ENUM: dict[type[Enum], dict] = {
    AccusedRole: ACCUSED_ROLE,
    AreaKind: AREA_KIND,
    Attention: ATTENTION,
    BiasKind: BIAS_KIND,
    CaseStatus: CASE_STATUS,
    Channel: CHANNEL,
    CloseReason: CLOSE_REASON,
    DispatchMode: DISPATCH_MODE,
    EventKind: EVENT_KIND,
    Finding: FINDING,
    Gender: GENDER,
    LawfulBasis: LAWFUL_BASIS,
    LetterKind: LETTER_KIND,
    LetterStatus: LETTER_STATUS,
    Relation: RELATION,
    ReviewStatus: REVIEW_STATUS,
    Role: ROLE,
}


ENUM_NAMED = {enum_cls.__name__: enum_cls for enum_cls in BY_ENUM}


def label(value, enum_name: str | None = None):
    """The label of any enum member above ("" for None); the template filter `label`.

    `enum_name` reads a stored code (from an event's or audit entry's JSON data) as a member
    of that enum: `details.attention|label("Attention")`. A code the enum no longer has is
    shown as it is. A member of an enum with no table here is a KeyError, which the tests catch.
    """
    if value is None:
        return ""
    if enum_name is not None:
        try:
            value = ENUM_NAMED[enum_name](value)
        except ValueError:
            return str(value)
    return BY_ENUM[type(value)][value]


def audit_action(action: str):
    """The label of an audit action; the code itself only for an action older than this table."""
    return AUDIT_ACTION.get(action, action)
