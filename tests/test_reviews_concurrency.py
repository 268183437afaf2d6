"""Two people editing one review at once: the second save, made on the page as it was loaded
before the first was committed, is refused with Stale (the 409 "reload" page) and writes
nothing; the first save stands. Real commits from separate sessions (`committed_db`).
"""
import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.auth.models import User
from caseflow.db import read_only_transaction, today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.reviews import services
from caseflow.reviews.models import Assessment, CheckAnswer, QuarterlyReview
from caseflow.reviews.quarters import last_ended
from tests.conftest import World
from tests.test_reviews import backdate


def build(app) -> dict:
    with app.app_context():
        world = World()
        cases = [world.case(status=s) for s in ("resolved", "submitted")]
        backdate([c.id for c in cases], last_ended(today()))
        review = services.open_review(world.supervisor, world.incharge, last_ended(today()), seed=5)
        db.session.commit()
        return {"review": review.id, "supervisor": world.supervisor.id}


def held(review_id: int) -> tuple[QuarterlyReview, int]:
    """Load the review in a read transaction and keep the loaded snapshot after it ends."""
    token = read_only_transaction.set(True)
    try:
        review = db.session.get(QuarterlyReview, review_id)
        review.checks  # noqa: B018 - loaded now, used after the commit
        seen = review.version
        db.session().expire_on_commit = False
        db.session.commit()
    finally:
        read_only_transaction.reset(token)
    return review, seen


@pytest.mark.parametrize("second_edit", ["notes", "check"])
def test_an_edit_on_a_stale_snapshot_is_refused_and_the_first_stands(app, committed_db, second_edit):
    ids = build(app)
    with app.app_context():
        review, seen = held(ids["review"])
        with app.app_context():  # the other tab saves first, in another session
            other = db.session.get(QuarterlyReview, ids["review"])
            services.save_notes(other, db.session.get(User, ids["supervisor"]), expected_version=seen,
                                notes="First", assessment=Assessment.GOOD)
            db.session.commit()
        supervisor = db.session.get(User, ids["supervisor"])
        with pytest.raises(Stale):
            if second_edit == "notes":
                services.save_notes(review, supervisor, expected_version=seen, notes="Second",
                                    assessment=Assessment.UNSATISFACTORY)
            else:
                services.record_check(review, review.checks[0], supervisor, expected_version=seen,
                                      reachable=CheckAnswer.NO, received=CheckAnswer.NO,
                                      file_complete=CheckAnswer.NO, note="Second")
        db.session.rollback()
    with app.app_context():
        after = db.session.get(QuarterlyReview, ids["review"])
        assert (after.notes, after.assessment, after.version) == ("First", Assessment.GOOD, seen + 1)
        assert all(c.note is None and c.reachable is CheckAnswer.NOT_CHECKED for c in after.checks)
        actions = list(db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "quarterly_reviews").order_by(AuditEntry.seq)))
        assert actions == ["review.opened", "review.notes_saved"]
