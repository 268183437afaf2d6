"""User accounts, their areas, and login throttling state."""
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
    locale: Mapped[str] = mapped_column(sa.String(2), default="hi")
    # Part of the session identifier: bumping it ends every session of this user.
    session_version: Mapped[int] = mapped_column(default=1)
    phone: Mapped[str | None] = mapped_column(sa.String(15), info=reference_info(_l("Phone")))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    areas: Mapped[list["Area"]] = relationship(  # noqa: F821
        secondary=user_areas, lazy="selectin", order_by="Area.path"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

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


class LoginThrottle(db.Model):
    """Failed-login counters per account and per client address, keyed by a hash.

    Only a hash of the username or address is kept, so the table holds no personal data.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
