"""Each state's working week: weekly offs and the second and fourth Saturdays.

The arithmetic is checked against a day-by-day count written here, the due dates a case gets
through the one transition path and its standing on the queue follow the state's week, and the
administrator's page saves a week, refuses a week without a working day and is audited.
"""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.areas.models import AreaKind
from caseflow.areas.services import create_area
from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case
from caseflow.cases.queries import sla_standing
from caseflow.cases.services import transition
from caseflow.db import fixed_today
from caseflow.extensions import db
from caseflow.holidays import services
from caseflow.holidays.models import WorkWeek
from caseflow.holidays.services import DEFAULT_WEEK, Week, add_working_days, working_days_after
from tests.conftest import step_data, text_of

SECOND_FOURTH = Week(offs=frozenset({6}), saturdays=frozenset({2, 4}))
# December 2026: Saturdays on the 5th (first), 12th (second), 19th (third) and 26th (fourth).
FRI_4, FRI_11 = date(2026, 12, 4), date(2026, 12, 11)


def counted(start: date, end: date, week: Week, holidays=frozenset()) -> int:
    """Reference count, independent of the app's: walk the days and ask the plain rule."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        weekday = day.weekday()
        nth = (day.day - 1) // 7 + 1
        if weekday not in week.offs and not (weekday == 5 and nth in week.saturdays) and day not in holidays:
            n += 1
    return n


def test_second_and_fourth_saturdays_are_off_the_others_work():
    saturdays = [date(2026, 12, d) for d in (5, 12, 19, 26)]
    assert [SECOND_FOURTH.works(day) for day in saturdays] == [True, False, True, False]
    assert not SECOND_FOURTH.works(date(2026, 12, 6))  # Sunday
    assert all(not DEFAULT_WEEK.works(day) for day in saturdays)
    assert services.saturday_of_month(date(2026, 8, 29)) == 5  # a fifth Saturday exists some months


def test_due_dates_skip_the_second_saturday_and_the_sunday(app):
    with app.app_context():
        assert add_working_days(FRI_11, 1, SECOND_FOURTH) == date(2026, 12, 14)  # Sat 12th off, Sun off
        assert add_working_days(FRI_4, 1, SECOND_FOURTH) == date(2026, 12, 5)  # the first Saturday works
        assert add_working_days(FRI_4, 1) == date(2026, 12, 7)
        # A holiday on a Saturday that works is skipped too.
        services.create_holiday(date(2026, 12, 19), "Test", "परीक्षण", actor=None)
        assert add_working_days(date(2026, 12, 18), 1, SECOND_FOURTH) == date(2026, 12, 21)


weeks = st.builds(
    Week,
    offs=st.frozensets(st.integers(0, 6), max_size=6),
    saturdays=st.frozensets(st.integers(1, 5)),
).filter(lambda week: week.has_working_day)


@settings(max_examples=300, deadline=None)
@given(start=st.dates(date(2020, 1, 1), date(2030, 12, 31)), span=st.integers(-10, 400), week=weeks,
       holiday_offsets=st.frozensets(st.integers(0, 400), max_size=8))
def test_working_days_after_matches_a_day_by_day_count(start, span, week, holiday_offsets):
    end = start + timedelta(days=span)
    holidays = frozenset(start + timedelta(days=n) for n in holiday_offsets)
    assert working_days_after(start, end, set(holidays), week) == counted(start, end, week, holidays)


@settings(max_examples=100, deadline=None)
@given(start=st.dates(date(2024, 1, 1), date(2028, 12, 31)), days=st.integers(0, 60), week=weeks)
def test_add_working_days_lands_on_a_working_day_exactly_that_many_later(app, start, days, week):
    with app.app_context():
        due = add_working_days(start, days, week)
    assert counted(start, due, week) == days
    assert days == 0 or week.works(due)


def _second_fourth(w, actor=None):
    services.set_work_week(w.state, {6}, {2, 4}, actor=actor)


@pytest.fixture
def w(app, world):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield world


def test_a_case_submitted_in_the_state_gets_its_week(w):
    _second_fourth(w)
    with fixed_today(FRI_4):
        case = w.case(status="documented")
        transition(case, w.incharge, "submit", step_data("submit"), expected_version=case.version)
        due = db.session.scalar(sa.select(Case.due_date).where(Case.id == case.id))
        # 15 working days in the state's week: independent count from the reference walk.
        assert counted(FRI_4, due, SECOND_FOURTH) == 15 and SECOND_FOURTH.works(due)
        assert due == date(2026, 12, 23)  # the default week would give 25 December
        assert add_working_days(FRI_4, 15) == date(2026, 12, 25)
        # The standing counts days left in the same week.
        assert sla_standing(case, FRI_4) == ("on_track", 15)


def test_another_state_keeps_the_default_week(w):
    _second_fourth(w)
    other = create_area(kind=AreaKind.STATE, name_en="Other State", name_hi="अन्य राज्य", actor=None)
    assert services.week_of(other.path) == DEFAULT_WEEK
    assert services.week_of(w.village.path) == SECOND_FOURTH
    assert services.week_of(None) == DEFAULT_WEEK


def test_saving_a_week_is_audited_and_a_saturday_weekly_off_clears_the_saturdays(w):
    services.set_work_week(w.state, {5, 6}, {2, 4}, actor=w.admin)
    row = db.session.scalar(sa.select(WorkWeek).where(WorkWeek.state_id == w.state.id))
    assert (row.weekly_offs, row.saturdays_off) == ("5,6", "")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "work_week.changed")).one()
    assert entry.data == {"weekly_offs": [5, 6], "saturdays_off": []}


@pytest.mark.parametrize("area, offs, saturdays", [
    ("district", {6}, set()),
    ("state", set(range(7)), set()),
    ("state", {7}, set()),
    ("state", {6}, {6}),
    ("state", {0, 1, 2, 3, 4, 6}, {1, 2, 3, 4, 5}),  # only Saturdays, and every one of them off
])
def test_refused_weeks_change_nothing(w, area, offs, saturdays):
    with pytest.raises(services.HolidayError):
        services.set_work_week(getattr(w, area), offs, saturdays, actor=w.admin)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkWeek)) == 0


def test_the_administrator_sets_a_week_on_the_page(client, auth, world):
    auth.login(world.admin)
    page = client.get("/admin/holidays")
    assert "Working week per state" in text_of(page) and "Saturday; Sunday" in text_of(page)
    title = re.search(r"<title>(.*?)</title>", page.get_data(as_text=True), re.S).group(1)
    assert re.fullmatch(r"Holidays \d{4} · caseflow", title), title
    form = client.get(f"/admin/holidays/week/{world.state.id}")
    assert form.status_code == 200 and "second" in text_of(form)
    saved = client.post(f"/admin/holidays/week/{world.state.id}", data={"offs": ["6"], "saturdays": ["2", "4"]})
    assert saved.status_code == 302
    assert "Sunday; second, fourth Saturday" in text_of(client.get("/admin/holidays"))


def test_the_page_refuses_a_week_without_a_working_day_and_a_district(client, auth, world):
    auth.login(world.admin)
    refused = client.post(f"/admin/holidays/week/{world.state.id}", data={"offs": [str(n) for n in range(7)]})
    assert refused.status_code == 422
    assert "At least one day of the week must be a working day." in text_of(refused)
    assert client.post(f"/admin/holidays/week/{world.state.id}", data={"offs": ["9"]}).status_code == 422
    assert client.get(f"/admin/holidays/week/{world.district.id}").status_code == 404
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkWeek)) == 0


def test_only_administrators_reach_the_week_page(client, auth, world):
    auth.login(world.incharge)
    assert client.get(f"/admin/holidays/week/{world.state.id}").status_code in (403, 404)
