"""Schemes and ladder levels: data an administrator edits, never code."""
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import labels
from caseflow.areas.models import OfficeKind
from caseflow.db import enum_type
from caseflow.extensions import db
from caseflow.textguard import reference_info


class BenefitUnit(enum.Enum):
    """What a scheme's benefit value is per: paid once, every month, every year."""

    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    YEARLY = "yearly"

    @property
    def label(self):
        return labels.BENEFIT_UNIT[self]


class Scheme(db.Model):
    __tablename__ = "schemes"
    __table_args__ = (
        sa.CheckConstraint("(benefit_value IS NULL) = (benefit_unit IS NULL)", name="benefit_value_unit"),
        sa.CheckConstraint("benefit_value IS NULL OR benefit_value > 0", name="benefit_value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, info=reference_info(_l("Code")))
    name_en: Mapped[str] = mapped_column(sa.String(160))
    name_hi: Mapped[str] = mapped_column(sa.String(160))
    department: Mapped[str] = mapped_column(sa.String(160))
    proof_of_delivery: Mapped[str] = mapped_column(sa.Text)
    documents_required: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # An administrator's choice: recording delivery needs a proof file (photo or PDF) attached.
    proof_file_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # What one household receives, in whole rupees, and per what (the impact summary multiplies
    # it by the households served); both empty for a scheme with no single amount (a gas connection).
    benefit_value: Mapped[int | None]
    benefit_unit: Mapped[BenefitUnit | None] = mapped_column(enum_type(BenefitUnit, "benefit_unit"))

    levels: Mapped[list["LadderLevel"]] = relationship(
        back_populates="scheme",
        order_by="LadderLevel.level",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def name(self, locale: str) -> str:
        return self.name_hi if locale == "hi" else self.name_en

    @property
    def documents(self) -> list[str]:
        return [d.strip() for d in self.documents_required.splitlines() if d.strip()]

    def level(self, number: int) -> "LadderLevel | None":
        return next((lv for lv in self.levels if lv.level == number), None)

    @property
    def top_level(self) -> int:
        return max((lv.level for lv in self.levels), default=0)


class LadderLevel(db.Model):
    __tablename__ = "ladder_levels"
    __table_args__ = (
        sa.UniqueConstraint("scheme_id", "level"),
        sa.CheckConstraint("level >= 1", name="level_positive"),
        sa.CheckConstraint("time_limit_days BETWEEN 1 AND 365", name="time_limit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("schemes.id", ondelete="CASCADE"))
    level: Mapped[int]
    office_kind_id: Mapped[int] = mapped_column(sa.ForeignKey("office_kinds.id"), index=True)
    time_limit_days: Mapped[int]

    scheme: Mapped[Scheme] = relationship(back_populates="levels")
    office_kind: Mapped[OfficeKind] = relationship(lazy="joined")
