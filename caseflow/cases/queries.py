"""Read-side queries for cases: the in-charge queue, its counts, and SLA standing.

The queue is keyset-paginated on (due date, id) so page 2,000 costs what page 1 costs,
and every query is scoped through `caseflow.scope.in_scope`.
"""
import math
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.beneficiaries.names import name_key
from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, Case, CaseStatus
from caseflow.extensions import db
from caseflow.scope import in_scope

# Sorts after every real date, so cases with no due date come last in the same index order.
NO_DUE_DATE = date(9999, 12, 31)


@dataclass
class QueueFilters:
    status: str = "open"  # a CaseStatus value, "open" or "all"
    scheme_id: int | None = None
    settlement_id: int | None = None
    overdue: bool = False
    search: str = ""
    after: str | None = None  # keyset cursor "YYYY-MM-DD.id"

    def statuses(self) -> tuple[CaseStatus, ...] | None:
        if self.status == "all":
            return None
        if self.status == "open":
            return OPEN_STATUSES
        return (CaseStatus(self.status),)


@dataclass
class QueuePage:
    cases: list[Case]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def _due_key():
    return sa.func.coalesce(Case.due_date, NO_DUE_DATE)


def _base(user: User, filters: QueueFilters, on: date) -> sa.Select:
    query = sa.select(Case).where(in_scope(user, Case.area_path))
    if filters.scheme_id:
        query = query.where(Case.scheme_id == filters.scheme_id)
    if filters.settlement_id:
        query = query.where(Case.area_id == filters.settlement_id)
    if filters.overdue:
        query = query.where(Case.status.in_(WAITING_STATUSES), Case.due_date < on)
    if filters.search:
        query = query.where(_search_clause(filters.search))
    return query


def _search_clause(text: str) -> sa.ColumnElement[bool]:
    text = text.strip()
    by_reference = Case.reference.like(text.upper().replace("%", "").replace("_", r"\_") + "%", escape="\\")
    key = name_key(text)
    people = sa.select(Beneficiary.id).where(
        sa.or_(Beneficiary.name.contains(text, autoescape=True),
               *([Beneficiary.name_key.contains(key, autoescape=True)] if key else []))
    )
    return sa.or_(by_reference, Case.beneficiary_id.in_(people))


def queue(user: User, filters: QueueFilters, on: date, page_size: int = 50) -> QueuePage:
    query = _base(user, filters, on)
    statuses = filters.statuses()
    if statuses:
        query = query.where(Case.status.in_(statuses))
    due = _due_key()
    if filters.after:
        try:
            after_due, after_id = filters.after.split(".")
            after_due, after_id = date.fromisoformat(after_due), int(after_id)
        except ValueError:
            after_due, after_id = None, None
        if after_due is not None:
            query = query.where(sa.tuple_(due, Case.id) > sa.tuple_(sa.literal(after_due, sa.Date), after_id))
    rows = db.session.scalars(query.order_by(due, Case.id).limit(page_size + 1)).unique().all()
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        next_cursor = f"{(last.due_date or NO_DUE_DATE).isoformat()}.{last.id}"
    return QueuePage(cases=list(rows), next_cursor=next_cursor)


def status_counts(user: User, filters: QueueFilters, on: date) -> dict[str, int]:
    """Cases per status under the same scope and filters (the status filter aside)."""
    base = _base(user, filters, on).with_only_columns(Case.status, sa.func.count()).group_by(Case.status)
    counts = {status.value: 0 for status in CaseStatus}
    for status, count in db.session.execute(base):
        counts[status.value] = count
    return counts


def sla_standing(case: Case, on: date) -> tuple[str | None, int | None]:
    """('on_track' | 'at_risk' | 'overdue', days left) while an office holds the case."""
    days_left = case.days_left(on)
    if days_left is None:
        return None, None
    if days_left < 0:
        return "overdue", days_left
    level = case.scheme.level(case.level)
    # At risk in the last 20 % of the level's time (working days, roughly 7/5 calendar days each).
    limit_calendar_days = (level.time_limit_days * 7 / 5) if level else 0
    if days_left <= max(1, math.ceil(0.2 * limit_calendar_days)):
        return "at_risk", days_left
    return "on_track", days_left
