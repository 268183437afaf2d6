"""Review quarters: the Indian financial year's (Q1 April–June … Q4 January–March).

Financial-year quarters, not calendar ones: the departments the organisation follows up with
plan, sanction and report by the financial year (budgets, scheme targets, the CM Helpline's
monthly reviews), so a review lines up with the figures the offices themselves quote.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date

from caseflow.db import local_midnight

# How long after a quarter's end its review may take before it shows up as overdue.
GRACE_DAYS = 30


@dataclass(frozen=True, order=True)
class Quarter:
    start: date

    @classmethod
    def of(cls, day: date) -> "Quarter":
        month = ((day.month - 1) // 3) * 3 + 1  # calendar quarters and FY quarters share their starts
        return cls(date(day.year, month, 1))

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        month = self.start.month + 3
        return date(self.start.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def deadline(self) -> date:
        """The last day the review is on time."""
        return self.last_day + timedelta(days=GRACE_DAYS)

    @property
    def fy_number(self) -> int:
        return {4: 1, 7: 2, 10: 3, 1: 4}[self.start.month]

    @property
    def fy_label(self) -> str:
        first = self.start.year if self.start.month >= 4 else self.start.year - 1
        return f"{first}–{str(first + 1)[-2:]}"

    def previous(self) -> "Quarter":
        return Quarter.of(self.start - timedelta(days=1))

    def next(self) -> "Quarter":
        return Quarter(self.end)

    def bounds(self) -> tuple[datetime, datetime]:
        """The stored (naive UTC) moments the quarter covers, in the organisation's time zone."""
        return local_midnight(self.start), local_midnight(self.end)

    def label(self) -> str:
        """"Q2 2026–27 (Jul–Sep 2026)", in the reader's language."""
        months = f"{format_date(self.start, 'MMM')}–{format_date(self.last_day, 'MMM y')}"
        return f"Q{self.fy_number} {self.fy_label} ({months})"

    def code(self) -> str:
        return self.start.isoformat()


def last_ended(on: date) -> Quarter:
    """The latest quarter that has ended by `on`."""
    return Quarter.of(on).previous()
