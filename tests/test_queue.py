"""The in-charge queue: scope, order, filters, counts and keyset pages that lose nothing."""
from datetime import timedelta

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.cases import queries
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import today
from caseflow.extensions import db


def _walk(user, filters, page_size):
    """Every page of the queue, following the cursors; returns the cases in page order."""
    seen, pages = [], 0
    while True:
        page = queries.queue(user, filters, today(), page_size)
        seen += page.cases
        pages += 1
        assert pages < 100
        if not page.next_cursor:
            return seen
        filters.after = page.next_cursor


def _mixed_cases(world):
    """Cases with and without due dates, some sharing a due date (ties broken by id)."""
    cases = [world.case(status=status) for status in
             ("identified", "documented", "submitted", "submitted", "escalated", "sanctioned", "resolved", "closed")]
    on = today()
    dues = [None, None, on + timedelta(days=3), on + timedelta(days=3), on - timedelta(days=2), None, None, None]
    for case, due in zip(cases, dues, strict=True):
        if case.status in (CaseStatus.SUBMITTED, CaseStatus.ESCALATED):
            case.due_date = due
    db.session.flush()
    return cases


def test_pages_cover_every_open_case_once_in_due_order(app, world):
    with app.app_context():
        _mixed_cases(world)
        user = db.session.get(User, world.incharge.id)
        for size in (1, 2, 3, 50):
            got = _walk(user, queries.QueueFilters(), size)
            open_ids = set(db.session.scalars(sa.select(Case.id).where(Case.status.in_(queries.OPEN_STATUSES))))
            assert [c.id for c in got] == list(dict.fromkeys(c.id for c in got)), "a case appeared twice"
            assert {c.id for c in got} == open_ids
            dated = [c for c in got if c.due_date]
            assert dated == sorted(dated, key=lambda c: (c.due_date, c.id))
            # Cases with a due date come first, then the rest by id.
            first_undated = next((i for i, c in enumerate(got) if not c.due_date), len(got))
            assert all(c.due_date is None for c in got[first_undated:])
            assert [c.id for c in got[first_undated:]] == sorted(c.id for c in got[first_undated:])


def test_overdue_filter_and_counts(app, world):
    with app.app_context():
        cases = _mixed_cases(world)
        user = db.session.get(User, world.incharge.id)
        overdue = queries.queue(user, queries.QueueFilters(overdue=True), today()).cases
        assert [c.id for c in overdue] == [cases[4].id]
        counts = queries.status_counts(user, queries.QueueFilters(), today())
        assert counts["submitted"] == 2 and counts["closed"] == 1 and counts["resolved"] == 1
        assert sum(counts.values()) == 8
        everything = _walk(user, queries.QueueFilters(status="all"), 3)
        assert len(everything) == 8


def test_bad_cursor_starts_from_the_first_page(app, world):
    with app.app_context():
        _mixed_cases(world)
        user = db.session.get(User, world.incharge.id)
        first = queries.queue(user, queries.QueueFilters(), today(), 2).cases
        for cursor in ("garbage", "d.not-a-date.3", "n.x", "d.2026-01-01"):
            assert queries.queue(user, queries.QueueFilters(after=cursor), today(), 2).cases == first
