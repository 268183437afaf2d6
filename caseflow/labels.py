"""Every code a person may read, with its Hindi and English label, in one place.

Statuses, event kinds, reasons, channels, letter and bias codes, roles, area kinds, the steps
of both review machines as the timeline tells them, and every audit action and audit data key.
Forms, workflows, letters, the timeline and the audit page take their labels from here, so a
code never reaches a page untranslated; tests/test_labels.py fails on a code without a label.

Labels are lazy strings: they are translated when shown, in the reader's (or the letter's)
language. Tables are keyed by the codes the enums store, and this module imports nothing of
the domains, so every layer (workflows, services, views, letters) can use it.
"""
from flask_babel import lazy_gettext as _l


class Labels(dict):
    """A label table keyed by code, that also takes the enum member whose value the code is."""

    def __getitem__(self, key):
        return super().__getitem__(getattr(key, "value", key))

    def get(self, key, default=None):
        return super().get(getattr(key, "value", key), default)

    def __contains__(self, key) -> bool:
        return super().__contains__(getattr(key, "value", key))


# --- cases ------------------------------------------------------------------------------------

CASE_STATUS = Labels({
    "identified": _l("Identified"),
    "documented": _l("Documented"),
    "submitted": _l("Submitted"),
    "escalated": _l("Escalated"),
    "sanctioned": _l("Sanctioned"),
    "rejected": _l("Rejected"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
})
# How the timeline (and a letter's history) tells of a case step once taken, by trigger.
CASE_STEP_DONE = Labels({
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
})
EVENT_KIND = Labels({
    "created": _l("Case opened"),
    "transition": _l("Case step"),
    "follow_up": _l("Follow-up"),
    "assignment": _l("Case assigned"),
    "letter": _l("Letter drafted"),
    "sent_back": _l("Sent back to the level below"),
    "attention": _l("Put on a supervisor's list"),
})
CLOSE_REASON = Labels({
    "ineligible": _l("Not eligible"),
    "duplicate": _l("Duplicate case"),
    "withdrawn": _l("Withdrawn by the beneficiary"),
    "unreachable": _l("Beneficiary unreachable"),
    "deceased": _l("Beneficiary deceased"),
    "moved": _l("Beneficiary moved away"),
})
CHANNEL = Labels({
    "visit": _l("Visit"),
    "phone": _l("Phone"),
    "letter": _l("Letter"),
    "email": _l("Email"),
})
ATTENTION = Labels({
    "stalled_at_top": _l("Stalled at the top"),
    "needs_configuration": _l("Needs configuration"),
})
DIGEST_KIND = Labels({
    "daily": _l("Daily"),
    "weekly": _l("Weekly"),
})

# --- bias reports -----------------------------------------------------------------------------

REVIEW_STATUS = Labels({
    "filed": _l("Filed"),
    "in_review": _l("In review"),
    "awaiting_confirmation": _l("Awaiting confirmation"),
    "concluded": _l("Concluded"),
})
# --- quarterly reviews ------------------------------------------------------------------------

REVIEW_STAGE = Labels({
    "open": _l("Open: the supervisor is reviewing"),
    "awaiting_response": _l("Signed by the supervisor: awaiting the in-charge"),
    "signed": _l("Signed by both"),
})
ASSESSMENT = Labels({
    "outstanding": _l("Outstanding"),
    "good": _l("Good"),
    "needs_improvement": _l("Needs improvement"),
    "unsatisfactory": _l("Unsatisfactory"),
})
CHECK_ANSWER = Labels({
    "yes": _l("Yes"),
    "no": _l("No"),
    "not_checked": _l("Not checked"),
})

# How the report's timeline tells of a review step once taken, by trigger ("file" opens it).
BIAS_STEP_DONE = Labels({
    "file": _l("Report filed"),
    "take": _l("Taken for review"),
    "take_over": _l("Review taken over"),
    "record_finding": _l("Finding recorded"),
    "confirm": _l("Finding confirmed"),
    "send_back": _l("Finding sent back for review"),
    "reopen": _l("Review reopened"),
})
ACCUSED_ROLE = Labels({
    "sarpanch": _l("Sarpanch"),
    "parshad": _l("Parshad (ward councillor)"),
    "panchayat_secretary": _l("Panchayat secretary"),
    "other": _l("Other official"),
})
BIAS_KIND = Labels({
    "political": _l("Political retaliation (“you did not vote for me”)"),
    "caste": _l("Caste"),
    "religion": _l("Religion"),
    "bribe": _l("Bribe demand"),
    "other": _l("Other"),
})
FINDING = Labels({
    "substantiated": _l("Substantiated"),
    "unsubstantiated": _l("Unsubstantiated"),
    "referred": _l("Referred to a higher authority"),
})
# The same codes inside a letter's sentences ("a complaint of %(kind)s …", "… concluded: %(finding)s").
BIAS_KIND_PHRASE = Labels({
    "political": _l("political retaliation"),
    "caste": _l("caste discrimination"),
    "religion": _l("religious discrimination"),
    "bribe": _l("a bribe demand"),
    "other": _l("bias"),
})
FINDING_PHRASE = Labels({
    "substantiated": _l("the complaint is substantiated"),
    "unsubstantiated": _l("the complaint could not be substantiated"),
    "referred": _l("the complaint needs an inquiry by a higher authority"),
})

# --- letters ----------------------------------------------------------------------------------

LETTER_STATUS = Labels({
    "drafted": _l("Drafted"),
    "dispatched": _l("Dispatched"),
    "acknowledged": _l("Acknowledged"),
    "superseded": _l("Superseded"),
})
# Why a drafted letter was superseded (the letter page and register say so).
SUPERSEDED_BECAUSE = Labels({
    "moved_up": _l("The case went on to a higher office before this letter was sent."),
    "sent_back": _l("A supervisor sent the case back to the level below before this letter was sent."),
    "decided": _l("The case was decided or closed before this letter was sent."),
})
LETTER_KIND = Labels({
    "escalation": _l("Escalation letter"),
    "referral": _l("Referral letter"),
})
DISPATCH_MODE = Labels({
    "hand": _l("By hand"),
    "registered_post": _l("Registered post"),
    "email": _l("Email"),
})

# --- background jobs --------------------------------------------------------------------------

JOB_STATE = Labels({
    "queued": _l("Waiting to run"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed after retries"),
})

# --- people and places ------------------------------------------------------------------------

ROLE = Labels({
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "incharge": _l("District in-charge"),
})
AREA_KIND = Labels({
    "state": _l("State"),
    "district": _l("District"),
    "block": _l("Block"),
    "urban_body": _l("Urban body"),
    "gram_panchayat": _l("Gram panchayat"),
    "ward": _l("Ward"),
    "settlement": _l("Settlement"),
})
GENDER = Labels({"female": _l("Female"), "male": _l("Male"), "other": _l("Other")})
RELATION = Labels({
    "father": _l("Father"),
    "husband": _l("Husband"),
    "mother": _l("Mother"),
    "guardian": _l("Guardian"),
})
# A letter's table row naming the relative ("Father's name: …").
RELATION_PHRASE = Labels({
    "father": _l("Father's name"),
    "husband": _l("Husband's name"),
    "mother": _l("Mother's name"),
    "guardian": _l("Guardian's name"),
})
LAWFUL_BASIS = Labels({
    "written_consent": _l("Written consent of the person"),
    "oral_consent": _l("Oral consent of the person, witnessed"),
    "guardian_consent": _l("Consent of a guardian"),
})

# --- evidence files ---------------------------------------------------------------------------

EVIDENCE_KIND = Labels({
    "case": _l("Attached to the case"),
    "follow_up": _l("Attached to a follow-up"),
    "delivery": _l("Proof of delivery"),
})
MEDIA_TYPE = Labels({
    "image/jpeg": _l("Photo (JPEG)"),
    "image/png": _l("Picture (PNG)"),
    "application/pdf": _l("PDF document"),
})
# --- impact -----------------------------------------------------------------------------------

BENEFIT_UNIT = Labels({
    "one_time": _l("one-time"),
    "monthly": _l("per month"),
    "yearly": _l("per year"),
})
CONSENT_FORM = Labels({
    "written": _l("In writing, signed"),
    "oral": _l("Orally, in front of a witness"),
    "thumb_impression": _l("Thumb impression on the consent form"),
})
PERIOD_KIND = Labels({
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "financial_year": _l("Financial year"),
    "custom": _l("Custom dates"),
})
OUTPUT_FORMAT = Labels({
    "png": _l("Square image (PNG)"),
    "pdf": _l("One-page PDF"),
})

# --- the audit trail --------------------------------------------------------------------------

# Every action `caseflow.audit.services.record` is called with (tests/test_labels.py reads the
# calls in the source and fails on one missing here). `bias.<trigger>` is one per review step.
AUDIT_ACTION = Labels({
    "access.refused": _l("Access refused"),
    "area.created": _l("Area added"),
    "area.updated": _l("Area changed"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "auth.password_check_failed": _l("Wrong current password on the password form"),
    "auth.throttled": _l("Password attempts held back by the back-off"),
    "backup.restored": _l("Instance restored from a backup"),
    "backup.written": _l("Backup written"),
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
    "digest.sent": _l("Reminder digest sent"),
    "evidence.attached": _l("File attached to a case"),
    "export.csv": _l("Data exported (CSV)"),
    "export.xlsx": _l("Data exported (Excel)"),
    "holiday.created": _l("Holiday added"),
    "impact.generated": _l("Impact summary generated"),
    "impact.story_retracted": _l("Story taken down"),
    "impact.story_written": _l("Story written"),
    "holiday.deleted": _l("Holiday deleted"),
    "work_week.changed": _l("Working week of a state changed"),
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
    "review.check_recorded": _l("Quarterly review: spot check recorded"),
    "review.notes_saved": _l("Quarterly review: notes and assessment saved"),
    "review.opened": _l("Quarterly review opened"),
    "review.response_saved": _l("Quarterly review: in-charge's response saved"),
    "review.signed_by_incharge": _l("Quarterly review signed by the in-charge"),
    "review.signed_by_supervisor": _l("Quarterly review signed by the supervisor"),
    "publicity.consent_recorded": _l("Consent to publicity recorded"),
    "publicity.consent_withdrawn": _l("Consent to publicity withdrawn"),
    "privacy.masked_stored": _l("Aadhaar numbers masked in rows stored before the rule"),
    "scheme.created": _l("Scheme added"),
    "scheme.ladder_set": _l("Escalation ladder set"),
    "scheme.updated": _l("Scheme changed"),
    "sweep.finished": _l("Escalation sweep finished"),
    "sweep.interrupted": _l("Escalation sweep found interrupted"),
    "sweep.started": _l("Escalation sweep started"),
    "user.area_added": _l("Area added to account"),
    "user.created": _l("Account created"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account enabled"),
    "user.locale_changed": _l("Language changed"),
    "user.password_changed": _l("Password changed"),
    "user.reminders_changed": _l("Reminder settings changed"),
    "user.updated": _l("Account changed"),
})
# What an entry is about (its object_type: the table name).
AUDIT_OBJECT = Labels({
    "areas": _l("Area"),
    "beneficiaries": _l("Beneficiary"),
    "bias_patterns": _l("Bias patterns"),
    "bias_reports": _l("Bias report"),
    "cases": _l("Case"),
    "evidence_files": _l("Evidence file"),
    "holidays": _l("Holiday"),
    "impact_stories": _l("Story"),
    "letters": _l("Letter"),
    "office_kinds": _l("Office kind"),
    "offices": _l("Office"),
    "quarterly_reviews": _l("Quarterly review"),
    "publicity_consents": _l("Consent to publicity"),
    "schemes": _l("Scheme"),
    "sweep_runs": _l("Escalation sweep"),
    "users": _l("User account"),
})
# What the keys of an entry's data mean (tests/test_labels.py checks the keys written literally).
AUDIT_KEY = Labels({
    "accused_office_id": _l("accused office"),
    "accused_role": _l("accused"),
    "area_id": _l("area"),
    "assessment": _l("assessment"),
    "area_ids": _l("areas"),
    "args": _l("asked for"),
    "as_of": _l("as of"),
    "assignee_id": _l("assigned to"),
    "attention": _l("list"),
    "audit_seq": _l("audit entries included"),
    "batch": _l("in a batch"),
    "because": _l("why"),
    "beneficiary_id": _l("beneficiary"),
    "weekly_offs": _l("days off every week"),
    "saturdays_off": _l("Saturdays off in the month"),
    "caption_given": _l("caption given"),
    "case_id": _l("case"),
    "channel": _l("channel"),
    "digests": _l("reminders on"),
    "checks": _l("cases to check"),
    "code": _l("code"),
    "count": _l("how many"),
    "day": _l("day"),
    "district_id": _l("district"),
    "elected": _l("elected"),
    "end": _l("period to"),
    "format": _l("format"),
    "given_as": _l("given as"),
    "endpoint": _l("page"),
    "escalated": _l("escalated"),
    "fields": _l("fields"),
    "file_complete": _l("file complete"),
    "files": _l("stored files"),
    "finding": _l("finding"),
    "from_level": _l("from level"),
    "holder_changed": _l("holder changed"),
    "incharge_id": _l("in-charge"),
    "kind": _l("kind"),
    "kind_id": _l("office kind"),
    "letter_id": _l("letter"),
    "level": _l("level"),
    "levels": _l("levels"),
    "locale": _l("language"),
    "manifest_sha256": _l("backup fingerprint"),
    "media_type": _l("file type"),
    "migrated": _l("migrated forward"),
    "missing_level": _l("level without an office"),
    "mode": _l("sent by"),
    "needs_configuration": _l("needs configuration"),
    "office_id": _l("office"),
    "office_kind_id": _l("office kind"),
    "overdue_since": _l("overdue since"),
    "parent_id": _l("part of"),
    "period": _l("period"),
    "promised_date_set": _l("date promised"),
    "quarter_start": _l("quarter"),
    "reachable": _l("beneficiary reachable"),
    "reason": _l("reason code"),
    "received": _l("benefit received"),
    "reveal_id": _l("view"),
    "role": _l("role"),
    "rows": _l("rows"),
    "overdue": _l("overdue only"),
    "scheme_id": _l("scheme"),
    "settlement_id": _l("settlement"),
    "sha256": _l("file fingerprint"),
    "size": _l("size in bytes"),
    "skipped_levels": _l("levels skipped"),
    "spot_check_id": _l("spot check"),
    "start": _l("period from"),
    "stories": _l("stories included"),
    "stalled_at_top": _l("stalled at the top"),
    "status": _l("status"),
    "to_level": _l("to level"),
    "vacant": _l("vacant"),
})
# Bookkeeping keys the audit page does not repeat (the step line already tells from → to).
AUDIT_HIDDEN_KEYS = frozenset({"event_id", "trigger", "from", "to", "method"})

# Every labelled enum by its class name, so `label(member)` (the template filter) needs no
# table name; tests/test_labels.py checks every enum of every domain's models is here.
BY_ENUM: dict[str, Labels] = {
    "AccusedRole": ACCUSED_ROLE,
    "AreaKind": AREA_KIND,
    "Assessment": ASSESSMENT,
    "BenefitUnit": BENEFIT_UNIT,
    "ConsentForm": CONSENT_FORM,
    "OutputFormat": OUTPUT_FORMAT,
    "PeriodKind": PERIOD_KIND,
    "Attention": ATTENTION,
    "BiasKind": BIAS_KIND,
    "CaseStatus": CASE_STATUS,
    "CheckAnswer": CHECK_ANSWER,
    "Channel": CHANNEL,
    "CloseReason": CLOSE_REASON,
    "DigestKind": DIGEST_KIND,
    "DispatchMode": DISPATCH_MODE,
    "EventKind": EVENT_KIND,
    "EvidenceKind": EVIDENCE_KIND,
    "Finding": FINDING,
    "Gender": GENDER,
    "JobState": JOB_STATE,
    "LawfulBasis": LAWFUL_BASIS,
    "LetterKind": LETTER_KIND,
    "LetterStatus": LETTER_STATUS,
    "MediaType": MEDIA_TYPE,
    "SupersededBecause": SUPERSEDED_BECAUSE,
    "Relation": RELATION,
    "ReviewStage": REVIEW_STAGE,
    "ReviewStatus": REVIEW_STATUS,
    "Role": ROLE,
}


def label(value, enum_name: str | None = None):
    """The label of an enum member ("" for None); the template filter `label`.

    `enum_name` reads a stored code (from an event's or audit entry's JSON data) as a code of
    that enum: `details.attention|label("Attention")`. A code the table does not have is shown
    as it is; a member of an enum with no table here is a KeyError, which the tests catch.
    """
    if value is None:
        return ""
    if enum_name is not None:
        return BY_ENUM[enum_name].get(value, value)
    return BY_ENUM[type(value).__name__][value]


def audit_action(action: str):
    """The label of an audit action; the code itself only for an action older than this table."""
    return AUDIT_ACTION.get(action, action)
