"""The calendar of time limits: holidays, and each state's weekly offs, which do not count."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.extensions import db
from caseflow.textguard import MACHINE


class Holiday(db.Model):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_hi: Mapped[str] = mapped_column(sa.String(120))

    def name(self, locale: str) -> str:
        return self.name_hi if locale == "hi" else self.name_en


class WorkWeek(db.Model):
    """Which days a state's offices do not work, every week and on some Saturdays of the month.

    A state without a row keeps the default (Saturday and Sunday off); holidays come on top.
    Days are stored as comma-separated numbers so the row reads the way an order is written:
    weekdays Monday=0 … Sunday=6, Saturdays by their place in the month (1–5).
    """

    __tablename__ = "work_weeks"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), unique=True)
    weekly_offs: Mapped[str] = mapped_column(sa.String(13), default="5,6", info=MACHINE)
    saturdays_off: Mapped[str] = mapped_column(sa.String(9), default="", info=MACHINE)
