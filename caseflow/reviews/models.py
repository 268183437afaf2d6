"""The quarterly review of an in-charge and its spot-check sample.

A review is one per in-charge per quarter (Indian financial-year quarters, see
caseflow.reviews.quarters). Its figures are computed from the case timeline while it is open
and frozen into `figures` (JSON) when the supervisor signs; after both signatures the row and
its spot checks are read-only: the services refuse, and database triggers (migration
4e71e3ed0016) refuse an UPDATE of a signed review or of a check of one.
"""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class ReviewStage(enum.Enum):
    OPEN = "open"  # the supervisor checks the sample and writes the assessment
    AWAITING_RESPONSE = "awaiting_response"  # signed by the supervisor; the in-charge responds
    SIGNED = "signed"  # signed by both: read-only


class Assessment(enum.Enum):
    OUTSTANDING = "outstanding"
    GOOD = "good"
    NEEDS_IMPROVEMENT = "needs_improvement"
    UNSATISFACTORY = "unsatisfactory"


class CheckAnswer(enum.Enum):
    NOT_CHECKED = "not_checked"
    YES = "yes"
    NO = "no"


class QuarterlyReview(db.Model):
    __tablename__ = "quarterly_reviews"
    __table_args__ = (
        sa.UniqueConstraint("incharge_id", "quarter_start", name="one_per_quarter"),
        sa.CheckConstraint("stage = 'open' OR (supervisor_signed_by_id IS NOT NULL AND supervisor_signed_at IS NOT NULL "
                           "AND assessment IS NOT NULL AND figures IS NOT NULL)", name="supervisor_signed"),
        sa.CheckConstraint("stage != 'signed' OR (incharge_signed_at IS NOT NULL AND response IS NOT NULL)",
                           name="incharge_signed"),
        sa.CheckConstraint("stage = 'signed' OR incharge_signed_at IS NULL", name="signed_last_by_incharge"),
        sa.Index("ix_quarterly_reviews_scope", "area_path", "quarter_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incharge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The in-charge's first area when the review was opened: scopes it to the supervisors above.
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    quarter_start: Mapped[date]
    stage: Mapped[ReviewStage] = mapped_column(enum_type(ReviewStage, "review_stage"), default=ReviewStage.OPEN)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The spot-check sample is drawn from this seed (random.Random), so it can be drawn again.
    sample_seed: Mapped[int] = mapped_column(sa.BigInteger)
    # None while open (computed on every view); frozen at the supervisor's signature.
    figures: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    assessment: Mapped[Assessment | None] = mapped_column(enum_type(Assessment, "assessment"))
    response: Mapped[str | None] = mapped_column(sa.Text)
    supervisor_signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    supervisor_signed_at: Mapped[datetime | None]
    incharge_signed_at: Mapped[datetime | None]
    # Any change to the review or its checks: so two people editing one review see each other.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    incharge: Mapped[User] = relationship(foreign_keys=[incharge_id], lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    supervisor_signed_by: Mapped[User | None] = relationship(foreign_keys=[supervisor_signed_by_id])
    checks: Mapped[list["SpotCheck"]] = relationship(back_populates="review", order_by="SpotCheck.position")

    @property
    def read_only(self) -> bool:
        return self.stage is ReviewStage.SIGNED


class SpotCheck(db.Model):
    """One case of the sample and what the supervisor found when checking it."""

    __tablename__ = "review_spot_checks"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "case_id", name="case_once"),
        sa.UniqueConstraint("review_id", "position", name="position_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("quarterly_reviews.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    position: Mapped[int]
    # Resolved or closed by the in-charge in the quarter: drawn with a higher weight.
    weighted: Mapped[bool] = mapped_column(default=False)
    reachable: Mapped[CheckAnswer] = mapped_column(enum_type(CheckAnswer, "check_reachable"),
                                                   default=CheckAnswer.NOT_CHECKED)
    received: Mapped[CheckAnswer] = mapped_column(enum_type(CheckAnswer, "check_received"),
                                                  default=CheckAnswer.NOT_CHECKED)
    file_complete: Mapped[CheckAnswer] = mapped_column(enum_type(CheckAnswer, "check_file_complete"),
                                                       default=CheckAnswer.NOT_CHECKED)
    note: Mapped[str | None] = mapped_column(sa.Text)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    checked_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    review: Mapped[QuarterlyReview] = relationship(back_populates="checks")
    case: Mapped[Case] = relationship(lazy="joined")
