"""Working-day arithmetic (weekends and the holiday calendar do not count) and keeping that calendar."""
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.audit.services import record
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.holidays.models import Holiday

# A time limit of N working days never spans more than this many calendar days per day.
_SPAN_FACTOR = 3


class HolidayError(Refused):
    pass


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
