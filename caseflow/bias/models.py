"""Bias reports, the complainant's identity (stored apart), reveals and the review timeline.

The report itself never holds the complainant's identity: that lives in
`bias_complainants`, read only through the reveal service, which logs every view.
"""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.areas.models import Office
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class AccusedRole(enum.Enum):
    SARPANCH = "sarpanch"
    PARSHAD = "parshad"
    PANCHAYAT_SECRETARY = "panchayat_secretary"
    OTHER = "other"


ELECTED_ROLES = (AccusedRole.SARPANCH, AccusedRole.PARSHAD)


class BiasKind(enum.Enum):
    POLITICAL = "political"  # "you did not vote for me"
    CASTE = "caste"
    RELIGION = "religion"
    BRIBE = "bribe"
    OTHER = "other"


class ReviewStatus(enum.Enum):
    FILED = "filed"
    IN_REVIEW = "in_review"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONCLUDED = "concluded"


class Finding(enum.Enum):
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    REFERRED = "referred"


OPEN_REVIEW = (ReviewStatus.FILED, ReviewStatus.IN_REVIEW, ReviewStatus.AWAITING_CONFIRMATION)


class BiasReport(db.Model):
    __tablename__ = "bias_reports"
    __table_args__ = (
        sa.CheckConstraint("status != 'concluded' OR finding IS NOT NULL", name="concluded_has_finding"),
        # Spelled with IS NOT NULL: a bare comparison with NULL would let the row through.
        sa.CheckConstraint(
            "status != 'awaiting_confirmation' OR (finding IS NOT NULL AND finding = 'substantiated')",
            name="awaiting_is_substantiated",
        ),
        sa.CheckConstraint(
            "finding IS NULL OR (finding_reasons IS NOT NULL AND finding_by_id IS NOT NULL AND finding_at IS NOT NULL)",
            name="finding_has_reasons",
        ),
        sa.CheckConstraint(
            "confirmed_by_id IS NULL OR (finding_by_id IS NOT NULL AND confirmed_by_id != finding_by_id)",
            name="confirmer_is_second_supervisor",
        ),
        sa.CheckConstraint("(confirmed_by_id IS NULL) = (confirmed_at IS NULL)", name="confirmed_at"),
        # A substantiated finding against an elected head is final only once a second supervisor confirmed it.
        sa.CheckConstraint(
            "status != 'concluded' OR finding != 'substantiated' OR accused_role NOT IN ('sarpanch', 'parshad') "
            "OR confirmed_by_id IS NOT NULL",
            name="elected_finding_confirmed",
        ),
        sa.CheckConstraint("status != 'filed' OR reviewer_id IS NULL", name="filed_has_no_reviewer"),
        sa.CheckConstraint("status = 'filed' OR reviewer_id IS NOT NULL", name="reviewed_has_reviewer"),
        sa.CheckConstraint("status NOT IN ('filed', 'in_review') OR finding IS NULL", name="open_has_no_finding"),
        sa.CheckConstraint("(status = 'concluded') = (concluded_at IS NOT NULL)", name="concluded_at"),
        sa.Index("ix_bias_reports_scope", "area_path", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    accused_role: Mapped[AccusedRole] = mapped_column(enum_type(AccusedRole, "accused_role"))
    accused_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    # Snapshot: holders change, the report keeps who held the post at the time.
    accused_holder_name: Mapped[str | None] = mapped_column(sa.String(120))
    kind: Mapped[BiasKind] = mapped_column(enum_type(BiasKind, "bias_kind"))
    incident_date: Mapped[date]
    account: Mapped[str] = mapped_column(sa.Text)
    evidence_notes: Mapped[str | None] = mapped_column(sa.Text)
    witnesses: Mapped[str | None] = mapped_column(sa.Text)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ReviewStatus] = mapped_column(enum_type(ReviewStatus, "review_status"), default=ReviewStatus.FILED)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finding: Mapped[Finding | None] = mapped_column(enum_type(Finding, "finding"))
    finding_reasons: Mapped[str | None] = mapped_column(sa.Text)
    finding_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finding_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    concluded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(lazy="joined")
    accused_office: Mapped[Office | None] = relationship(lazy="joined")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id], lazy="joined")
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    finding_by: Mapped[User | None] = relationship(foreign_keys=[finding_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def blocks_routing(self) -> bool:
        """Escalation must not route the case to the accused while this holds."""
        return self.status in OPEN_REVIEW or self.finding in (Finding.SUBSTANTIATED, Finding.REFERRED)


class BiasComplainant(db.Model):
    """Who complained. Stored apart from the report; read only through a logged reveal."""

    __tablename__ = "bias_complainants"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("bias_reports.id", ondelete="CASCADE"), unique=True)
    __table_args__ = (sa.CheckConstraint("is_beneficiary OR name IS NOT NULL", name="someone_else_is_named"),)

    is_beneficiary: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    contact: Mapped[str | None] = mapped_column(sa.String(120))
    relation_to_beneficiary: Mapped[str | None] = mapped_column(sa.String(120))
    consent_to_be_named: Mapped[bool] = mapped_column(default=False)
    protection_concern: Mapped[str | None] = mapped_column(sa.Text)


class IdentityReveal(db.Model):
    """Every time a supervisor looked at a complainant's identity, and why."""

    __tablename__ = "bias_identity_reveals"
    __table_args__ = (sa.CheckConstraint("reason != ''", name="reason_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("bias_reports.id", ondelete="CASCADE"), index=True)
    viewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text)

    viewer: Mapped[User] = relationship(lazy="joined")


class BiasEvent(db.Model):
    """The review timeline of a report (append-only)."""

    __tablename__ = "bias_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("bias_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trigger: Mapped[str] = mapped_column(sa.String(30), info=MACHINE)
    from_status: Mapped[ReviewStatus | None] = mapped_column(enum_type(ReviewStatus, "bias_event_from"))
    to_status: Mapped[ReviewStatus | None] = mapped_column(enum_type(ReviewStatus, "bias_event_to"))
    # The finding recorded by this step (record_finding), so the timeline keeps it after a reopen.
    finding: Mapped[Finding | None] = mapped_column(enum_type(Finding, "bias_event_finding"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    actor: Mapped[User | None] = relationship(lazy="joined")
