"""What a dashboard shows, for one user, area and period: read from the snapshot job's rows.

Scope is the queue's: `whole_districts` says which districts a user's areas are made of, and
a dashboard sums the rows of those districts only (or of the one district chosen in the area
selector, if it is among them). A user whose areas are smaller than a district (a block, a
panchayat) has no rows of their own: their figures are counted live from their cases with
`snapshot.tallies` (few cases), and they have no overdue history.

The funnel is live for district scopes too: the trigger-kept case_count_deltas
(caseflow.cases.counts) cost what the summary rows cost, so it never waits for a snapshot.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from caseflow.areas.models import Area, AreaKind, Office
from caseflow.auth.models import User
from caseflow.cases import counts as kept_counts
from caseflow.cases.models import OPEN_STATUSES, Case, CaseStatus
from caseflow.cases.queries import AGE_BUCKETS, month_start, whole_districts
from caseflow.cases.workflow import status_label
from caseflow.dashboards.models import DashboardSnapshot, DashboardTally
from caseflow.dashboards.snapshot import ALL, PERIODS, tallies
from caseflow.extensions import db
from caseflow.schemes.models import Scheme
from caseflow.scope import visible

TOP = 10  # bars per top-N chart; the rest are summed as "others"
RANKED = ("office", "scheme", "settlement")  # the metrics shown as top N + others
OTHERS = "others"
DEFAULT_PERIOD = 12


class BadSelection(ValueError):
    """An area or period the selector never offers: the page answers 422."""


@dataclass
class Bar:
    key: str
    label: str
    n: int
    href: str | None  # the queue on exactly these cases; None for "others"


@dataclass
class AgeRow:
    status: CaseStatus
    cells: list[Bar]  # one per AGE_BUCKETS key, in order


@dataclass
class Point:
    month: date
    label: str  # the month, as the page's language writes it
    share: float | None  # overdue / waiting at the month's last snapshot; None: no snapshot
    overdue: int
    waiting: int
    as_of: date | None
    href: str | None


@dataclass
class Dashboard:
    on: date
    months: int
    district_id: int | None  # the area selector's district; None: all the user's areas
    taken_at: datetime | None  # when the snapshot was taken; None: counted live (or never taken)
    live: bool
    funnel: list[Bar]
    ageing: list[AgeRow]
    levels: list[Bar]
    offices: list[Bar]
    schemes: list[Bar]
    settlements: list[Bar]
    resolved: list[Bar]
    median_days: float | None
    median_of: int
    median_href: str | None
    overdue: list[Point] = field(default_factory=list)


def area_options(user: User) -> list[Area]:
    """The districts the area selector offers: those wholly inside the user's areas."""
    districts = whole_districts(user)
    if districts is False:
        return []
    query = sa.select(Area).where(Area.kind == AreaKind.DISTRICT)
    if districts is not None:
        query = query.where(Area.id.in_(districts))
    return db.session.scalars(query.order_by(Area.name_en)).all()


def build(user: User, on: date, *, district_id: int | None, months: int, locale: str) -> Dashboard:
    if months not in PERIODS:
        raise BadSelection("period")
    scope = whole_districts(user)
    if district_id is not None:
        if scope is False or (scope is not None and district_id not in scope):
            raise BadSelection("area")
        if scope is None and district_id not in {a.id for a in area_options(user)}:
            raise BadSelection("area")
        scope = [district_id]
    link = _Links(district_id)
    if scope is False:
        counted = tallies(on, visible(user, Case))
        figures = _by_metric((m, k, n) for (m, _d, k), n in counted.items())
        taken_at, as_of, live = None, on, True
        funnel = {s.value: figures["status"].get(s.value, 0) for s in CaseStatus}
    else:
        snapshot = db.session.scalars(sa.select(DashboardSnapshot).where(DashboardSnapshot.as_of <= on)
                                      .order_by(DashboardSnapshot.as_of.desc()).limit(1)).first()
        as_of = snapshot.as_of if snapshot else on
        taken_at, live = (snapshot.taken_at if snapshot else None), False
        figures = _read(as_of, scope, months) if snapshot else defaultdict(Counter)
        funnel, _rows = kept_counts.status_counts(scope)
    board = Dashboard(
        on=on, months=months, district_id=district_id, taken_at=taken_at, live=live,
        funnel=[Bar(s.value, str(status_label(s)), funnel.get(s.value, 0), link.queue(status=s.value))
                for s in CaseStatus],
        ageing=[AgeRow(s, [Bar(b, b, figures["age"].get(f"{s.value}:{b}", 0), link.queue(status=s.value, aged=b))
                           for b in AGE_BUCKETS]) for s in OPEN_STATUSES],
        levels=[Bar(k, _("Level %(n)s", n=k) if k != "0" else _("Not yet submitted"), n,
                    link.queue(status="open", level=k))
                for k, n in sorted(figures["level"].items(), key=lambda kv: int(kv[0]))],
        offices=_top(figures["office"], _office_names(locale), lambda k: link.queue(status="open", office=k),
                     _("Other offices")),
        schemes=_top(figures["scheme"], _scheme_names(locale), lambda k: link.queue(status="open", scheme=k),
                     _("Other schemes")),
        settlements=_top(figures["settlement"], _area_names(locale),
                         lambda k: link.queue(status="open", settlement=k), _("Other settlements")),
        resolved=[], median_days=None, median_of=0, median_href=None,
    )
    first = month_start(as_of, months - 1)
    for back in range(months - 1, -1, -1):
        month = month_start(as_of, back)
        key = f"{month.year:04d}-{month.month:02d}"
        board.resolved.append(Bar(key, _month(month), figures["resolved"].get(key, 0),
                                  link.queue(status="resolved", resolved=key)))
    board.median_days, board.median_of = median(figures[f"deliv{months}"])
    span = f"{first.year:04d}-{first.month:02d}:{as_of.year:04d}-{as_of.month:02d}"
    board.median_href = link.queue(status="resolved", resolved=span)
    if not live:
        board.overdue = _overdue_history(scope, as_of, months, link)
    return board


def _by_metric(rows) -> defaultdict:
    figures: defaultdict = defaultdict(Counter)
    for metric, key, n in rows:
        figures[metric][key] += int(n)
    return figures


def _read(as_of: date, districts: list[int] | None, months: int) -> defaultdict:
    """The day's rows of every metric the page shows, summed over the districts. Of the metrics
    with thousands of keys (settlements, offices) only the top TOP keys are read, and the rest
    as one sum under "others"."""
    small = ("status", "age", "level", "resolved", f"deliv{months}")
    query = (sa.select(DashboardTally.metric, DashboardTally.key, sa.func.sum(DashboardTally.n))
             .where(DashboardTally.as_of == as_of, DashboardTally.metric.in_(small), _districts(districts))
             .group_by(DashboardTally.metric, DashboardTally.key))
    figures = _by_metric(db.session.execute(query))
    totals = dict(db.session.execute(
        sa.select(DashboardTally.metric, sa.func.sum(DashboardTally.n))
        .where(DashboardTally.as_of == as_of, DashboardTally.metric.in_(RANKED), _districts(districts))
        .group_by(DashboardTally.metric)).all())
    for metric in RANKED:
        total = sa.func.sum(DashboardTally.n)
        top = db.session.execute(
            sa.select(DashboardTally.key, total)
            .where(DashboardTally.as_of == as_of, DashboardTally.metric == metric, _districts(districts))
            .group_by(DashboardTally.key).order_by(total.desc(), DashboardTally.key).limit(TOP)).all()
        for key, n in top:
            figures[metric][key] = int(n)
        rest = int(totals.get(metric) or 0) - sum(int(n) for _key, n in top)
        if rest:
            figures[metric][OTHERS] = rest
    return figures


def _districts(districts: list[int] | None) -> sa.ColumnElement[bool]:
    """The rows of these districts; every district's: their stored sum."""
    return DashboardTally.district_id == ALL if districts is None else DashboardTally.district_id.in_(districts)


def _overdue_history(districts: list[int] | None, as_of: date, months: int, link: "_Links") -> list[Point]:
    """The overdue share at the last snapshot of each month of the period."""
    first = month_start(as_of, months - 1)
    days = db.session.scalars(sa.select(DashboardSnapshot.as_of).where(
        DashboardSnapshot.as_of >= first, DashboardSnapshot.as_of <= as_of)).all()
    last_of: dict[date, date] = {}
    for day in days:
        month = day.replace(day=1)
        last_of[month] = max(day, last_of.get(month, day))
    counts: dict[date, Counter] = defaultdict(Counter)
    if last_of:
        query = (sa.select(DashboardTally.as_of, DashboardTally.metric, sa.func.sum(DashboardTally.n))
                 .where(DashboardTally.as_of.in_(list(last_of.values())), DashboardTally.metric.in_(("overdue", "waiting")))
                 .where(_districts(districts)).group_by(DashboardTally.as_of, DashboardTally.metric))
        for day, metric, n in db.session.execute(query):
            counts[day][metric] = int(n)
    points = []
    for back in range(months - 1, -1, -1):
        month = month_start(as_of, back)
        day = last_of.get(month)
        overdue, waiting = (counts[day]["overdue"], counts[day]["waiting"]) if day else (0, 0)
        share = overdue / waiting if day and waiting else (0.0 if day else None)
        # Only today's overdue cases are in the queue: an older point has no list behind it.
        href = link.queue(status="open", overdue="1") if day == as_of else None
        points.append(Point(month, _month(month), share, overdue, waiting, day, href))
    return points


def _month(first: date) -> str:
    return format_date(first, "MMM y")  # "Nov 2026", "नव॰ 2026"


def median(histogram: Counter) -> tuple[float | None, int]:
    """The median of a {days (text): cases} histogram, and how many cases it is the median of."""
    total = sum(histogram.values())
    if not total:
        return None, 0
    middle = [(total - 1) // 2, total // 2]  # 0-based ranks of the one or two middle values
    values, seen = [], 0
    for days, n in sorted(((int(k), n) for k, n in histogram.items())):
        while middle and middle[0] < seen + n:
            values.append(days)
            middle.pop(0)
        seen += n
    return sum(values) / len(values), total


def _top(counted: Counter, names, href, others: str) -> list[Bar]:
    rest = counted.get(OTHERS, 0)
    ranked = sorted(((k, n) for k, n in counted.items() if k != OTHERS), key=lambda kv: (-kv[1], kv[0]))
    shown, rest = ranked[:TOP], rest + sum(n for _k, n in ranked[TOP:])
    labels = names([int(k) for k, _n in shown])
    bars = [Bar(k, labels.get(int(k), k), n, href(k)) for k, n in shown]
    if rest:
        bars.append(Bar(OTHERS, others, rest, None))
    return bars


def _office_names(locale: str):
    def names(ids: list[int]) -> dict[int, str]:
        return {o.id: o.title(locale) for o in db.session.scalars(sa.select(Office).where(Office.id.in_(ids)))}
    return names


def _scheme_names(locale: str):
    def names(ids: list[int]) -> dict[int, str]:
        return dict(db.session.execute(sa.select(Scheme.id, Scheme.code).where(Scheme.id.in_(ids))).all())
    return names


def _area_names(locale: str):
    def names(ids: list[int]) -> dict[int, str]:
        rows = db.session.execute(sa.select(Area.id, Area.name_en, Area.name_hi).where(Area.id.in_(ids)))
        return {i: (hi if locale == "hi" else en) for i, en, hi in rows}
    return names


class _Links:
    """Queue URLs for the figures, narrowed to the area selector's district."""

    def __init__(self, district_id: int | None):
        self.district_id = district_id

    def queue(self, **args) -> str:
        if self.district_id is not None:
            args["district"] = self.district_id
        return url_for("cases.queue", **args)
