"""Accounts, passwords (Argon2id), session revocation and login back-off."""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import Area
from caseflow.audit.services import changed_fields, record
from caseflow.auth.models import LoginThrottle, Role, User
from caseflow.db import utcnow
from caseflow.exceptions import Refused
from caseflow.extensions import db

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id
# Verified against when the username is unknown, so timing does not reveal which names exist;
# made on first use, not at import, so every process does not pay for a hash at start-up.
_dummy_hash: str | None = None
MIN_PASSWORD_LENGTH = 10


class AccountError(Refused):
    pass


@dataclass
class LoginResult:
    user: User | None = None
    wait_seconds: int = 0


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    return _hasher.hash(password)


def create_user(*, username: str, display_name: str, password: str, role: Role, areas: list[Area] = (),
                locale: str = "hi", phone: str | None = None, actor) -> User:
    username = username.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(_l("That username is taken."))
    user = User(username=username, display_name=display_name.strip(), password_hash=hash_password(password),
                role=role, locale=locale, phone=phone, areas=list(areas))
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, obj=user, data={"role": role, "area_ids": [a.id for a in user.areas]})
    return user


def update_user(user: User, *, display_name: str, role: Role, areas: list[Area], locale: str, active: bool,
                actor) -> User:
    """Change an account. An administrator cannot lock themselves out: the last way in is their own account."""
    if actor is not None and getattr(actor, "id", actor) == user.id:
        if not active:
            raise AccountError(_l("You cannot disable your own account."))
        if role is not Role.ADMIN and user.role is Role.ADMIN:
            raise AccountError(_l("You cannot remove your own administrator role."))
    scope_changed = role is not user.role or {a.id for a in areas} != {a.id for a in user.areas}
    user.display_name, user.role, user.areas, user.locale = display_name.strip(), role, list(areas), locale
    if user.active and not active or scope_changed:
        # A disabled user, or one whose powers shrank, must sign in again.
        end_sessions(user)
    user.active = active
    fields = changed_fields(user, "display_name", "role", "areas", "locale", "active")
    record("user.disabled" if "active" in fields and not active else "user.enabled" if "active" in fields
           else "user.updated", actor=actor, obj=user, data={"fields": fields, "area_ids": [a.id for a in user.areas]})
    db.session.flush()
    return user


def sign_out(user: User) -> None:
    """Record the sign-out of `user` (the view then ends the session)."""
    record("auth.logout", actor=user, obj=user)
    db.session.flush()


def end_sessions(user: User) -> None:
    user.session_version += 1


def set_password(user: User, new_password: str, *, actor) -> None:
    """A new password (the user's own, or reset by an administrator) ends every session of the account."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    end_sessions(user)
    record("user.password_changed", actor=actor, obj=user)
    db.session.flush()


def set_locale(user: User, locale: str, *, actor) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise AccountError(_l("Unknown language."))
    user.locale = locale
    record("user.locale_changed", actor=actor, obj=user, data={"locale": locale})
    db.session.flush()


def check_password(user: User, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def _throttle_key(kind: str, value: str) -> str:
    # Keyed with the app secret: a plain hash of an IPv4 address or a username is reversible
    # by trying them all.
    secret = current_app.config["SECRET_KEY"].encode()
    return f"{kind}:" + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:64]


def _wait_for(row: LoginThrottle | None) -> int:
    """Back-off, not lock-out: after a few free failures each one doubles the wait, up to a ceiling."""
    if row is None:
        return 0
    free = current_app.config["LOGIN_FREE_FAILURES"]
    if row.failures < free:
        return 0
    delay = min(2 ** (row.failures - free), current_app.config["LOGIN_MAX_DELAY_SECONDS"])
    remaining = (row.last_failure_at + timedelta(seconds=delay) - utcnow()).total_seconds()
    return max(0, int(remaining + 0.999))


def authenticate(username: str, password: str, address: str) -> LoginResult:
    """Check a login. While a key is backing off, the password is not even checked."""
    username = (username or "").strip().lower()
    keys = [_throttle_key("u", username), _throttle_key("a", address or "-")]
    rows = {r.key: r for r in db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(keys)))}
    wait = max(_wait_for(rows.get(k)) for k in keys)
    if wait:
        # Who tried is unknown: the typed name is never recorded, not even when it exists.
        record("auth.login_failed", actor=None, data={"reason": "throttled"})
        return LoginResult(wait_seconds=wait)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        global _dummy_hash
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not a real password")
        check_password(User(password_hash=_dummy_hash), password)
        ok = False
    else:
        ok = check_password(user, password) and user.active
    if ok:
        for key in keys[:1]:
            if key in rows:
                db.session.delete(rows[key])
        record("auth.login", actor=user, obj=user)
        db.session.flush()
        return LoginResult(user=user)
    now = utcnow()
    for key in keys:
        row = rows.get(key) or LoginThrottle(key=key, failures=0)
        row.failures += 1
        row.last_failure_at = now
        db.session.add(row)
    record("auth.login_failed", actor=None, obj=user, data={
        "reason": "no_such_account" if user is None else "account_disabled" if not user.active else "wrong_password"})
    db.session.flush()
    return LoginResult()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so bumping it logs the user out."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def add_area(user: User, area: Area, *, actor) -> User:
    """Widen a user's scope by one area. Sessions continue: their powers grew, none shrank."""
    if area.id not in {a.id for a in user.areas}:
        user.areas = [*user.areas, area]
    record("user.area_added", actor=actor, obj=user, data={"area_id": area.id})
    db.session.flush()
    return user
