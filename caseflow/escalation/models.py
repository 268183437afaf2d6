"""A record of each sweep run, for operators and for the supervisor pages."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import utcnow
from caseflow.extensions import db


class SweepRun(db.Model):
    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    as_of: Mapped[date]
    escalated: Mapped[int] = mapped_column(default=0)
    stalled_at_top: Mapped[int] = mapped_column(default=0)
    needs_configuration: Mapped[int] = mapped_column(default=0)
    host: Mapped[str | None] = mapped_column(sa.String(120))
