"""The verbs of impact: consent to publicity given and withdrawn, stories written and taken
down, and the audit entry of every summary generated.

Consent to publicity is checked where a story is read for an output (`public_stories`), not
only when it is written: withdrawing it takes every story of that person out of every output
made afterwards, with nothing else to undo. Audit payloads hold ids, codes and dates only.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import Area
from caseflow.audit.services import record
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import utcnow
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.impact.models import ConsentForm, OutputFormat, PublicityConsent, Story
from caseflow.impact.periods import Period
from caseflow.scope import path_in_scope, subtree

STORY_LIMIT = 600  # characters: a card holds a few sentences


class ImpactError(Refused):
    pass


def standing_consent(person: Beneficiary) -> PublicityConsent | None:
    return db.session.scalars(sa.select(PublicityConsent).where(
        PublicityConsent.beneficiary_id == person.id, PublicityConsent.withdrawn_at.is_(None))).first()


def consent_history(person: Beneficiary) -> list[PublicityConsent]:
    return db.session.scalars(sa.select(PublicityConsent).where(PublicityConsent.beneficiary_id == person.id)
                              .order_by(PublicityConsent.recorded_at.desc(), PublicityConsent.id.desc())).all()


def _check_scope(actor, path: str) -> None:
    if not path_in_scope(actor, path):
        raise ImpactError(_l("This beneficiary is outside your areas."))


def record_consent(person: Beneficiary, *, actor, given_as: ConsentForm, note: str | None) -> PublicityConsent:
    """Record the person's consent to publicity: who recorded it, when, and how it was given."""
    _check_scope(actor, person.area_path)
    if standing_consent(person) is not None:
        raise ImpactError(_l("Consent to publicity is already recorded for this beneficiary."))
    consent = PublicityConsent(beneficiary_id=person.id, area_path=person.area_path, given_as=given_as,
                               note=(note or "").strip() or None, recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(consent)
    db.session.flush()
    record("publicity.consent_recorded", actor=actor, obj=consent,
           data={"beneficiary_id": person.id, "given_as": given_as.value})
    return consent


def withdraw_consent(person: Beneficiary, *, actor) -> PublicityConsent:
    """The person takes their consent back, from now on: no output made after this shows them."""
    _check_scope(actor, person.area_path)
    consent = standing_consent(person)
    if consent is None:
        raise ImpactError(_l("There is no consent to publicity to withdraw."))
    consent.withdrawn_at, consent.withdrawn_by_id = utcnow(), actor.id
    db.session.flush()
    record("publicity.consent_withdrawn", actor=actor, obj=consent, data={"beneficiary_id": person.id})
    return consent


def write_story(case: Case, *, actor, text: str) -> Story:
    """A short story about a resolved case, allowed only while its beneficiary's consent stands."""
    _check_scope(actor, case.area_path)
    text = " ".join((text or "").split())
    if not text:
        raise ImpactError(_l("Write the story first."))
    if len(text) > STORY_LIMIT:
        raise ImpactError(_l("A story may be at most %(n)d characters.", n=STORY_LIMIT))
    if case.status is not CaseStatus.RESOLVED:
        raise ImpactError(_l("Stories are told about cases where the benefit was delivered."))
    if standing_consent(case.beneficiary) is None:
        raise ImpactError(_l("Record the beneficiary's consent to publicity before writing a story."))
    story = Story(case_id=case.id, beneficiary_id=case.beneficiary_id, area_path=case.area_path, text=text,
                  written_by_id=actor.id, written_at=utcnow())
    db.session.add(story)
    db.session.flush()
    record("impact.story_written", actor=actor, obj=story, data={"case_id": case.id})
    return story


def retract_story(story: Story, *, actor) -> Story:
    _check_scope(actor, story.area_path)
    if story.retracted_at is None:
        story.retracted_at = utcnow()
        db.session.flush()
        record("impact.story_retracted", actor=actor, obj=story, data={"case_id": story.case_id})
    return story


def stories_of(person: Beneficiary) -> list[Story]:
    return db.session.scalars(sa.select(Story).where(Story.beneficiary_id == person.id, Story.retracted_at.is_(None))
                              .order_by(Story.written_at.desc(), Story.id.desc())).all()


def public_stories(area: Area, period: Period, *, limit: int) -> list[Story]:
    """Stories that may be published now: cases of the area delivered in the period, not taken
    down, whose beneficiary's consent to publicity stands at this moment."""
    standing = sa.exists().where(PublicityConsent.beneficiary_id == Story.beneficiary_id,
                                 PublicityConsent.withdrawn_at.is_(None))
    query = (sa.select(Story).join(Case, Case.id == Story.case_id)
             .where(subtree(Story, area.path), Story.retracted_at.is_(None), standing,
                    Case.status == CaseStatus.RESOLVED,
                    Case.delivered_on >= period.start, Case.delivered_on <= period.end)
             .order_by(Story.written_at.desc(), Story.id.desc()).limit(limit))
    return db.session.scalars(query).all()


def record_generation(*, actor, area: Area, period: Period, output: OutputFormat, locale: str,
                      stories: list[Story]) -> None:
    """The audit entry of one summary made: who, which area, which period, which format."""
    record("impact.generated", actor=actor, object_type=Area.__tablename__, object_id=area.id, area_path=area.path,
           data={"format": output.value, "period": period.kind.value, "start": period.start.isoformat(),
                 "end": period.end.isoformat(), "locale": locale, "stories": [s.id for s in stories]})
