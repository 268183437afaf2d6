"""The dashboards' figures, counted from the cases: the daily snapshot job and the live count.

`tallies(on, where)` counts every metric per district in a handful of GROUP BY queries;
`take(on)` stores them as day `on`'s rows of dashboard_tallies (the scheduler runs it after the
escalation sweep: `flask caseflow snapshot-dashboards`). Running it again the same day replaces
that day's rows, so it is idempotent per day. Older days keep only the two metrics the overdue
history needs ("overdue", "waiting"); everything else is read from the latest day.

Metrics (key → n), all per district:
- status: every case, by status;
- age: open cases, "status:bucket" by calendar days at the status (queries.AGE_BUCKETS);
- level, office, scheme, settlement: open cases by escalation level, responsible office, scheme,
  settlement (ids as text);
- resolved: resolved cases by the local month ("YYYY-MM") of their resolution, last 24 months;
- deliv3/6/12/24: cases resolved in the last 3/6/12/24 months, by calendar days from opening
  (identification) to the delivery date recorded at resolution, for the median;
- overdue, waiting: cases waiting on an office past their due date, and all waiting ("" key).

Each metric is stored per district and once more summed over all of them (district id ALL).
"""
from collections import Counter
from datetime import date

import sqlalchemy as sa

from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, Case, CaseStatus, overdue
from caseflow.cases.queries import AGE_BUCKETS, in_age_bucket, month_start, status_since
from caseflow.dashboards.models import DashboardSnapshot, DashboardTally
from caseflow.db import local_date, local_midnight, utcnow
from caseflow.extensions import db

PERIODS = (3, 6, 12, 24)  # months a dashboard can look back over
# The rows of every district summed, stored again under this district id: the whole
# organisation's dashboard reads them instead of summing fifty districts' rows.
ALL = 0
HISTORY_METRICS = ("overdue", "waiting")
Key = tuple[str, int, str]  # (metric, district_id, key)


def tallies(on: date, where: sa.ColumnElement[bool] | None = None) -> Counter:
    """Every metric as of `on` for the cases `where` selects (all: None): {(metric, district_id, key): n}."""
    where = sa.true() if where is None else where
    out: Counter = Counter()
    open_cases = sa.and_(where, Case.status.in_(OPEN_STATUSES))

    def grouped(metric: str, column, condition) -> None:
        query = sa.select(Case.district_id, column, sa.func.count()).where(condition).group_by(Case.district_id, column)
        for district_id, value, n in db.session.execute(query):
            if value is not None:
                out[metric, district_id, _text(value)] += n

    grouped("status", Case.status, where)
    # Four metrics of the open cases from one pass over them (one GROUP BY each would read the
    # table four times): a settlement lies in one district, so the groups stay few.
    columns = (Case.district_id, Case.level, Case.office_id, Case.scheme_id, Case.area_id)
    for district_id, level, office_id, scheme_id, area_id, n in db.session.execute(
            sa.select(*columns, sa.func.count()).where(open_cases).group_by(*columns)):
        out["level", district_id, str(level)] += n
        out["scheme", district_id, str(scheme_id)] += n
        out["settlement", district_id, str(area_id)] += n
        if office_id is not None:
            out["office", district_id, str(office_id)] += n
    # The entry time is worked out once per case, then bucketed.
    entered = sa.select(Case.district_id, Case.status, status_since().label("since")).where(open_cases).subquery()
    bucket = sa.case(*((in_age_bucket(name, on, entered.c.since), name) for name in AGE_BUCKETS), else_=None)
    # Grouped from a subquery: PostgreSQL would not match a GROUP BY expression holding parameters.
    bucketed = sa.select(entered.c.district_id, entered.c.status, bucket.label("bucket")).subquery()
    query = (sa.select(bucketed.c.district_id, bucketed.c.status, bucketed.c.bucket, sa.func.count())
             .group_by(bucketed.c.district_id, bucketed.c.status, bucketed.c.bucket))
    for district_id, status, name, n in db.session.execute(query):
        if name is not None:
            out["age", district_id, f"{status.value}:{name}"] += n
    waiting = sa.and_(where, Case.status.in_(WAITING_STATUSES))
    for metric, condition in (("waiting", waiting), ("overdue", sa.and_(where, overdue(on)))):
        query = sa.select(Case.district_id, sa.func.count()).where(condition).group_by(Case.district_id)
        for district_id, n in db.session.execute(query):
            out[metric, district_id, ""] += n
    _resolutions(on, where, out)
    return out


def _text(value) -> str:
    return value.value if isinstance(value, CaseStatus) else str(value)


def _resolutions(on: date, where, out: Counter) -> None:
    """Resolved per month and the days-to-delivery histograms: the month needs the local
    calendar, so the (few) resolved cases of the last 24 months are read and bucketed here."""
    starts = {months: month_start(on, months - 1) for months in PERIODS}
    query = sa.select(Case.district_id, Case.ended_at, Case.created_at, Case.delivered_on).where(
        where, Case.status == CaseStatus.RESOLVED, Case.ended_at >= local_midnight(starts[max(PERIODS)]))
    for district_id, ended_at, created_at, delivered_on in db.session.execute(query):
        ended = local_date(ended_at)
        if ended > on:
            continue
        out["resolved", district_id, f"{ended.year:04d}-{ended.month:02d}"] += 1
        days = max(0, (delivered_on - local_date(created_at)).days)
        for months, start in starts.items():
            if ended >= start:
                out[f"deliv{months}", district_id, str(days)] += 1


def take(on: date, counted: Counter | None = None) -> int:
    """Store day `on`'s figures (replacing any taken earlier that day); returns the rows written.

    In the caller's transaction; `counted` is `tallies(on)` if the caller already counted (the
    command counts in a read-only transaction first, so on SQLite the write lock is held for
    the short write only, not for the minute the counting takes at a million cases).
    Two runs at once the same day: the second one's insert meets the first one's rows and
    fails, changing nothing.
    """
    counted = tallies(on) if counted is None else counted
    db.session.execute(sa.delete(DashboardTally).where(DashboardTally.as_of == on))
    db.session.execute(sa.delete(DashboardTally).where(DashboardTally.as_of < on,
                                                       DashboardTally.metric.not_in(HISTORY_METRICS)))
    db.session.execute(sa.delete(DashboardSnapshot).where(DashboardSnapshot.as_of == on))
    totals: Counter = Counter()
    for (metric, _district_id, key), n in counted.items():
        totals[metric, ALL, key] += n
    rows = [{"as_of": on, "metric": metric, "district_id": district_id, "key": key, "n": n}
            for (metric, district_id, key), n in (counted + totals).items() if n]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(DashboardTally), rows[start:start + 5000])
    cases = sum(n for (metric, _d, _k), n in totals.items() if metric == "status")
    db.session.add(DashboardSnapshot(as_of=on, taken_at=utcnow(), cases=cases))
    db.session.flush()
    return len(rows)
