"""The log of digests sent: one row per (user, kind, period), claimed before the e-mail goes.

The unique key is what makes a second run (or two at once) skip a digest already sent or being
sent; a failed send deletes its claim, so the next run tries again.
"""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import utcnow
from caseflow.extensions import db


class DigestKind(enum.Enum):
    DAILY = "daily"  # an in-charge's Today, every day
    WEEKLY = "weekly"  # a supervisor's stalled and overdue cases, once an ISO week


class DigestSend(db.Model):
    __tablename__ = "digest_sends"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "period"),
        sa.CheckConstraint("kind IN ('daily', 'weekly')", name="kind"),
        sa.CheckConstraint("state IN ('sending', 'sent')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    # The day (daily) or the Monday of the ISO week (weekly) the digest is for.
    period: Mapped[date]
    # "sending" from the claim until the SMTP server accepted the message, then "sent".
    state: Mapped[str] = mapped_column(sa.String(10))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
