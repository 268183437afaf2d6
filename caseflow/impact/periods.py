"""The period a summary covers: a month, a calendar quarter, an Indian financial year
(1 April – 31 March) or custom dates, read from the selector's query string.

Dates only (no personal data), in the organisation's local calendar; both ends included.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from caseflow.exceptions import Refused
from caseflow.impact.models import PeriodKind

# Custom dates may span at most this much: a summary is about a period, not all of history,
# and the index range it reads stays bounded.
LONGEST_CUSTOM = timedelta(days=5 * 366)


class PeriodError(Refused):
    pass


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # included

    @property
    def key(self) -> str:
        """The selector's value for this period (as in the query string)."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.FINANCIAL_YEAR:
            return f"{self.start.year}-{(self.start.year + 1) % 100:02d}"
        return ""

    def label(self) -> str:
        """How the period reads in the current language, e.g. "April 2026", "2026-27"."""
        if self.kind is PeriodKind.MONTH:
            return format_date(self.start, "MMMM y")
        if self.kind is PeriodKind.FINANCIAL_YEAR:
            return str(_l("Financial year %(key)s", key=self.key))
        return f"{format_date(self.start, 'd MMM y')} – {format_date(self.end, 'd MMM y')}"


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return Period(PeriodKind.MONTH, start, following - timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    first = month(year, 3 * number - 2)
    return Period(PeriodKind.QUARTER, first.start, month(year, 3 * number).end)


def financial_year(first_year: int) -> Period:
    return Period(PeriodKind.FINANCIAL_YEAR, date(first_year, 4, 1), date(first_year + 1, 3, 31))


def financial_year_of(day: date) -> Period:
    return financial_year(day.year if day.month >= 4 else day.year - 1)


def _int(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def parse(kind: str | None, value: str | None, start: str | None, end: str | None, *, today: date) -> Period:
    """The period the selector asks for; the current month when nothing is asked.

    Raises PeriodError, with a message for the page, for anything malformed.
    """
    kind = kind or PeriodKind.MONTH.value
    value = (value or "").strip()
    try:
        period_kind = PeriodKind(kind)
    except ValueError:
        raise PeriodError(_l("Choose a month, a quarter, a financial year or custom dates.")) from None
    try:
        if period_kind is PeriodKind.MONTH:
            if not value:
                return month(today.year, today.month)
            year, number = value.split("-")
            return month(_int(year, 2000, 2100), _int(number, 1, 12))
        if period_kind is PeriodKind.QUARTER:
            if not value:
                return quarter(today.year, (today.month - 1) // 3 + 1)
            year, number = value.upper().split("-Q")
            return quarter(_int(year, 2000, 2100), _int(number, 1, 4))
        if period_kind is PeriodKind.FINANCIAL_YEAR:
            if not value:
                return financial_year_of(today)
            first, second = value.split("-")
            first_year = _int(first, 2000, 2100)
            if _int(second, 0, 99) != (first_year + 1) % 100:
                raise ValueError(value)
            return financial_year(first_year)
    except ValueError:
        raise PeriodError(_l("That period is not one the selector offers.")) from None
    try:
        since, until = date.fromisoformat(start or ""), date.fromisoformat(end or "")
    except ValueError:
        raise PeriodError(_l("Give both dates of a custom period.")) from None
    if until < since:
        raise PeriodError(_l("The period ends before it starts."))
    if until - since > LONGEST_CUSTOM:
        raise PeriodError(_l("A custom period may cover at most five years."))
    return Period(PeriodKind.CUSTOM, since, until)


def recent_months(today: date, count: int = 24) -> list[Period]:
    periods, year, number = [], today.year, today.month
    for _ in range(count):
        periods.append(month(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return periods


def recent_quarters(today: date, count: int = 8) -> list[Period]:
    periods, year, number = [], today.year, (today.month - 1) // 3 + 1
    for _ in range(count):
        periods.append(quarter(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return periods


def recent_financial_years(today: date, count: int = 4) -> list[Period]:
    first = financial_year_of(today).start.year
    return [financial_year(first - i) for i in range(count)]
