"""The pattern view: bias reports per accused office and per gram panchayat/ward, and how the
cases of that jurisdiction fare against the rest of their district.

Every figure comes from GROUP BY queries (a handful per page, whatever the number of cases):
reports are counted per office / per panchayat and per status and finding; cases are counted
per jurisdiction prefix of their materialised area path, so a district of 10^5 cases costs a
few grouped index scans, not a loop.

The statistical signal is a one-sided exact binomial test: if a jurisdiction's cases were
stalled at the rate of the rest of the district (p0 = K/N), how likely is it to see k or more
stalled among its n? A small p-value is a signal to look at, not a finding: it says nothing
about why, and many jurisdictions tested at once will throw up some small p-values by chance.
"""
import math
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from caseflow.areas.models import PATH_SEGMENT, Area, Office, subtree_bounds
from caseflow.auth.models import User
from caseflow.bias.models import OPEN_REVIEW, AccusedRole, BiasReport, Finding
from caseflow.cases.models import WAITING_STATUSES, Attention, Case, CaseStatus
from caseflow.db import today
from caseflow.extensions import db
from caseflow.scope import visible
from caseflow.spreadsheets import csv_bytes, neutral

DISTRICT_DEPTH = 2 * PATH_SEGMENT  # state + district
PANCHAYAT_DEPTH = 4 * PATH_SEGMENT  # … + block/urban body + gram panchayat/ward
SIGNAL_P = 0.01  # below this the row is flagged as a signal to look at


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed exactly term by term.

    The sum starts at the term nearest the mode and walks away from it, where the terms only
    shrink: above the mode it is the upper tail itself, below it one minus the lower tail (then
    at least about one half, so nothing cancels). The first term comes from log-gamma, so large
    n neither overflows nor underflows; each next one from the ratio of neighbours,
    C(n, i+1)/C(n, i) · p/q = (n - i)/(i + 1) · p/q.
    """
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    odds = p / (1.0 - p)

    def term(i: int) -> float:
        return math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                        + i * math.log(p) + (n - i) * math.log1p(-p))

    total = 0.0
    if k > n * p:
        t = term(k)
        for i in range(k, n + 1):
            total += t
            if t <= total * 1e-17:
                break
            t *= (n - i) / (i + 1) * odds
        return min(1.0, total)
    t = term(k - 1)
    for i in range(k - 1, -1, -1):
        total += t
        if t <= total * 1e-17:
            break
        t *= i / (n - i + 1) / odds
    return max(0.0, 1.0 - total)


def median_of(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: count}."""
    size = sum(histogram.values())
    if size == 0:
        return None
    low_at, high_at = (size - 1) // 2, size // 2  # the two middle positions (equal when size is odd)
    low, seen = None, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > low_at:
            low = value
        if seen > high_at:
            return (low + value) / 2
    raise AssertionError("unreachable: the counts add up to size")


@dataclass
class Comparison:
    """Cases of a jurisdiction against the rest of its district."""

    waiting: int = 0  # n: cases waiting on an office now
    stalled: int = 0  # k: of those, overdue or stalled at the top of the ladder
    base_waiting: int = 0  # N: the same in the rest of the district
    base_stalled: int = 0  # K
    median_days: float | None = None  # days from opening to resolution, resolved cases
    base_median_days: float | None = None
    resolved: int = 0
    base_resolved: int = 0

    @property
    def share(self) -> float | None:
        return self.stalled / self.waiting if self.waiting else None

    @property
    def base_share(self) -> float | None:
        return self.base_stalled / self.base_waiting if self.base_waiting else None

    @cached_property  # the sort, the page and the CSV all ask
    def p_value(self) -> float | None:
        if not self.waiting or not self.base_waiting:
            return None
        return binomial_sf(self.stalled, self.waiting, self.base_share)

    @property
    def signal(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNAL_P


@dataclass
class PatternRow:
    """One accused office, or one gram panchayat/ward, with its reports and its cases."""

    jurisdiction_path: str | None
    office: Office | None = None
    role: AccusedRole | None = None
    area: Area | None = None
    district: Area | None = None
    reports: int = 0
    open: int = 0
    findings: dict[Finding, int] = field(default_factory=lambda: {f: 0 for f in Finding})
    cases: Comparison | None = None

    def add(self, status, finding, count: int) -> None:
        self.reports += count
        if status in OPEN_REVIEW:
            self.open += count
        elif finding is not None:
            self.findings[finding] += count


@dataclass
class Patterns:
    offices: list[PatternRow]
    panchayats: list[PatternRow]


def _prefix(column, depth: int):
    # Literal numbers, not bound parameters: PostgreSQL matches a grouped expression in the
    # select list only if it is spelled identically, and two binds are two different spellings.
    return sa.func.substr(column, sa.literal_column("1"), sa.literal_column(str(int(depth))))


def _days_to_resolution():
    if db.session.get_bind().dialect.name == "postgresql":
        seconds = sa.extract("epoch", Case.ended_at - Case.created_at)
        return sa.cast(sa.func.floor(seconds / sa.literal_column("86400")), sa.Integer)
    return sa.cast(sa.func.julianday(Case.ended_at) - sa.func.julianday(Case.created_at), sa.Integer)


def _in_districts(district_paths: set[str]) -> sa.ColumnElement[bool]:
    """Cases in these districts. A few districts: one index range each. Many (a state-wide
    view): one set lookup per row, as a hundred OR-ed comparisons per row would cost more than
    reading the rows."""
    if not district_paths:
        return sa.false()
    if len(district_paths) > 8:
        return _prefix(Case.area_path, DISTRICT_DEPTH).in_(sorted(district_paths))
    return sa.or_(*(sa.and_(Case.area_path >= lo, Case.area_path < hi)
                    for lo, hi in (subtree_bounds(p) for p in sorted(district_paths))))


def _case_stats(user: User, paths: set[str], district_paths: set[str]):
    """Waiting/stalled counts and a histogram of days to resolution for every path in `paths`
    and every district in `district_paths`.

    Three grouped queries, whatever the number of jurisdictions: the counts are grouped by the
    full area path, which is the order of the queue index (area_path, status, due_date, id), so
    the database streams the groups off the index without sorting; the histogram by the deepest
    jurisdiction's prefix. Both are rolled up here to every jurisdiction and district.
    """
    wanted = paths | district_paths
    lengths = sorted({len(p) for p in wanted})
    waiting: dict[str, list[int]] = {p: [0, 0] for p in wanted}
    histograms: dict[str, dict[int, int]] = {p: {} for p in wanted}
    scope = sa.and_(visible(user, Case), _in_districts(district_paths))
    waits = Case.status.in_(WAITING_STATUSES)
    overdue = Case.due_date < today()

    def add_counts(rows, n_index: int | None, k_index: int):
        for row in rows:
            for length in lengths:
                counts = waiting.get(row[0][:length])
                if counts is not None:
                    if n_index is not None:
                        counts[0] += row[n_index]
                    counts[1] += int(row[k_index] or 0)

    add_counts(db.session.execute(
        sa.select(Case.area_path, sa.func.count(), sa.func.sum(sa.case((overdue, 1), else_=0)))
        .where(scope, waits).group_by(Case.area_path)), 1, 2)
    # Stuck at the top of the ladder but not (or no longer) past a due date: few rows, read
    # through the partial index on the attention flag.
    add_counts(db.session.execute(
        sa.select(Case.area_path, sa.func.count())
        .where(scope, waits, Case.attention == Attention.STALLED_AT_TOP, sa.not_(overdue))
        .group_by(Case.area_path)), None, 1)

    deepest = _prefix(Case.area_path, lengths[-1])
    days = _days_to_resolution()
    for j, d, n in db.session.execute(
        sa.select(deepest, days, sa.func.count())
        .where(scope, Case.status == CaseStatus.RESOLVED).group_by(deepest, days)
    ):
        for length in lengths:
            histogram = histograms.get(j[:length])
            if histogram is not None:
                histogram[int(d)] = histogram.get(int(d), 0) + n
    return {p: tuple(v) for p, v in waiting.items()}, histograms


def _compare(path: str, waiting: dict, histograms: dict) -> Comparison | None:
    if len(path) <= DISTRICT_DEPTH:
        return None  # a district-wide office has no "rest of the district"
    district = path[:DISTRICT_DEPTH]
    n, k = waiting.get(path, (0, 0))
    dn, dk = waiting.get(district, (0, 0))
    here = histograms.get(path, {})
    rest = dict(histograms.get(district, {}))
    for d, count in here.items():
        rest[d] -= count
    rest = {d: c for d, c in rest.items() if c}
    return Comparison(waiting=n, stalled=k, base_waiting=dn - n, base_stalled=dk - k,
                      median_days=median_of(here), base_median_days=median_of(rest),
                      resolved=sum(here.values()), base_resolved=sum(rest.values()))


def patterns(user: User, district_id: int | None = None) -> Patterns:
    where = [visible(user, BiasReport)]
    if district_id:
        path = db.session.scalar(sa.select(Area.path).where(Area.id == district_id))
        if path is None:
            return Patterns([], [])
        lo, hi = subtree_bounds(path)
        where += [BiasReport.area_path >= lo, BiasReport.area_path < hi]

    # Reports per accused office (or, with none recorded, per role and panchayat).
    by_office: dict = {}
    panchayat = _prefix(BiasReport.area_path, PANCHAYAT_DEPTH)
    unplaced_gp = sa.case((BiasReport.accused_office_id.is_(None), panchayat), else_=sa.null())
    for office_id, role, gp, status, finding, count in db.session.execute(
        sa.select(BiasReport.accused_office_id, BiasReport.accused_role, unplaced_gp,
                  BiasReport.status, BiasReport.finding, sa.func.count())
        .where(*where)
        .group_by(BiasReport.accused_office_id, BiasReport.accused_role, unplaced_gp,
                  BiasReport.status, BiasReport.finding)
    ):
        key = ("office", office_id) if office_id else ("role", role, gp)
        row = by_office.setdefault(key, PatternRow(gp, role=role))
        row.add(status, finding, count)
    # Reports per gram panchayat / ward.
    by_gp: dict = {}
    for gp, status, finding, count in db.session.execute(
        sa.select(panchayat, BiasReport.status, BiasReport.finding, sa.func.count())
        .where(*where).group_by(panchayat, BiasReport.status, BiasReport.finding)
    ):
        by_gp.setdefault(gp, PatternRow(gp)).add(status, finding, count)

    office_ids = [key[1] for key in by_office if key[0] == "office"]
    offices = {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(office_ids)))} \
        if office_ids else {}
    for key, row in by_office.items():
        if key[0] == "office":
            row.office = offices[key[1]]
            row.jurisdiction_path = row.office.area.path

    rows = [*by_office.values(), *by_gp.values()]
    paths = {r.jurisdiction_path for r in rows if r.jurisdiction_path}
    district_paths = {p[:DISTRICT_DEPTH] for p in paths if len(p) >= DISTRICT_DEPTH}
    compared = {p for p in paths if len(p) > DISTRICT_DEPTH}
    waiting, histograms = _case_stats(user, compared, district_paths) if compared else ({}, {})

    area_ids = {int(p[-PATH_SEGMENT:]) for p in paths} | {int(p[-PATH_SEGMENT:]) for p in district_paths}
    areas = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(area_ids)))} if area_ids else {}
    for row in rows:
        if not row.jurisdiction_path:
            continue
        row.area = areas.get(int(row.jurisdiction_path[-PATH_SEGMENT:]))
        if len(row.jurisdiction_path) >= DISTRICT_DEPTH:
            row.district = areas.get(int(row.jurisdiction_path[PATH_SEGMENT:DISTRICT_DEPTH]))
        row.cases = _compare(row.jurisdiction_path, waiting, histograms)

    def order(row: PatternRow):
        p = row.cases.p_value if row.cases and row.cases.p_value is not None else 2.0
        return (p, -row.reports, row.jurisdiction_path or "")

    return Patterns(sorted(by_office.values(), key=order), sorted(by_gp.values(), key=order))


# --- display -------------------------------------------------------------------------------


def format_p(p: float) -> str:
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "level", "district", "jurisdiction", "accused_office", "accused_role", "reports", "open", "substantiated",
    "unsubstantiated", "referred", "waiting_cases", "stalled_cases", "stalled_share", "district_rest_waiting",
    "district_rest_stalled", "district_rest_share", "p_value", "median_days_to_resolution",
    "district_rest_median_days",
)


def csv_rows(result: Patterns, locale: str) -> list[list[str]]:
    """The pattern table without any identity: posts by title, never their holders' names
    (see docs/bias.md), and no complainant or beneficiary data at all."""
    rows = []
    for level, items in (("office", result.offices), ("panchayat_or_ward", result.panchayats)):
        for row in items:
            c = row.cases or Comparison()
            rows.append([neutral(v) for v in (
                level,
                row.district.name(locale) if row.district else None,
                row.area.name(locale) if row.area else None,
                row.office.title(locale) if row.office else None,
                row.role.value if row.role else None,
                row.reports, row.open, row.findings[Finding.SUBSTANTIATED], row.findings[Finding.UNSUBSTANTIATED],
                row.findings[Finding.REFERRED],
                c.waiting if row.cases else None, c.stalled if row.cases else None, c.share,
                c.base_waiting if row.cases else None, c.base_stalled if row.cases else None, c.base_share,
                c.p_value, c.median_days, c.base_median_days,
            )])
    return rows


def to_csv(result: Patterns, locale: str) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Hindi names correctly."""
    return csv_bytes(CSV_COLUMNS, csv_rows(result, locale))
