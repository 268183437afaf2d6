"""One row per attached file: which case (and event) it belongs to, what it is, who attached it."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE


class EvidenceKind(enum.Enum):
    """What the file was attached to. A checklist item (issue 9) becomes one more kind."""

    CASE = "case"
    FOLLOW_UP = "follow_up"
    DELIVERY = "delivery"


class MediaType(enum.Enum):
    """What is stored: images are re-encoded to JPEG (or PNG when they have transparency)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[self.value]

    @property
    def is_image(self) -> bool:
        return self is not MediaType.PDF


class EvidenceFile(db.Model):
    __tablename__ = "evidence_files"
    __table_args__ = (
        sa.CheckConstraint("(kind = 'case') = (event_id IS NULL)", name="event_matches_kind"),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.Index("ix_evidence_files_case_id", "case_id", "id"),
        sa.Index("ix_evidence_files_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_events.id"), index=True)
    # Copied from the case so the scope check needs no join (cases never move between areas).
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    kind: Mapped[EvidenceKind] = mapped_column(enum_type(EvidenceKind, "evidence_kind"))
    media_type: Mapped[MediaType] = mapped_column(enum_type(MediaType, "evidence_media_type"))
    sha256: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    # A small JPEG for the case page, stored by its own hash (None for a PDF).
    thumb_sha256: Mapped[str | None] = mapped_column(sa.String(64), info=MACHINE)
    caption: Mapped[str | None] = mapped_column(sa.String(300))  # free text: the Aadhaar rule masks it
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship(lazy="joined")

    @property
    def is_image(self) -> bool:
        return self.media_type.is_image
