"""The case and its append-only timeline of events."""
import enum
import re
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.areas.models import Area, Office
from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.schemes.models import Scheme
from caseflow.textguard import MACHINE, reference_info


class CaseStatus(enum.Enum):
    # A plain Enum: transitions before 0.9.4 mishandles StrEnum states.
    IDENTIFIED = "identified"
    DOCUMENTED = "documented"
    SUBMITTED = "submitted"
    ESCALATED = "escalated"
    SANCTIONED = "sanctioned"
    REJECTED = "rejected"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (
    CaseStatus.IDENTIFIED,
    CaseStatus.DOCUMENTED,
    CaseStatus.SUBMITTED,
    CaseStatus.ESCALATED,
    CaseStatus.SANCTIONED,
    CaseStatus.REJECTED,
)
# Statuses in which an office is sitting on the case and the clock runs.
WAITING_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ESCALATED)


class CloseReason(enum.Enum):
    INELIGIBLE = "ineligible"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    UNREACHABLE = "unreachable"
    DECEASED = "deceased"
    MOVED = "moved"


class Channel(enum.Enum):
    VISIT = "visit"
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"


class Attention(enum.Enum):
    """Why a waiting case needs a supervisor: set by the sweep, cleared when the case moves."""

    STALLED_AT_TOP = "stalled_at_top"
    NEEDS_CONFIGURATION = "needs_configuration"


class EventKind(enum.Enum):
    CREATED = "created"
    TRANSITION = "transition"
    FOLLOW_UP = "follow_up"
    ASSIGNMENT = "assignment"
    LETTER = "letter"
    SENT_BACK = "sent_back"
    ATTENTION = "attention"


def _in(statuses) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in statuses) + ")"


_APPLIED = (
    CaseStatus.SUBMITTED,
    CaseStatus.ESCALATED,
    CaseStatus.SANCTIONED,
    CaseStatus.REJECTED,
    CaseStatus.RESOLVED,
)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(
            f"status NOT IN {_in(_APPLIED)} OR "
            "(application_ref IS NOT NULL AND application_date IS NOT NULL AND level >= 1)",
            name="applied_has_application",
        ),
        sa.CheckConstraint(
            f"status NOT IN {_in((CaseStatus.IDENTIFIED, CaseStatus.DOCUMENTED))} OR level = 0",
            name="unsubmitted_level_zero",
        ),
        sa.CheckConstraint(f"status NOT IN {_in(WAITING_STATUSES)} OR due_date IS NOT NULL", name="waiting_has_due_date"),
        sa.CheckConstraint("(status = 'closed') = (close_reason IS NOT NULL)", name="closed_has_reason"),
        sa.CheckConstraint(
            "status NOT IN ('sanctioned', 'resolved') OR sanction_ref IS NOT NULL", name="sanctioned_has_order"
        ),
        sa.CheckConstraint("status != 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"),
        sa.CheckConstraint(
            "status != 'resolved' OR (proof_of_delivery IS NOT NULL AND delivered_on IS NOT NULL "
            "AND (beneficiary_confirmed OR confirmation_override_reason IS NOT NULL))",
            name="resolved_has_proof",
        ),
        sa.CheckConstraint("(status IN ('resolved', 'closed')) = (ended_at IS NOT NULL)", name="ended_at"),
        sa.CheckConstraint("level >= 0", name="level_not_negative"),
        sa.CheckConstraint("(attention IS NULL) = (attention_since IS NULL)", name="attention_since"),
        # The queue. A district-wide scope is an equality on district_id, so the index gives
        # the due-date order and a page is read straight off it; smaller scopes use the
        # area_path range (few cases), state-wide scopes the plain (due_date, id) order.
        # status rides along so the open/closed filter needs no table look-up.
        sa.Index("ix_cases_district_due", "district_id", "due_date", "id", "status"),
        sa.Index("ix_cases_due_date_id", "due_date", "id", "status"),
        # Counts per status of a district, read off a narrow index in group order.
        sa.Index("ix_cases_district_status", "district_id", "status"),
        sa.Index("ix_cases_queue", "area_path", "status", "due_date", "id"),
        sa.Index("ix_cases_due", "status", "due_date"),
        sa.Index("ix_cases_beneficiary_scheme", "beneficiary_id", "scheme_id"),
        # Today's "waiting for confirmation of delivery": sanctioned cases, oldest sanction first.
        sa.Index("ix_cases_district_sanction", "district_id", "status", "sanction_date", "id"),
        sa.Index("ix_cases_status_sanction", "status", "sanction_date", "id"),
        # Today's "dates officials promised": only cases with a standing promise are in it.
        sa.Index("ix_cases_promised", "promised_date", "district_id", "status", "id",
                 postgresql_where=sa.text("promised_date IS NOT NULL"),
                 sqlite_where=sa.text("promised_date IS NOT NULL")),
        # Search (caseflow.cases.search): the reference's number alone, and the government's
        # numbers as letters and digits only, each one index look-up.
        sa.Index("ix_cases_ref_seq", "ref_seq"),
        sa.Index("ix_cases_application_key", "application_key"),
        sa.Index("ix_cases_grievance_key", "grievance_key"),
        # The impact summary: resolved cases of an area delivered in a period, grouped by scheme,
        # answered from the index alone (every column it reads is in it).
        sa.Index("ix_cases_delivered", "status", "area_path", "delivered_on", "scheme_id", "beneficiary_id",
                 "area_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made by caseflow (district code/year/sequence), never typed: "D23/2026/000001" has twelve
    # digits and passes the Aadhaar check one time in ten, yet holds nobody's number.
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True, info=MACHINE)
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"))
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("schemes.id"), index=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    # Copied from the settlement so scoping needs no join (areas never move under cases).
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, "case_status"), default=CaseStatus.IDENTIFIED)
    level: Mapped[int] = mapped_column(default=0)
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_date: Mapped[date | None]
    # The date an official promised in the latest follow-up, while it stands: set by a follow-up
    # with a promise on a waiting case, cleared by a follow-up without one and by every step
    # (caseflow.cases.services). Read by Today; the event keeps the history.
    promised_date: Mapped[date | None]
    verified_at: Mapped[datetime | None]
    application_ref: Mapped[str | None] = mapped_column(sa.String(60), info=reference_info(_l("Application reference")))
    application_date: Mapped[date | None]
    grievance_ref: Mapped[str | None] = mapped_column(sa.String(60), info=reference_info(_l("CM Helpline / CPGRAMS number")))
    sanction_ref: Mapped[str | None] = mapped_column(sa.String(60), info=reference_info(_l("Sanction order number")))
    sanction_date: Mapped[date | None]
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    proof_of_delivery: Mapped[str | None] = mapped_column(sa.String(200))
    delivered_on: Mapped[date | None]
    beneficiary_confirmed: Mapped[bool] = mapped_column(default=False)
    confirmation_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_type(CloseReason, "close_reason"))
    ended_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    attention: Mapped[Attention | None] = mapped_column(enum_type(Attention, "attention"))
    attention_since: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)
    # Search keys, derived from the columns above on every ORM write (the events below):
    # the sequence of the reference ("DVG/2026/000092" -> 92), and application_ref and
    # grievance_ref as letters and digits only, upper case (search_key).
    ref_seq: Mapped[int | None] = mapped_column(info=MACHINE)
    application_key: Mapped[str | None] = mapped_column(sa.String(60), info=MACHINE)
    grievance_key: Mapped[str | None] = mapped_column(sa.String(60), info=MACHINE)

    __mapper_args__ = {"version_id_col": version}

    beneficiary: Mapped[Beneficiary] = relationship(lazy="joined", back_populates="cases")
    scheme: Mapped[Scheme] = relationship(lazy="joined")
    area: Mapped[Area] = relationship(lazy="joined", foreign_keys=[area_id])
    office: Mapped[Office | None] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    def days_left(self, on: date) -> int | None:
        if self.due_date is None or self.status not in WAITING_STATUSES:
            return None
        return (self.due_date - on).days

    def is_overdue(self, on: date) -> bool:
        left = self.days_left(on)
        return left is not None and left < 0



_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def search_key(text: str | None) -> str | None:
    """A government number as search compares it: ASCII letters and digits, upper case
    ("cmh/2026 - 0012345" -> "CMH20260012345"). Migration 5ea4c4b10012 computes the same on
    PostgreSQL as upper(regexp_replace(x, '[^A-Za-z0-9]', '', 'g'))."""
    if not text:
        return None
    return _NOT_ALNUM.sub("", text).upper()[:60] or None


def reference_sequence(reference: str | None) -> int | None:
    """The number at the end of a case reference: 'DVG/2026/000092' -> 92."""
    tail = (reference or "").rpartition("/")[2]
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) <= 9 else None


@sa.event.listens_for(Case, "before_insert")
@sa.event.listens_for(Case, "before_update")
def _keep_search_keys(_mapper, _connection, case: Case) -> None:
    # Cheap enough to run on every ORM write; the sweep's set-based UPDATEs (services.write_cases)
    # change machine values only, never the reference or the government's numbers.
    case.ref_seq = reference_sequence(case.reference)
    case.application_key = search_key(case.application_ref)
    case.grievance_key = search_key(case.grievance_ref)


def overdue(on: date) -> sa.ColumnElement[bool]:
    """Waiting on an office past its due date as of `on`: the one definition the queue's filter,
    the sweep and the metrics count by (a range of ix_cases_due (status, due_date))."""
    return sa.and_(Case.status.in_(WAITING_STATUSES), Case.due_date < on)

class CaseEvent(db.Model):
    """One line of a case's timeline. Rows are only ever inserted."""

    __tablename__ = "case_events"
    __table_args__ = (
        sa.CheckConstraint(
            "kind != 'transition' OR (from_status IS NOT NULL AND to_status IS NOT NULL AND trigger IS NOT NULL)",
            name="transition_has_states",
        ),
        sa.CheckConstraint("kind != 'follow_up' OR channel IS NOT NULL", name="follow_up_has_channel"),
        sa.Index("ix_case_events_case_id_at", "case_id", "at"),
        # An in-charge's events in a period (the quarterly review): one index range per person, and
        # covering, so counting them by kind and step reads no table row.
        sa.Index("ix_case_events_actor_at", "actor_id", "at", "kind", "trigger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trigger: Mapped[str | None] = mapped_column(sa.String(20), info=MACHINE)
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus, "event_from_status"))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus, "event_to_status"))
    level: Mapped[int | None]
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"))
    channel: Mapped[Channel | None] = mapped_column(enum_type(Channel, "channel"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    promised_date: Mapped[date | None]
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship(lazy="joined")


class CaseCountDelta(db.Model):
    """+1/-1 per case entering or leaving a (district, scheme, status), written by triggers on
    `cases` (migration c0c0a7e50009), never by the application: see caseflow.cases.counts."""

    __tablename__ = "case_count_deltas"
    __table_args__ = (sa.Index("ix_case_count_deltas_district", "district_id", "status", "n"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    district_id: Mapped[int]
    scheme_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(14))
    n: Mapped[int]

