"""Letters and their place in the per-district dispatch register."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.areas.models import Office
from caseflow.cases.models import Case, CaseEvent
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE, reference_info


class LetterKind(enum.Enum):
    ESCALATION = "escalation"
    REFERRAL = "referral"  # a bias finding referred to a higher authority


class LetterStatus(enum.Enum):
    DRAFTED = "drafted"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    # Drafted to an office the case no longer sits at: kept in the register, never printed
    # in a batch or dispatched.
    SUPERSEDED = "superseded"


class SupersededBecause(enum.Enum):
    """Why a drafted letter no longer applies (fixed vocabulary: it goes into the audit chain)."""

    MOVED_UP = "moved_up"  # the case went on to a higher office
    SENT_BACK = "sent_back"  # a supervisor sent the case down a level
    DECIDED = "decided"  # the case was sanctioned, rejected, resolved or closed


class DispatchMode(enum.Enum):
    HAND = "hand"
    REGISTERED_POST = "registered_post"
    EMAIL = "email"


class Letter(db.Model):
    __tablename__ = "letters"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('drafted', 'superseded') OR (dispatch_mode IS NOT NULL AND dispatched_on IS NOT NULL)",
            name="dispatched_has_mode",
        ),
        sa.CheckConstraint(
            "status != 'acknowledged' OR (ack_inward_number IS NOT NULL AND ack_date IS NOT NULL)",
            name="acknowledged_has_inward",
        ),
        sa.CheckConstraint("(pdf_sha256 IS NULL) = (pdf_path IS NULL)", name="pdf_has_hash"),
        # What was sent is the stored PDF: a letter is rendered at the latest when dispatched.
        sa.CheckConstraint("status IN ('drafted', 'superseded') OR pdf_path IS NOT NULL", name="dispatched_was_rendered"),
        sa.CheckConstraint("(status = 'superseded') = (superseded_at IS NOT NULL AND superseded_because IS NOT NULL)",
                           name="superseded_has_reason"),
        sa.CheckConstraint("ack_date IS NULL OR ack_date >= dispatched_on", name="ack_after_dispatch"),
        sa.CheckConstraint("language IN ('hi', 'en')", name="language"),
        sa.Index("ix_letters_register", "district_id", "status", "created_at"),
        # Today: drafted letters (dispatched_on NULL, by id) and acknowledgements awaited (by
        # dispatch date), per district and across every district.
        sa.Index("ix_letters_district_dispatch", "district_id", "status", "dispatched_on", "id"),
        sa.Index("ix_letters_status_dispatch", "status", "dispatched_on", "id"),
        # What the render workers' finder reads (caseflow.letters.background): small, as letters
        # leave it once rendered.
        sa.Index("ix_letters_unrendered", "id", postgresql_where=sa.text("status = 'drafted' AND pdf_path IS NULL"),
                 sqlite_where=sa.text("status = 'drafted' AND pdf_path IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # district-code/LTR/year/sequence from the district's dispatch register; never reused.
    # Made by caseflow, never typed, so not checked against the Aadhaar rule (see Case.reference).
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True, info=MACHINE)
    kind: Mapped[LetterKind] = mapped_column(enum_type(LetterKind, "letter_kind"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    bias_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bias_reports.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    area_path: Mapped[str] = mapped_column(sa.String(64), index=True, info=MACHINE)
    level: Mapped[int | None]
    # The step that made the letter (an escalation, an appeal): its reason and the level the
    # case came from are what the letter says, read from the record rather than worked out again.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_events.id"))
    # The office one level above the addressee when the letter was drafted (copied in).
    copy_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"))
    addressee_office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    # Snapshots at drafting time: the post's title and who held it.
    addressee_title: Mapped[str] = mapped_column(sa.String(240))
    addressee_holder: Mapped[str | None] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(2), info=MACHINE)
    due_within_days: Mapped[int | None]
    status: Mapped[LetterStatus] = mapped_column(enum_type(LetterStatus, "letter_status"), default=LetterStatus.DRAFTED)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The PDF is rendered once, on first print, and kept: reprints return the same bytes.
    pdf_path: Mapped[str | None] = mapped_column(sa.String(200), info=MACHINE)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64), info=MACHINE)
    rendered_at: Mapped[datetime | None]
    dispatch_mode: Mapped[DispatchMode | None] = mapped_column(enum_type(DispatchMode, "dispatch_mode"))
    dispatched_on: Mapped[date | None]
    dispatch_note: Mapped[str | None] = mapped_column(sa.String(120))
    ack_inward_number: Mapped[str | None] = mapped_column(sa.String(60), info=reference_info(_l("Inward number")))
    ack_date: Mapped[date | None]
    superseded_at: Mapped[datetime | None]
    superseded_because: Mapped[SupersededBecause | None] = mapped_column(
        enum_type(SupersededBecause, "superseded_because"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(lazy="joined")
    addressee_office: Mapped[Office] = relationship(lazy="joined", foreign_keys=[addressee_office_id])
    copy_office: Mapped[Office | None] = relationship(foreign_keys=[copy_office_id])
    event: Mapped[CaseEvent | None] = relationship()
