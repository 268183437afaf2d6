"""The dashboards' summary table: figures per district, written once a day by the snapshot job.

One row is one number: on day `as_of`, in district `district_id`, the `metric` had value `n` for
`key` (a status, an ageing bucket, a level, an office id, a month…). See
caseflow.dashboards.snapshot for what each metric counts; the dashboards only sum rows.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class DashboardTally(db.Model):
    __tablename__ = "dashboard_tallies"

    # The primary key is also the read path: one day, one metric, the scope's districts.
    as_of: Mapped[date] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(12), primary_key=True, info=MACHINE)
    district_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True, info=MACHINE)
    n: Mapped[int]


class DashboardSnapshot(db.Model):
    """One row per day the snapshot job ran: when its figures were taken."""

    __tablename__ = "dashboard_snapshots"

    as_of: Mapped[date] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    cases: Mapped[int]  # cases counted, for the operator's report
