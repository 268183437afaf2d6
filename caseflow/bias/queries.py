"""Read-side queries for bias reports: the supervisor queue, an in-charge's own reports, counts.

Every query is scoped through `caseflow.scope.visible`; an in-charge additionally lists only
the reports they filed. No query here touches the complainants' table.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from caseflow.areas.models import Area, AreaKind
from caseflow.auth.models import Role, User
from caseflow.bias.models import OPEN_REVIEW, AccusedRole, BiasKind, BiasReport, ReviewStatus
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.inputs import db_int
from caseflow.scope import subtree, visible

AGES = (7, 30, 90)  # "filed more than N days ago" filters


@dataclass
class QueueFilters:
    status: str = "open"  # a ReviewStatus value, "open" or "all"
    age: int | None = None
    area_id: int | None = None
    role: AccusedRole | None = None
    kind: BiasKind | None = None
    after: str | None = None  # keyset cursor "<filed_at iso>_<id>"

    def statuses(self) -> tuple[ReviewStatus, ...] | None:
        if self.status == "all":
            return None
        if self.status == "open":
            return OPEN_REVIEW
        return (ReviewStatus(self.status),)


@dataclass
class QueuePage:
    reports: list[BiasReport]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def listed(user: User) -> sa.ColumnElement[bool]:
    """Reports a user may list: a supervisor's areas; for an in-charge, only what they filed.

    (An in-charge may still open any report of their areas: `scope.load_or_404` decides that.)
    """
    clause = visible(user, BiasReport)
    if user.role is Role.INCHARGE:
        clause = sa.and_(clause, BiasReport.filed_by_id == user.id)
    return clause


def _filtered(user: User, filters: QueueFilters) -> list:
    where = [listed(user)]
    if filters.age:
        where.append(BiasReport.filed_at <= utcnow() - timedelta(days=filters.age))
    if filters.area_id:
        path = db.session.scalar(sa.select(Area.path).where(Area.id == filters.area_id))
        if path is None:
            return [sa.false()]
        where.append(subtree(BiasReport, path))
    if filters.role:
        where.append(BiasReport.accused_role == filters.role)
    if filters.kind:
        where.append(BiasReport.kind == filters.kind)
    return where


def _cursor(report: BiasReport) -> str:
    return f"{report.filed_at.isoformat()}_{report.id}"


def _parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    try:
        at, _sep, ident = (text or "").rpartition("_")
        return datetime.fromisoformat(at), db_int(ident)
    except ValueError:
        return None


def queue(user: User, filters: QueueFilters, page_size: int = 50) -> QueuePage:
    """Oldest first: the report that has waited longest is at the top."""
    query = sa.select(BiasReport).where(*_filtered(user, filters))
    statuses = filters.statuses()
    if statuses:
        query = query.where(BiasReport.status.in_(statuses))
    after = _parse_cursor(filters.after)
    if after:
        query = query.where(sa.tuple_(BiasReport.filed_at, BiasReport.id) > sa.tuple_(*after))
    rows = db.session.scalars(query.order_by(BiasReport.filed_at, BiasReport.id).limit(page_size + 1)).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    return QueuePage(rows, _cursor(rows[-1]) if more and rows else None)


def status_counts(user: User, filters: QueueFilters) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(BiasReport.status, sa.func.count()).where(*_filtered(user, filters)).group_by(BiasReport.status)
    ).all()
    counts = {s.value: 0 for s in ReviewStatus}
    counts.update({status.value: n for status, n in rows})
    return counts


def area_choices(user: User) -> list[Area]:
    """Districts and blocks (urban bodies) in the user's areas, for the area filter."""
    kinds = (AreaKind.DISTRICT, AreaKind.BLOCK, AreaKind.URBAN_BODY)
    return db.session.scalars(
        sa.select(Area).where(Area.kind.in_(kinds), visible(user, Area)).order_by(Area.path)
    ).all()
