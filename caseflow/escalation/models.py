"""A record of each sweep run, for operators and for the supervisor pages; the index on case attention."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.cases.models import Case
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class SweepRun(db.Model):
    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    as_of: Mapped[date]
    escalated: Mapped[int] = mapped_column(default=0)
    stalled_at_top: Mapped[int] = mapped_column(default=0)
    needs_configuration: Mapped[int] = mapped_column(default=0)
    host: Mapped[str | None] = mapped_column(sa.String(120), info=MACHINE)
    # How a later run tells a run still at work from one whose process died (killed, machine
    # down): the process id on its host, and the moment of its last committed batch.
    pid: Mapped[int | None]
    heartbeat_at: Mapped[datetime | None]
    # Set by a later run that found this one unfinished with its process gone (see
    # services.mark_interrupted); the counts above are then what it had committed by its last batch.
    interrupted_at: Mapped[datetime | None]


# The supervisor lists and the sweep's release pass read the few cases that carry an
# attention flag; a partial index keeps that cheap among millions of unflagged cases.
# Declared here, beside the flag's only writer, on the cases table.
sa.Index(
    "ix_cases_attention",
    Case.attention,
    Case.area_path,
    sqlite_where=sa.text("attention IS NOT NULL"),
    postgresql_where=sa.text("attention IS NOT NULL"),
)
