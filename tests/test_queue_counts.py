"""The queue's status counts, kept by triggers on `cases` (caseflow.cases.counts): always equal
to counting the cases themselves, whoever writes and however (ORM, set-based UPDATE, DELETE)."""
import sqlalchemy as sa

from caseflow.areas.models import AreaKind
from caseflow.areas.services import create_area
from caseflow.auth.models import Role, User
from caseflow.auth.services import create_user
from caseflow.cases import counts as kept_counts
from caseflow.cases import queries
from caseflow.cases.models import Case, CaseCountDelta, CaseStatus
from caseflow.db import today
from caseflow.extensions import db
from caseflow.scope import visible
from tests.conftest import PASSWORD


def _counted(user, filters=None) -> dict[str, int]:
    """The counts the slow way: one scan of the user's cases."""
    filters = filters or queries.QueueFilters()
    rows = db.session.execute(sa.select(Case.status, sa.func.count()).where(visible(user, Case))
                              .where(Case.scheme_id == filters.scheme_id if filters.scheme_id else sa.true())
                              .group_by(Case.status))
    counts = {status.value: 0 for status in CaseStatus}
    counts.update({status.value: n for status, n in rows})
    return counts


def _users(world):
    return [db.session.get(User, u.id) for u in (world.incharge, world.other_incharge, world.supervisor)]


def _check(world):
    for user in _users(world):
        kept = queries.status_counts(user, queries.QueueFilters(), today())
        assert kept == _counted(user), user
        by_scheme = queries.QueueFilters(scheme_id=world.scheme.id)
        assert queries.status_counts(user, by_scheme, today()) == _counted(user, by_scheme)


def test_kept_counts_follow_every_kind_of_write(app, world):
    with app.app_context():
        cases = [world.case(status=s) for s in ("identified", "submitted", "submitted", "escalated", "closed")]
        other = world.case(actor=world.other_incharge, status="documented",
                           person=world.person(settlement=world.other_village, actor=world.other_incharge))
        _check(world)
        assert queries.status_counts(_users(world)[0], queries.QueueFilters(), today())["submitted"] == 2
        # A set-based UPDATE, as the sweep writes, bypassing the ORM.
        db.session.execute(sa.update(Case).where(Case.id.in_([cases[1].id, cases[2].id]))
                           .values(status=CaseStatus.ESCALATED).execution_options(synchronize_session=False))
        _check(world)
        # A change that leaves the status alone adds nothing.
        before = db.session.scalar(sa.select(sa.func.count()).select_from(CaseCountDelta))
        db.session.execute(sa.update(Case).where(Case.id == cases[0].id).values(level=0))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseCountDelta)) == before
        # Moving a case to another district moves its count.
        db.session.execute(sa.update(Case).where(Case.id == other.id).values(district_id=world.district.id))
        _check(world)
        db.session.execute(sa.delete(Case).where(Case.id == cases[4].id))
        _check(world)
        assert queries.status_counts(_users(world)[2], queries.QueueFilters(), today())["closed"] == 0


def test_folding_the_rows_keeps_every_count(app, world):
    with app.app_context():
        for status in ("submitted", "escalated", "sanctioned", "rejected"):
            world.case(status=status)
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(CaseCountDelta))
        before = {u.id: queries.status_counts(u, queries.QueueFilters(), today()) for u in _users(world)}
        left = kept_counts.compact()
        assert 0 < left < rows
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseCountDelta)) == left
        assert {u.id: queries.status_counts(u, queries.QueueFilters(), today()) for u in _users(world)} == before
        _check(world)


def test_smaller_scopes_and_narrow_filters_are_counted_from_the_cases(app, world):
    with app.app_context():
        world.case(status="submitted")
        block_user = create_user(username="blockuser", display_name="Block", password=PASSWORD,
                                 role=Role.INCHARGE, areas=[world.block], locale="en", actor=None)
        # With a second state, the supervisor's one state is a list of districts, not every row.
        create_area(kind=AreaKind.STATE, name_en="Far", name_hi="दूर", actor=None)
        supervisor = db.session.get(User, world.supervisor.id)
        assert queries.status_counts(supervisor, queries.QueueFilters(), today()) == _counted(supervisor)
        # The counts of a block come from its cases; a stray delta row of its district must not count.
        db.session.add(CaseCountDelta(district_id=world.district.id, scheme_id=world.scheme.id,
                                      status="submitted", n=5))
        db.session.flush()
        assert queries.status_counts(block_user, queries.QueueFilters(), today())["submitted"] == 1
        incharge = db.session.get(User, world.incharge.id)
        assert queries.status_counts(incharge, queries.QueueFilters(), today())["submitted"] == 6
        narrow = queries.QueueFilters(settlement_id=world.village.id)
        assert queries.status_counts(incharge, narrow, today())["submitted"] == 1
