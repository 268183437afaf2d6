"""The bias verbs against the real database: filing (the accused post found from the case's
place, the holder snapshot, the identity stored apart), every review step writing its event and
audit entry in the same transaction, the referral letter, stale versions, the identity reveal,
`blocked_office_ids` and what a referral letter may show.
"""
import pytest
import sqlalchemy as sa

from caseflow.areas.services import save_office
from caseflow.audit.models import AuditEntry
from caseflow.bias import referral, services
from caseflow.bias.models import (
    AccusedRole,
    BiasComplainant,
    BiasEvent,
    BiasReport,
    Finding,
    IdentityReveal,
    ReviewStatus,
)
from caseflow.bias.workflow import TransitionRefused
from caseflow.cases.models import Case, CaseEvent, EventKind
from caseflow.db import today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.letters.models import Letter, LetterKind
from tests.test_bias_helpers import (
    COMPLAINANT_CONTACT,
    COMPLAINANT_NAME,
    IDENTITY_STRINGS,
    file,
    finding_data,
    review,
    someone_else,
    supervisor,
    the_beneficiary,
)

R = ReviewStatus


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).all()


def all_audit_text() -> str:
    return " ".join(repr(e.data) for e in db.session.scalars(sa.select(AuditEntry)))


# --- filing ------------------------------------------------------------------------------------


def test_filing_finds_the_post_from_the_case_and_snapshots_its_holder(world):
    report = file(world, role=AccusedRole.SARPANCH)
    assert report.accused_office_id == world.sarpanch.id
    assert report.accused_holder_name == "Mohan Lal"
    assert report.area_path == report.case.area_path
    assert (report.status, report.reviewer_id, report.version) == (R.FILED, None, 1)
    # The holder changes later; the report keeps who held the post.
    save_office(world.sarpanch, area_id=world.gp.id, kind_id=world.kinds["sarpanch"].id, holder_name="New Head", actor=None)
    db.session.expire_all()
    assert db.session.get(BiasReport, report.id).accused_holder_name == "Mohan Lal"


def test_filing_takes_the_holder_name_the_incharge_gives(world):
    report = file(world, role=AccusedRole.PANCHAYAT_SECRETARY, holder_name="  Old Secretary  ")
    assert (report.accused_office_id, report.accused_holder_name) == (world.secretary.id, "Old Secretary")


def test_filing_against_a_post_that_is_not_set_up_keeps_the_role(world):
    report = file(world, role=AccusedRole.PARSHAD)  # no parshad office in a rural panchayat
    assert (report.accused_role, report.accused_office_id, report.accused_holder_name) == (
        AccusedRole.PARSHAD, None, None)


def test_other_official_is_picked_among_the_offices_above_the_case(world):
    case = world.case()
    choices = services.other_office_choices(case)
    assert [o.id for o in choices] == [world.janpad.id, world.collector.id]
    report = file(world, case, role=AccusedRole.OTHER, other_office_id=world.janpad.id)
    assert (report.accused_office_id, report.accused_holder_name) == (world.janpad.id, "A. Khan")
    with pytest.raises(services.BiasError):
        file(world, case, role=AccusedRole.OTHER, other_office_id=world.sarpanch.id)


def test_identity_goes_only_into_the_complainants_table(world):
    report = file(world, complainant=someone_else(consent=True))
    row = db.session.scalar(sa.select(BiasComplainant).where(BiasComplainant.report_id == report.id))
    assert (row.is_beneficiary, row.name, row.contact, row.consent_to_be_named) == (
        False, COMPLAINANT_NAME, COMPLAINANT_CONTACT, True)
    for column in sa.inspect(BiasReport).column_attrs:
        assert getattr(report, column.key) not in IDENTITY_STRINGS
    assert not any(s in all_audit_text() for s in IDENTITY_STRINGS)
    entry = audit("bias.filed")[-1]
    assert (entry.object_type, entry.object_id, entry.area_path) == ("bias_reports", str(report.id), report.area_path)
    assert entry.data == {"case_id": report.case_id, "accused_role": "sarpanch", "accused_office_id": world.sarpanch.id,
                          "kind": "political", "status": "filed"}


def test_complainant_who_is_the_beneficiary_stores_no_name(world):
    report = file(world, complainant=the_beneficiary())
    row = db.session.scalar(sa.select(BiasComplainant).where(BiasComplainant.report_id == report.id))
    assert (row.is_beneficiary, row.name, row.relation_to_beneficiary) == (True, None, None)


@pytest.mark.parametrize("change,message", [
    ({"incident_date": "future"}, "A date cannot be in the future."),
    ({"account": "   "}, "The account of what happened is required."),
    ({"complainant": services.Complainant(is_beneficiary=False, name=" ")}, "Give the name of the person"),
])
def test_filing_refuses_bad_data_and_writes_nothing(world, change, message):
    from datetime import timedelta

    case = world.case()
    if change.get("incident_date") == "future":
        change["incident_date"] = today() + timedelta(days=1)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(BiasReport))
    with pytest.raises(services.BiasError, match=message):
        file(world, case, **change)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BiasReport)) == before


def test_only_caseworkers_of_the_area_file(world):
    case = world.case()
    for outsider in (world.other_incharge, world.admin):
        with pytest.raises(services.BiasError):
            file(world, case, actor=outsider)
    assert file(world, case, actor=world.supervisor).filed_by_id == world.supervisor.id


# --- the review through the service ------------------------------------------------------------


def test_full_review_with_second_supervisor_writes_events_and_audit(world):
    second = supervisor("second", [world.state])
    report = file(world)
    review(report, world.supervisor, "take")
    review(report, world.supervisor, "record_finding", finding_data())
    assert report.status is R.AWAITING_CONFIRMATION
    with pytest.raises(TransitionRefused):
        review(report, world.supervisor, "confirm")
    review(report, second, "confirm")
    assert (report.status, report.finding, report.confirmed_by_id) == (R.CONCLUDED, Finding.SUBSTANTIATED, second.id)
    review(report, second, "reopen", {"reason": "The sarpanch produced a list"})
    assert (report.status, report.finding, report.reviewer_id) == (R.IN_REVIEW, None, second.id)

    events = services.events(report)
    assert [(e.trigger, e.from_status, e.to_status) for e in events] == [
        ("file", None, R.FILED),
        ("take", R.FILED, R.IN_REVIEW),
        ("record_finding", R.IN_REVIEW, R.AWAITING_CONFIRMATION),
        ("confirm", R.AWAITING_CONFIRMATION, R.CONCLUDED),
        ("reopen", R.CONCLUDED, R.IN_REVIEW),
    ]
    assert events[2].finding is Finding.SUBSTANTIATED and events[2].note == "Two witnesses confirm the remark."
    assert events[4].note == "The sarpanch produced a list"
    actions = [e.action for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "bias_reports", AuditEntry.object_id == str(report.id))
        .order_by(AuditEntry.seq))]
    assert actions == ["bias.filed", "bias.take", "bias.record_finding", "bias.confirm", "bias.reopen"]
    finding_entry = audit("bias.record_finding")[-1]
    assert finding_entry.data == {"case_id": report.case_id, "trigger": "record_finding", "from": "in_review",
                                  "to": "awaiting_confirmation", "finding": "substantiated"}
    assert "witnesses" not in all_audit_text() and "produced a list" not in all_audit_text()


def test_send_back_returns_to_the_reviewer(world):
    second = supervisor("second", [world.state])
    report = file(world)
    review(report, world.supervisor, "take")
    review(report, world.supervisor, "record_finding", finding_data())
    review(report, second, "send_back", {"reason": "Hear the sarpanch first"})
    assert (report.status, report.reviewer_id, report.finding) == (R.IN_REVIEW, world.supervisor.id, None)
    review(report, world.supervisor, "record_finding", finding_data(Finding.UNSUBSTANTIATED))
    assert report.status is R.CONCLUDED


def test_a_refused_step_writes_nothing(world):
    report = file(world)
    review(report, world.supervisor, "take")
    counts = (db.session.scalar(sa.select(sa.func.count()).select_from(BiasEvent)),
              db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))
    with pytest.raises(TransitionRefused):
        review(report, world.supervisor, "record_finding", {"finding": Finding.SUBSTANTIATED, "reasons": ""})
    with pytest.raises(TransitionRefused):
        review(report, world.incharge, "reopen", {"reason": "x"})
    assert (report.status, report.finding) == (R.IN_REVIEW, None)
    assert counts == (db.session.scalar(sa.select(sa.func.count()).select_from(BiasEvent)),
                      db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))


def test_a_supervisor_outside_the_area_cannot_review(world):
    raisen = supervisor("raisen_sup", [world.other_district])
    report = file(world)
    with pytest.raises(TransitionRefused, match="outside your areas"):
        review(report, raisen, "take")


def test_stale_version_is_refused(world):
    report = file(world)
    seen = report.version
    review(report, world.supervisor, "take")
    with pytest.raises(Stale):
        services.review(report, world.supervisor, "take_over", {"reason": "x"}, expected_version=seen)
    with pytest.raises(Stale):
        services.review(report, world.supervisor, "take", {}, expected_version=None)


# --- referral ---------------------------------------------------------------------------------


def test_referral_choices_are_the_authorities_above_the_accused(world):
    report = file(world, role=AccusedRole.SARPANCH)
    choices = services.referral_choices(report)
    assert [o.id for o in choices] == [world.collector.id, world.janpad.id]
    assert services.default_referral(choices).id == world.collector.id
    # Accused is the janpad CEO: only what sits above the block remains.
    above_block = file(world, report.case, role=AccusedRole.OTHER, other_office_id=world.janpad.id)
    assert [o.id for o in services.referral_choices(above_block)] == [world.collector.id]


def test_a_referred_finding_drafts_a_referral_letter(world):
    report = file(world)
    review(report, world.supervisor, "take")
    with pytest.raises(TransitionRefused, match="higher authority above"):
        review(report, world.supervisor, "record_finding",
               finding_data(Finding.REFERRED, referral_office_id=world.sarpanch.id))
    assert report.status is R.IN_REVIEW
    review(report, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, referral_office_id=world.collector.id))
    assert report.status is R.CONCLUDED  # a referral concludes at once, elected head or not
    letter = db.session.scalar(sa.select(Letter).where(Letter.bias_report_id == report.id))
    assert (letter.kind, letter.addressee_office_id, letter.case_id) == (
        LetterKind.REFERRAL, world.collector.id, report.case_id)
    assert audit("bias.record_finding")[-1].data["letter_id"] == letter.id
    assert db.session.scalar(sa.select(CaseEvent).where(CaseEvent.case_id == report.case_id,
                                                        CaseEvent.kind == EventKind.LETTER))


# --- reveal -----------------------------------------------------------------------------------


def test_reveal_is_logged_with_its_reason_and_audited_without_it(world):
    report = file(world)
    identity = services.reveal_identity(report, world.supervisor, "  Need to call her about a threat  ")
    assert identity.name == COMPLAINANT_NAME
    reveal = services.reveals(report)[-1]
    assert (reveal.viewer_id, reveal.reason) == (world.supervisor.id, "Need to call her about a threat")
    entry = audit("bias.identity_revealed")[-1]
    assert (entry.actor_id, entry.object_id, entry.data) == (world.supervisor.id, str(report.id), {"reveal_id": reveal.id})
    assert "threat" not in all_audit_text()


@pytest.mark.parametrize("who", ["incharge", "other_incharge", "admin", "raisen_supervisor"])
def test_reveal_is_for_supervisors_of_the_area_only(world, who):
    report = file(world)
    actor = supervisor("raisen_sup", [world.other_district]) if who == "raisen_supervisor" else getattr(world, who)
    with pytest.raises(services.BiasError):
        services.reveal_identity(report, actor, "curious")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdentityReveal)) == 0


def test_reveal_needs_a_reason(world):
    report = file(world)
    with pytest.raises(services.BiasError):
        services.reveal_identity(report, world.supervisor, "   ")


def test_the_filer_sees_what_they_filed_and_nobody_else_does(world):
    report = file(world)
    assert services.filer_identity(report, world.incharge).name == COMPLAINANT_NAME
    second_incharge = world.disabled  # another in-charge of the same district
    assert services.filer_identity(report, second_incharge) is None
    assert services.filer_identity(report, world.supervisor) is None


# --- blocked_office_ids -----------------------------------------------------------------------


def test_blocked_office_ids_follow_the_review(world):
    second = supervisor("second", [world.state])
    case = world.case(status="submitted")
    assert services.blocked_office_ids(case) == set()
    report = file(world, case, role=AccusedRole.SARPANCH)
    no_office = file(world, case, role=AccusedRole.PARSHAD)  # no post recorded: blocks nothing
    assert no_office.accused_office_id is None
    assert services.blocked_office_ids(case) == {world.sarpanch.id}
    assert services.has_open_report(case)
    review(report, world.supervisor, "take")
    assert services.blocked_office_ids(case) == {world.sarpanch.id}
    review(report, world.supervisor, "record_finding", finding_data(Finding.UNSUBSTANTIATED))
    assert services.blocked_office_ids(case) == set()  # cleared: routing goes back to normal
    review(report, second, "reopen", {"reason": "New witness"})
    assert services.blocked_office_ids(case) == {world.sarpanch.id}
    review(report, second, "record_finding", finding_data(Finding.SUBSTANTIATED))
    review(report, world.supervisor, "confirm")
    assert services.blocked_office_ids(case) == {world.sarpanch.id}  # upheld: stays blocked
    # Another case in the same panchayat is not affected.
    assert services.blocked_office_ids(world.case(status="submitted")) == set()
    # A referred finding keeps the block too.
    secretary = file(world, case, role=AccusedRole.PANCHAYAT_SECRETARY)
    review(secretary, world.supervisor, "take")
    review(secretary, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, referral_office_id=world.collector.id))
    assert services.blocked_office_ids(case) == {world.sarpanch.id, world.secretary.id}


# --- what a referral letter may show ----------------------------------------------------------


def _referred(world, complainant):
    report = file(world, complainant=complainant)
    review(report, world.supervisor, "take")
    reasons = f"{COMPLAINANT_NAME} and Sunita Devi both heard it; call {COMPLAINANT_CONTACT}."
    review(report, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, reasons=reasons, referral_office_id=world.collector.id))
    return report


def test_letter_context_without_consent_holds_no_identity(world):
    report = _referred(world, someone_else(consent=False))
    context = referral.referral_letter_context(report)
    text = repr(context)
    for secret in IDENTITY_STRINGS:
        assert secret not in text
    assert context["complainant"] is None
    assert context["finding_reasons"] == "[…] and Sunita Devi both heard it; call […]."
    # Someone else complained: the beneficiary may be named, the case identified.
    assert (context["case_reference"], context["beneficiary_name"]) == (report.case.reference, "सुनीता देवी")
    assert context["accused_office_title"]["en"] == "Sarpanch, Rampur"
    assert context["accused_holder_name"] == "Mohan Lal"


def test_letter_context_hides_a_beneficiary_complainant_without_consent(world):
    report = _referred(world, the_beneficiary(consent=False))
    case = db.session.get(Case, report.case_id)
    context = referral.referral_letter_context(report)
    text = repr(context)
    assert case.beneficiary.name not in text and case.reference not in text and COMPLAINANT_CONTACT not in text
    assert context["case_reference"] is None and context["beneficiary_name"] is None
    assert context["place"]["en"] == ["Test State", "Sehore", "Ashta", "Rampur"]  # no settlement


def test_letter_context_names_a_complainant_who_consented(world):
    report = _referred(world, someone_else(consent=True))
    context = referral.referral_letter_context(report)
    assert context["complainant"] == {"is_beneficiary": False, "name": COMPLAINANT_NAME,
                                      "relation_to_beneficiary": "Neighbour of the family"}
    assert COMPLAINANT_NAME in context["finding_reasons"]
    assert "protection" not in repr(context).lower() and "Fears her son" not in repr(context)
