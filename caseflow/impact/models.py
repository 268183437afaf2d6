"""Consent to publicity and the stories it allows.

Consent to publicity is a separate record from the lawful basis on the beneficiary (the consent
to *hold* their data): someone may agree to be helped and still not want to be named in public.
One row per grant; withdrawing fills `withdrawn_at` on the standing row, and a later grant is a
new row, so the history of who agreed to what, and when, is kept. At most one row stands per
beneficiary (a partial unique index). A story is shown only while its beneficiary's consent stands.
"""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import labels
from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases.models import Case
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class ConsentForm(enum.Enum):
    """How the consent to publicity was given."""

    WRITTEN = "written"
    ORAL = "oral"
    THUMB_IMPRESSION = "thumb_impression"

    @property
    def label(self):
        return labels.CONSENT_FORM[self]


class PeriodKind(enum.Enum):
    """The periods a summary covers (caseflow.impact.periods)."""

    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial_year"
    CUSTOM = "custom"

    @property
    def label(self):
        return labels.PERIOD_KIND[self]


class OutputFormat(enum.Enum):
    """What a generation of the summary produced (the audit entry says which)."""

    PNG = "png"
    PDF = "pdf"

    @property
    def label(self):
        return labels.OUTPUT_FORMAT[self]


class PublicityConsent(db.Model):
    __tablename__ = "publicity_consents"
    __table_args__ = (
        sa.CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)", name="withdrawn_by"),
        # One standing consent per beneficiary; withdrawn ones are history.
        sa.Index("ix_publicity_consents_standing", "beneficiary_id", unique=True,
                 sqlite_where=sa.text("withdrawn_at IS NULL"), postgresql_where=sa.text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"), index=True)
    area_path: Mapped[str] = mapped_column(sa.String(64), index=True, info=MACHINE)
    given_as: Mapped[ConsentForm] = mapped_column(enum_type(ConsentForm, "consent_form"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    beneficiary: Mapped[Beneficiary] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id], lazy="joined")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="joined")


class Story(db.Model):
    """A few sentences staff wrote about a case, for the public outputs while consent stands."""

    __tablename__ = "impact_stories"
    __table_args__ = (sa.Index("ix_impact_stories_area", "area_path", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"), index=True)
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    text: Mapped[str] = mapped_column(sa.Text)
    written_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    retracted_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined")
    written_by: Mapped[User] = relationship(lazy="joined")
