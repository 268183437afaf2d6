"""Holidays that do not count towards a level's time limit."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.extensions import db


class Holiday(db.Model):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_hi: Mapped[str] = mapped_column(sa.String(120))

    def name(self, locale: str) -> str:
        return self.name_hi if locale == "hi" else self.name_en
