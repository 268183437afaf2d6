"""User accounts, their areas, their sessions on the server, and login back-off state."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE, reference_info


class Role(enum.Enum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    INCHARGE = "incharge"


user_areas = sa.Table(
    "user_areas",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("locale IN ('hi', 'en')", name="locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, info=reference_info(_l("Username")))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255), info=MACHINE)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(2), default="hi", info=MACHINE)
    phone: Mapped[str | None] = mapped_column(sa.String(15), info=reference_info(_l("Phone")))
    # Where the reminders go (caseflow.today.digests); none, no e-mail digest.
    email: Mapped[str | None] = mapped_column(sa.String(254), info=reference_info(_l("E-mail address")))
    # The user's own choice on their account page: daily (in-charge) or weekly (supervisor) digests.
    digests: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Unused since sessions live on the server (user_sessions): kept so an app server of the
    # previous version keeps working during an upgrade; a later migration may drop it.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    areas: Mapped[list["Area"]] = relationship(  # noqa: F821
        secondary=user_areas, lazy="selectin", order_by="Area.path"
    )

    # The token of the session this object was loaded for (or just started): what Flask-Login
    # keeps in the signed cookie. Not a column: only its hash is stored, in user_sessions.
    session_token = None

    def get_id(self) -> str:
        return self.session_token or ""

    # UserMixin compares users by get_id(), which is now a session's token: two accounts loaded
    # outside any session would compare equal. The same account is the same row.
    def __eq__(self, other) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return object.__hash__(self)

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR

    @property
    def is_incharge(self) -> bool:
        return self.role is Role.INCHARGE

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(db.Model):
    """One signed-in device. The cookie carries a random token; only its SHA-256 is stored, so a
    copy of this table does not let anyone in. Deleting the row ends the session on the server,
    whatever copies of the cookie exist (see caseflow.auth.services)."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True, info=MACHINE)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(db.Model):
    """Failed password checks per (account, address) pair and per address, keyed by a keyed hash.

    Only a hash of the username and address is kept, so the table holds no personal data.
    `throttled` counts the attempts refused while the key was waiting; they are audited as one
    summary entry, not one entry each (see caseflow.auth.services).
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True, info=MACHINE)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    throttled: Mapped[int] = mapped_column(default=0)
