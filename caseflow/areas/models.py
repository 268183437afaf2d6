"""Areas (a tree with a materialised path) and offices (posts, not people)."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE, reference_info

# Each ancestor's id, zero padded to this width, concatenated: digits only, so the subtree
# test is a plain range comparison that uses a B-tree index on both databases and in any
# collation (a LIKE prefix would need NOCASE on SQLite and text_pattern_ops on PostgreSQL).
PATH_SEGMENT = 7


class AreaKind(enum.Enum):
    STATE = "state"
    DISTRICT = "district"
    BLOCK = "block"
    URBAN_BODY = "urban_body"
    GRAM_PANCHAYAT = "gram_panchayat"
    WARD = "ward"
    SETTLEMENT = "settlement"


# Which kinds may sit directly under which.
CHILD_KINDS = {
    AreaKind.STATE: {AreaKind.DISTRICT},
    AreaKind.DISTRICT: {AreaKind.BLOCK, AreaKind.URBAN_BODY},
    AreaKind.BLOCK: {AreaKind.GRAM_PANCHAYAT},
    AreaKind.URBAN_BODY: {AreaKind.WARD},
    AreaKind.GRAM_PANCHAYAT: {AreaKind.SETTLEMENT},
    AreaKind.WARD: {AreaKind.SETTLEMENT},
    AreaKind.SETTLEMENT: set(),
}


def path_segment(area_id: int) -> str:
    return str(area_id).zfill(PATH_SEGMENT)


def path_ids(path: str) -> list[int]:
    return [int(path[i : i + PATH_SEGMENT]) for i in range(0, len(path), PATH_SEGMENT)]


def subtree_bounds(path: str) -> tuple[str, str]:
    """Half-open range [lo, hi) holding `path` and every path below it."""
    return path, str(int(path) + 1).zfill(len(path))


class Area(db.Model):
    __tablename__ = "areas"
    __table_args__ = (
        sa.CheckConstraint("(parent_id IS NULL) = (kind = 'state')", name="root_is_state"),
        sa.CheckConstraint("kind != 'district' OR code IS NOT NULL", name="district_has_code"),
        sa.UniqueConstraint("parent_id", "name_en"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    kind: Mapped[AreaKind] = mapped_column(enum_type(AreaKind, "area_kind"))
    code: Mapped[str | None] = mapped_column(sa.String(12), unique=True, info=reference_info(_l("District code")))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_hi: Mapped[str] = mapped_column(sa.String(120))
    path: Mapped[str] = mapped_column(sa.String(64), index=True, default="", info=MACHINE)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Area | None"] = relationship(remote_side=[id], lazy="joined", innerjoin=False)

    def name(self, locale: str) -> str:
        return self.name_hi if locale == "hi" else self.name_en

    @property
    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)

    @property
    def district_id(self) -> int | None:
        ids = self.ancestor_ids
        return ids[1] if len(ids) > 1 else None

    def __repr__(self) -> str:
        return f"<Area {self.id} {self.kind.value} {self.name_en}>"


class OfficeKind(db.Model):
    """A kind of post ("Panchayat Secretary", "Collector", "Sarpanch"): what ladders name."""

    __tablename__ = "office_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info=reference_info(_l("Code")))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    name_hi: Mapped[str] = mapped_column(sa.String(120))
    # Sarpanch and parshad are elected local heads: bias reports are filed against them.
    elected: Mapped[bool] = mapped_column(default=False)

    def name(self, locale: str) -> str:
        return self.name_hi if locale == "hi" else self.name_en


class Office(db.Model):
    __tablename__ = "offices"
    __table_args__ = (
        sa.UniqueConstraint("area_id", "kind_id"),
        sa.CheckConstraint("language IN ('hi', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("office_kinds.id"), index=True)
    holder_name: Mapped[str | None] = mapped_column(sa.String(120))
    holder_phone: Mapped[str | None] = mapped_column(sa.String(15), info=reference_info(_l("Phone")))
    holder_email: Mapped[str | None] = mapped_column(sa.String(254), info=reference_info(_l("E-mail")))
    address: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(2), default="hi", info=MACHINE)
    holder_since: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")
    kind: Mapped[OfficeKind] = relationship(lazy="joined")

    def title(self, locale: str) -> str:
        return f"{self.kind.name(locale)}, {self.area.name(locale)}"
