"""Working-day arithmetic and keeping its calendar: each state's working week (weekly offs, the
second and fourth Saturdays…) and the holidays on top, none of which count towards a time limit."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import Area, AreaKind, path_ids
from caseflow.audit.services import record
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.holidays.models import Holiday, WorkWeek

# A time limit of N working days never spans more than this many calendar days per day.
_SPAN_FACTOR = 3


class HolidayError(Refused):
    pass


def holidays_between(start: date, end: date) -> set[date]:
    rows = db.session.scalars(sa.select(Holiday.day).where(Holiday.day.between(start, end)))
    return set(rows)


@dataclass(frozen=True)
class Week:
    """A working week: the weekdays off every week (Monday=0 … Sunday=6) and the Saturdays off
    by their place in the month (many state offices close on the second and fourth)."""

    offs: frozenset[int] = frozenset({5, 6})
    saturdays: frozenset[int] = frozenset()

    def works(self, day: date) -> bool:
        weekday = day.weekday()
        if weekday in self.offs:
            return False
        return not (weekday == 5 and saturday_of_month(day) in self.saturdays)

    @property
    def has_working_day(self) -> bool:
        return any(day not in self.offs for day in (0, 1, 2, 3, 4, 6)) or (
            5 not in self.offs and len(self.saturdays) < 5)

    @classmethod
    def from_row(cls, row: WorkWeek) -> "Week":
        return cls(offs=frozenset(_numbers(row.weekly_offs)), saturdays=frozenset(_numbers(row.saturdays_off)))


DEFAULT_WEEK = Week()


def saturday_of_month(day: date) -> int:
    """1 for the first such weekday of its month, 2 for the second…"""
    return (day.day - 1) // 7 + 1


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _joined(numbers) -> str:
    return ",".join(str(n) for n in sorted(numbers))


def weeks() -> dict[int, Week]:
    """Every state's working week that differs from the default, by state id: a handful of rows,
    read once per request or command (a sweep asks for thousands of due dates)."""
    if has_app_context() and "_work_weeks" in g:
        return g._work_weeks
    loaded = {row.state_id: Week.from_row(row) for row in db.session.scalars(sa.select(WorkWeek))}
    if has_app_context():
        g._work_weeks = loaded
    return loaded


def week_of(area_path: str | None) -> Week:
    """The working week of the state an area (given by its path) lies in."""
    if not area_path:
        return DEFAULT_WEEK
    state_id = path_ids(area_path)[0]
    return weeks().get(state_id, DEFAULT_WEEK)


def add_working_days(start: date, days: int, week: Week = DEFAULT_WEEK) -> date:
    """The date `days` working days after `start` (the week's offs and holidays skipped)."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days and not week.has_working_day:
        raise ValueError("the week has no working day")
    current, remaining = start, days
    window_end = start
    while remaining:
        current += timedelta(days=1)
        if current > window_end:
            # Holidays are read a stretch at a time: a sparse week needs more calendar than a full one.
            window_end = current + timedelta(days=remaining * _SPAN_FACTOR + 14)
            off = holidays_between(current, window_end)
        if week.works(current) and current not in off:
            remaining -= 1
    return current


def working_days_after(start: date, end: date, holidays: set[date], week: Week = DEFAULT_WEEK) -> int:
    """How many working days fall in (start, end]: days the week works that are not holidays."""
    if end <= start:
        return 0
    if week == DEFAULT_WEEK:
        # The queue shows fifty of these a page: whole weeks are counted, not walked.
        weeks_, rest = divmod((end - start).days, 7)
        first = start.weekday()
        count = weeks_ * 5 + sum(1 for i in range(1, rest + 1) if (first + i) % 7 < 5)
    else:
        count = sum(1 for i in range(1, (end - start).days + 1) if week.works(start + timedelta(days=i)))
    return count - sum(1 for day in holidays if start < day <= end and week.works(day))


def set_work_week(state: Area, offs: set[int], saturdays: set[int], *, actor) -> None:
    """Set a state's working week; due dates computed from now on follow it (those already set stand)."""
    if state.kind is not AreaKind.STATE:
        raise HolidayError(_l("A working week is set for a state."))
    if not offs <= set(range(7)) or not saturdays <= set(range(1, 6)):
        raise HolidayError(_l("Choose days of the week and Saturdays of the month from the lists."))
    if not Week(offs=frozenset(offs), saturdays=frozenset(saturdays)).has_working_day:
        raise HolidayError(_l("At least one day of the week must be a working day."))
    if 5 in offs:
        saturdays = set()  # every Saturday is already off
    row = db.session.scalar(sa.select(WorkWeek).where(WorkWeek.state_id == state.id).with_for_update())
    if row is None:
        row = WorkWeek(state_id=state.id)
        db.session.add(row)
    row.weekly_offs, row.saturdays_off = _joined(offs), _joined(saturdays)
    db.session.flush()
    if has_app_context():
        g.pop("_work_weeks", None)
    record("work_week.changed", actor=actor, obj=state,
           data={"weekly_offs": sorted(offs), "saturdays_off": sorted(saturdays)})


def create_holiday(day: date, name_en: str, name_hi: str, *, actor) -> Holiday:
    """Add a holiday; a date is a holiday once (two on one day share a name, "Dussehra / Gandhi Jayanti")."""
    if db.session.scalar(sa.select(Holiday.id).where(Holiday.day == day)) is not None:
        raise HolidayError(_l("That date is already a holiday."))
    holiday = Holiday(day=day, name_en=name_en.strip(), name_hi=name_hi.strip())
    db.session.add(holiday)
    db.session.flush()
    record("holiday.created", actor=actor, obj=holiday, data={"day": day})
    return holiday


def delete_holiday(holiday: Holiday, *, actor) -> None:
    record("holiday.deleted", actor=actor, obj=holiday, data={"day": holiday.day})
    db.session.delete(holiday)
    db.session.flush()
