"""Working-day arithmetic: weekends and the holiday calendar do not count."""
from datetime import date, timedelta

import sqlalchemy as sa

from caseflow.audit.services import record
from caseflow.extensions import db
from caseflow.holidays.models import Holiday

# A time limit of N working days never spans more than this many calendar days per day.
_SPAN_FACTOR = 3


def holidays_between(start: date, end: date) -> set[date]:
    rows = db.session.scalars(sa.select(Holiday.day).where(Holiday.day.between(start, end)))
    return set(rows)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (Saturday, Sunday and holidays skipped)."""
    if days < 0:
        raise ValueError("days must not be negative")
    off = holidays_between(start, start + timedelta(days=days * _SPAN_FACTOR + 14))
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in off:
            remaining -= 1
    return current


def create_holiday(day: date, name_en: str, name_hi: str) -> Holiday:
    holiday = Holiday(day=day, name_en=name_en, name_hi=name_hi)
    db.session.add(holiday)
    db.session.flush()
    record("holiday.created", obj=holiday, data={"day": day})
    return holiday


def delete_holiday(holiday: Holiday) -> None:
    record("holiday.deleted", obj=holiday, data={"day": holiday.day})
    db.session.delete(holiday)
    db.session.flush()
