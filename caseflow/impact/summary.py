"""What an area achieved in a period, as figures safe to publish.

Counted from the cases alone: a case counts when it is resolved and its `delivered_on` lies in
the period. Households are distinct beneficiaries; settlements reached are distinct settlements
with a served household; time to delivery runs from identification (the day the case was
opened, in the organisation's calendar) to `delivered_on`.

Small cells: every count from 1 to 4 is shown as "fewer than 5" (`SMALL`), and any figure that
could give such a count away is held back with it:
- a scheme's value total (value × households) and its median, when it served fewer than 5;
- the total of households, when the schemes shown as "fewer than 5" together served 1 to 4
  households: the total minus the rows shown would otherwise tell their number. "At least N"
  (the households of the schemes shown) stands in for it;
- the value totals add up only the rows shown, so they tell nothing the rows do not;
- the overall median, when fewer than 5 households were served in all.
0 is shown as 0: "nobody" singles out nobody, and a scheme with no household served has no row.

The summary reads one covering index (`ix_cases_delivered`: status, area path, delivered_on,
scheme, beneficiary, settlement, opened): four index range scans, no table rows.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from caseflow.areas.models import Area
from caseflow.bias.patterns import median_of
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import local_zone
from caseflow.extensions import db
from caseflow.impact.periods import Period
from caseflow.schemes.models import BenefitUnit, Scheme
from caseflow.scope import subtree

THRESHOLD = 5


class _Small:
    """A count from 1 to THRESHOLD - 1, shown only as "fewer than 5"."""

    def __repr__(self) -> str:
        return "SMALL"


SMALL = _Small()


def safe(count: int):
    """A count as it may be published: itself when 0 or at least THRESHOLD, else SMALL."""
    return count if count == 0 or count >= THRESHOLD else SMALL


@dataclass
class SchemeRow:
    scheme: Scheme
    households: object  # int or SMALL
    value_total: int | None = None  # rupees (per unit of the scheme's benefit); None: no value or held back
    median_days: float | None = None


@dataclass
class Summary:
    area: Area
    period: Period
    rows: list[SchemeRow] = field(default_factory=list)
    households: object = 0  # int, SMALL, or None: held back (see the module's docstring)
    households_at_least: int | None = None  # when held back: the households of the schemes shown
    settlements: object = 0  # int or SMALL
    median_days: float | None = None
    value_totals: dict[BenefitUnit, int] = field(default_factory=dict)  # over the rows shown

    @property
    def any_small(self) -> bool:
        return any(row.households is SMALL for row in self.rows)

    def counts(self) -> list:
        """Every count the summary publishes (for the tests' suppression property)."""
        return [row.households for row in self.rows] + [self.households, self.households_at_least, self.settlements]


def _days_to_delivery():
    """Whole days from the local day the case was opened to its delivery, in SQL.

    created_at is stored in UTC; the zone's offset now stands for its offset then, which is
    exact for a zone without daylight saving (India's).
    """
    offset = int(datetime.now(UTC).astimezone(local_zone()).utcoffset().total_seconds())
    if db.session.get_bind().dialect.name == "postgresql":
        opened = sa.cast(Case.created_at + sa.text(f"interval '{offset} seconds'"), sa.Date)
        return sa.cast(Case.delivered_on - opened, sa.Integer)
    opened = sa.func.date(Case.created_at, sa.literal_column(f"'{offset:+d} seconds'"))
    return sa.cast(sa.func.julianday(Case.delivered_on) - sa.func.julianday(opened), sa.Integer)


def _where(area: Area, period: Period, *extra) -> list:
    return [Case.status == CaseStatus.RESOLVED, subtree(Case, area.path),
            Case.delivered_on >= period.start, Case.delivered_on <= period.end, *extra]


def summarise(area: Area, period: Period) -> Summary:
    """The summary of `area` (its whole subtree) for `period`. The caller checks scope."""
    where = _where(area, period)
    per_scheme = db.session.execute(
        sa.select(Case.scheme_id, sa.func.count(sa.distinct(Case.beneficiary_id)))
        .where(*where).group_by(Case.scheme_id)
    ).all()
    totals = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Case.beneficiary_id)), sa.func.count(sa.distinct(Case.area_id)))
        .where(*where)
    ).one()
    days = _days_to_delivery().label("days")
    histogram_rows = db.session.execute(
        sa.select(Case.scheme_id, days, sa.func.count()).where(*where).group_by(Case.scheme_id, days)
    ).all()
    histograms: dict[int, dict[int, int]] = {}
    overall: dict[int, int] = {}
    for scheme_id, value, n in histogram_rows:
        histograms.setdefault(scheme_id, {})[value] = n
        overall[value] = overall.get(value, 0) + n

    schemes = {s.id: s for s in db.session.scalars(sa.select(Scheme).where(Scheme.id.in_([r[0] for r in per_scheme])))}
    summary = Summary(area=area, period=period)
    small_ids = []
    for scheme_id, households in per_scheme:
        scheme = schemes[scheme_id]
        row = SchemeRow(scheme=scheme, households=safe(households))
        if row.households is SMALL:
            small_ids.append(scheme_id)
        else:
            row.median_days = median_of(histograms.get(scheme_id, {}))
            if scheme.benefit_value is not None:
                row.value_total = scheme.benefit_value * households
                unit = scheme.benefit_unit
                summary.value_totals[unit] = summary.value_totals.get(unit, 0) + row.value_total
        summary.rows.append(row)
    summary.rows.sort(key=lambda r: (r.households is SMALL, -(r.households if r.households is not SMALL else 0),
                                     r.scheme.code))

    households, settlements = totals
    summary.settlements = safe(settlements)
    summary.households = safe(households)
    if small_ids and summary.households is not SMALL:
        hidden = db.session.scalar(sa.select(sa.func.count(sa.distinct(Case.beneficiary_id)))
                                   .where(*_where(area, period, Case.scheme_id.in_(small_ids))))
        if safe(hidden) is SMALL:
            # Held back; what can be said is how many the schemes shown served (at least 5,
            # since a row is shown only from 5): "at least N" tells nothing of the small rows.
            summary.households = None
            summary.households_at_least = db.session.scalar(
                sa.select(sa.func.count(sa.distinct(Case.beneficiary_id)))
                .where(*_where(area, period, Case.scheme_id.not_in(small_ids))))
    if households >= THRESHOLD:
        summary.median_days = median_of(overall)
    return summary
