"""Audit entries and the chain head.

Each entry's hash covers the previous entry's hash and a canonical JSON form of the entry.
The payload holds ids, actions and status names only, never personal data, so erasing a
person later leaves the chain verifiable.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_object", "object_type", "object_id", "seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    # Position in the chain; assigned under the head lock, so it has no gaps or forks.
    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True, info=MACHINE)
    object_type: Mapped[str | None] = mapped_column(sa.String(40), info=MACHINE)
    object_id: Mapped[str | None] = mapped_column(sa.String(40), info=MACHINE)
    # Scope of the object, for supervisors reading the trail of what lies in their areas.
    area_path: Mapped[str | None] = mapped_column(sa.String(64), info=MACHINE)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info=MACHINE)


class AuditHead(db.Model):
    """One row: the last sequence number and hash. Appending locks it, serialising writers."""

    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH, info=MACHINE)
