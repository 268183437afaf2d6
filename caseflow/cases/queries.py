"""Read-side queries for cases: the in-charge queue, its counts, and SLA standing.

The queue is keyset-paginated on (due date, id) so page 2,000 costs what page 1 costs,
and every query is scoped through `caseflow.scope.visible`.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import g, has_app_context

from caseflow.areas.models import Area, AreaKind
from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import counts as kept_counts
from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, Case, CaseStatus, overdue
from caseflow.db import read_only_transaction
from caseflow.extensions import db
from caseflow.holidays.services import DEFAULT_WEEK, Week, holidays_between, week_of, working_days_after
from caseflow.inputs import db_int
from caseflow.schemes.models import LadderLevel, Scheme
from caseflow.scope import areas_of, covers_every_state, subtree, visible


@dataclass
class QueueFilters:
    status: str = "open"  # a CaseStatus value, "open" or "all"
    scheme_id: int | None = None
    settlement_id: int | None = None
    overdue: bool = False
    search: str = ""  # shown instead of the queue when set (caseflow.cases.search), never a filter of it
    after: str | None = None  # keyset cursor, see parse_cursor

    def statuses(self) -> tuple[CaseStatus, ...] | None:
        if self.status == "all":
            return None
        if self.status == "open":
            return OPEN_STATUSES
        return (CaseStatus(self.status),)


@dataclass
class QueuePage:
    cases: list["QueueRow"]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def _base(user: User, filters: QueueFilters, on: date) -> sa.Select:
    query = sa.select(Case.id).where(visible(user, Case))
    if filters.scheme_id:
        query = query.where(Case.scheme_id == filters.scheme_id)
    if filters.settlement_id:
        query = query.where(Case.area_id == filters.settlement_id)
    if filters.overdue:
        query = query.where(overdue(on))
    return query


def parse_cursor(cursor: str | None) -> tuple[str, date | None, int] | None:
    """'d.YYYY-MM-DD.id' (among cases with a due date) or 'n.id' (among those without)."""
    if not cursor:
        return None
    try:
        kind, *rest = cursor.split(".")
        if kind == "d":
            return "d", date.fromisoformat(rest[0]), db_int(rest[1])
        if kind == "n":
            return "n", None, db_int(rest[0])
    except (ValueError, IndexError):
        pass
    return None


def queue(user: User, filters: QueueFilters, on: date, page_size: int = 50) -> QueuePage:
    """One page of the queue: cases with a due date first, soonest first, then the rest.

    The two parts are read separately, each straight off an index in its own order
    ((district_id, due_date, id) or (due_date, id)), so a page costs the same at any depth.
    Sorting on a coalesce() of the due date would make the database sort the whole scope.
    """
    base = _base(user, filters, on)
    statuses = filters.statuses()
    if statuses:
        base = base.where(Case.status.in_(statuses))
    after = parse_cursor(filters.after)
    cases: list[QueueRow] = []
    if after is None or after[0] == "d":
        dated = base.where(Case.due_date.is_not(None))
        if after is not None:
            dated = dated.where(sa.tuple_(Case.due_date, Case.id) > sa.tuple_(sa.literal(after[1], sa.Date), after[2]))
        cases = _rows(dated.order_by(Case.due_date, Case.id).limit(page_size + 1), (Case.due_date, Case.id))
    if len(cases) <= page_size and not filters.overdue:
        undated = base.where(Case.due_date.is_(None))
        if after is not None and after[0] == "n":
            undated = undated.where(Case.id > after[2])
        cases += _rows(undated.order_by(Case.id).limit(page_size + 1 - len(cases)), (Case.id,))
    more = len(cases) > page_size
    cases = cases[:page_size]
    next_cursor = None
    if more and cases:
        last = cases[-1]
        next_cursor = f"d.{last.due_date.isoformat()}.{last.id}" if last.due_date else f"n.{last.id}"
    return QueuePage(cases=cases, next_cursor=next_cursor)


class QueueRow(NamedTuple):
    """What a queue row shows, as plain values: no ORM objects to build for a list page."""

    id: int
    reference: str
    status: CaseStatus
    level: int
    due_date: date | None
    beneficiary_name: str
    scheme_code: str
    area_name_en: str
    area_name_hi: str
    time_limit_days: int | None  # of the case's current level, for its standing
    area_path: str  # whose state's working week counts the days left


def _row_query() -> sa.Select:
    return sa.select(Case.id, Case.reference, Case.status, Case.level, Case.due_date, Beneficiary.name, Scheme.code,
                     Area.name_en, Area.name_hi, LadderLevel.time_limit_days, Case.area_path)


def _joined(query: sa.Select) -> sa.Select:
    return (query.join(Beneficiary, Beneficiary.id == Case.beneficiary_id)
            .join(Scheme, Scheme.id == Case.scheme_id)
            .join(Area, Area.id == Case.area_id)
            .outerjoin(LadderLevel, sa.and_(LadderLevel.scheme_id == Case.scheme_id, LadderLevel.level == Case.level)))


def _rows(page: sa.Select, order: tuple) -> list[QueueRow]:
    """The cases `page` selects (ids, in index order, limited), with what each row shows, in
    one statement: the page is read off its index first, then joined to the names and codes."""
    ids = page.subquery()
    query = _joined(_row_query().select_from(ids).join(Case, Case.id == ids.c.id)).order_by(*order)
    return [QueueRow(*row) for row in db.session.execute(query)]


def rows_by_id(ids: list[int]) -> dict[int, QueueRow]:
    """What a queue row shows of each of these cases (already scoped by the caller), by id."""
    if not ids:
        return {}
    query = _joined(_row_query().select_from(Case)).where(Case.id.in_(ids))
    return {row[0]: QueueRow(*row) for row in db.session.execute(query)}


def status_counts(user: User, filters: QueueFilters, on: date) -> dict[str, int]:
    """Cases per status under the same scope and filters (the status filter aside).

    Whole districts (or every state), with no filter but the scheme, are read from the counts
    the triggers keep (caseflow.cases.counts): a state's million cases cost what 50 rows cost.
    Anything narrower is counted, off the same indexes the page uses.
    """
    districts = _whole_districts(user) if not (filters.settlement_id or filters.overdue) else False
    if districts is not False:
        counts, summed = kept_counts.status_counts(districts, filters.scheme_id)
        if kept_counts.due_for_compaction(summed) and read_only_transaction.get():
            # A page only reads: the fold is its transaction's one write, committed at once (as
            # the session touch is). A failed fold leaves the rows as they were.
            try:
                kept_counts.compact()
                db.session.commit()
            except sa.exc.SQLAlchemyError:
                db.session.rollback()
        return counts
    base = _base(user, filters, on).with_only_columns(Case.status, sa.func.count()).group_by(Case.status)
    counts = {status.value: 0 for status in CaseStatus}
    for status, count in db.session.execute(base):
        counts[status.value] = count
    return counts


def _whole_districts(user: User) -> "list[int] | None | bool":
    """The districts the user's scope is made of: None for every district, False when the scope
    has smaller areas (a block, a panchayat), whose counts are not kept."""
    areas = areas_of(user)
    if not areas or any(a.kind not in (AreaKind.DISTRICT, AreaKind.STATE) for a in areas):
        return False
    if covers_every_state(areas):
        return None
    ids = {a.id for a in areas if a.kind is AreaKind.DISTRICT}
    states = [subtree(Area, a.path) for a in areas if a.kind is AreaKind.STATE]
    if states:
        ids.update(db.session.scalars(sa.select(Area.id).where(Area.kind == AreaKind.DISTRICT, sa.or_(*states))))
    return sorted(ids)


def sla_standing(case: Case, on: date) -> tuple[str | None, int | None]:
    """Where the case stands against its time limit while an office holds it.

    ('overdue', -calendar days past the due date), or ('at_risk' | 'on_track', working days
    left). Time limits are working days, so "left" is counted in working days too: weekends
    and the holiday calendar do not count. At risk is the last 20 % of the level's limit
    (at least one working day); the due day itself counts as at risk.
    """
    if case.due_date is None or case.status not in WAITING_STATUSES:
        return None, None
    level = case.scheme.level(case.level) if case.due_date >= on else None
    return _standing(case.due_date, case.status, level.time_limit_days if level else None, on,
                     week_of(case.area_path))


def row_standing(row: QueueRow, on: date) -> tuple[str | None, int | None]:
    """`sla_standing` of a queue row, from the values the row already holds."""
    return _standing(row.due_date, row.status, row.time_limit_days, on, week_of(row.area_path))


def _standing(due_date: date | None, status: CaseStatus, limit: int | None, on: date,
              week: Week = DEFAULT_WEEK) -> tuple[str | None, int | None]:
    if due_date is None or status not in WAITING_STATUSES:
        return None, None
    if due_date < on:
        return "overdue", (due_date - on).days
    left = working_days_after(on, due_date, _holidays_for(on, due_date), week)
    if left <= max(1, math.ceil(0.2 * (limit or 0))):
        return "at_risk", left
    return "on_track", left


# The queue shows 50 standings a page: the holidays of two years around today are read once
# per request (or CLI context) and shared; a due date beyond them asks the database itself.
_HOLIDAY_WINDOW = timedelta(days=366)


def _holidays_for(on: date, due: date) -> set[date]:
    lo, hi = on - _HOLIDAY_WINDOW, on + _HOLIDAY_WINDOW
    if not (lo <= due <= hi) or not has_app_context():
        return holidays_between(min(on, due), max(on, due))
    cache = g.setdefault("_sla_holidays", {})
    if on not in cache:
        cache[on] = holidays_between(lo, hi)
    return cache[on]
