"""Accounts, passwords (Argon2id), sessions on the server and password back-off."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from caseflow.areas.models import Area
from caseflow.audit.services import changed_fields, record
from caseflow.auth.models import LoginThrottle, Role, User, UserSession, user_areas
from caseflow.db import read_only_transaction, utcnow
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.marks import cacheable, database_key, marks

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
    token: str | None = None  # of the session started for `user`
    wait_seconds: int = 0


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    return _hasher.hash(password)


def create_user(*, username: str, display_name: str, password: str, role: Role, areas: list[Area] = (),
                locale: str = "hi", phone: str | None = None, email: str | None = None, actor) -> User:
    username = username.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(_l("That username is taken."))
    user = User(username=username, display_name=display_name.strip(), password_hash=hash_password(password),
                role=role, locale=locale, phone=phone, email=email, areas=list(areas))
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, obj=user, data={"role": role, "area_ids": [a.id for a in user.areas]})
    return user


_UNCHANGED = object()


def update_user(user: User, *, display_name: str, role: Role, areas: list[Area], locale: str, active: bool,
                actor, email=_UNCHANGED) -> User:
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
    if email is not _UNCHANGED:
        user.email = email
    fields = changed_fields(user, "display_name", "role", "areas", "locale", "active", "email")
    record("user.disabled" if "active" in fields and not active else "user.enabled" if "active" in fields
           else "user.updated", actor=actor, obj=user, data={"fields": fields, "area_ids": [a.id for a in user.areas]})
    db.session.flush()
    return user


def sign_out(user: User, token: str | None) -> None:
    """End this device's session on the server: the cookie, and every copy of it, stops working."""
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _token_hash(token)))
    record("auth.logout", actor=user, obj=user)
    db.session.flush()


def end_sessions(user: User) -> None:
    """End every session of `user`, on every device. A view that did this to the signed-in user's
    own account starts a fresh session for the device that asked (`start_session`)."""
    # Without flushing first: the caller reads the account's unflushed changes for its audit entry.
    with db.session.no_autoflush:
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id)
                           .execution_options(synchronize_session=False))


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


def set_reminders(user: User, *, email: str | None, digests: bool, actor) -> None:
    """The user's own reminder settings: where digests go and whether they want them."""
    user.email, user.digests = email, digests
    fields = changed_fields(user, "email", "digests")
    db.session.flush()
    record("user.reminders_changed", actor=actor, obj=user, data={"fields": fields, "digests": digests})


def check_password(user: User, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


# --- sessions on the server --------------------------------------------------------------------
#
# Flask's session cookie is signed, not stored: on its own, "signing out" only asks the browser
# to forget it, and a copy keeps working. So each sign-in makes a row in user_sessions, keyed by
# the SHA-256 of a random token the cookie carries (Flask-Login's user id), and every request
# loads the user through that row. Deleting the row ends the session wherever the cookie went.
# - logout: this device's row;
# - a new password (own or reset), disabling, a smaller role or fewer areas: every row of the
#   account. When users change their own password (or an administrator edits their own
#   account), the device that asked gets a fresh token: the old cookie, and any copy, is dead.


def _token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash cannot be reversed by trying them.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new session of `user` on one device; returns the token for its cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                               expires_at=_expiry(now, now)))
    user.session_token = token
    db.session.flush()
    return token


def _expiry(created_at: datetime, seen_at: datetime) -> datetime:
    config = current_app.config
    return min(seen_at + timedelta(seconds=config["SESSION_IDLE_SECONDS"]),
               created_at + timedelta(seconds=config["SESSION_MAX_AGE_SECONDS"]))


def session_exists(token: str | None) -> bool:
    return bool(token) and db.session.scalar(
        sa.select(UserSession.token_hash).where(UserSession.token_hash == _token_hash(token))) is not None


def load_session_user(token: str) -> User | None:
    """Flask-Login's loader: the user of a live session, in one query (the session row joined to
    its active user), or None, which signs the request out.

    The session's last use is written at most every SESSION_TOUCH_SECONDS, so most requests
    write nothing. A GET commits that small write at once (its own transaction holds nothing
    else yet); another request commits it with its own work, or drops it if it fails.
    """
    if not token or len(token) > 100:
        return None
    now = utcnow()
    row = db.session.execute(
        sa.select(User, UserSession.created_at, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _token_hash(token), UserSession.expires_at > now, User.active.is_(True))
        .options(orm.lazyload(User.areas))
    ).first()
    if row is None:
        return None
    user, created_at, last_seen_at = row
    user.session_token = token
    if "areas" not in sa.inspect(user).dict:  # not already loaded in this session (a test's, a CLI's)
        orm.attributes.set_committed_value(user, "areas", _user_areas(user.id))
    if (now - last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]:
        _touch(token, created_at, now)
    return user


# A user's areas, per worker: read on every request, changed by an administrator now and then.
# An entry holds the areas' column values (not objects of a closed session) and is used while
# the 'areas' and 'scopes' change marks (caseflow.marks) are those it was read under.
_AREA_COLUMNS = ("id", "parent_id", "kind", "code", "name_en", "name_hi", "path", "active")
_areas_of_user: dict[tuple, list[dict]] = {}


def _user_areas(user_id: int) -> list[Area]:
    current = marks()
    key = (database_key(), user_id, current.get("areas"), current.get("scopes"))
    values = _areas_of_user.get(key)
    if values is None:
        areas = db.session.scalars(sa.select(Area).join(user_areas, user_areas.c.area_id == Area.id)
                                   .where(user_areas.c.user_id == user_id).order_by(Area.path)).all()
        if cacheable("areas", "scopes"):
            if len(_areas_of_user) >= 10_000:  # marks only move forward: old entries are dead weight
                _areas_of_user.clear()
            _areas_of_user[key] = [{name: getattr(area, name) for name in _AREA_COLUMNS} for area in areas]
        return list(areas)
    return [_attached(Area, fields) for fields in values]


def _attached(model, fields: dict):
    """An object of this session with these column values, without a query (the identity map's
    own object when it holds one)."""
    existing = db.session.identity_map.get(db.session.identity_key(model, fields["id"]))
    if existing is not None:
        return existing
    obj = model(**fields)
    orm.make_transient_to_detached(obj)
    return db.session.merge(obj, load=False)


def _touch(token: str, created_at: datetime, now: datetime) -> None:
    db.session.execute(sa.update(UserSession).where(UserSession.token_hash == _token_hash(token))
                       .values(last_seen_at=now, expires_at=_expiry(created_at, now)))
    if not read_only_transaction.get():
        return
    try:
        db.session.commit()
    except OperationalError:
        # SQLite: a reader's transaction could not become a writer (another one wrote meanwhile).
        # The next request tries again; the session is valid either way.
        db.session.rollback()


def prune_expired_sessions() -> int:
    """Delete the rows of sessions that have expired (run at each sign-in; indexed on expires_at)."""
    return db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= utcnow())).rowcount or 0


# --- password back-off ---------------------------------------------------------------------------
#
# Two layers, each where it fits:
# - Flask-Limiter (caseflow/__init__.py) caps requests per client address to POST /login and
#   POST /account/password, before any database work: a flood costs a counter in its storage
#   (memory, or Redis shared by every worker), not a database write.
# - These DB-backed counters (login_throttles) make each wrong password cost a doubling wait.
#   They are per account, which no per-address request counter can be, and they live in the
#   database every worker and server already shares, so they hold across restarts too.
#
# Keys, so that nobody can be locked out from elsewhere:
# - pair (account, address): LOGIN_FREE_FAILURES wrong passwords, then the wait doubles up to
#   LOGIN_MAX_DELAY_SECONDS. An attacker at address A slows only guesses at X from A; the owner
#   of X at address B signs in.
# - address, across accounts: LOGIN_ADDRESS_FREE_FAILURES (more, since an office's NAT shares
#   an address), then the same doubling: one address cannot try many accounts quickly.
# - no per-account counter across all addresses: whoever knows a username could keep that
#   account waiting for ever with one wrong password per window. Guessing from many addresses
#   is bounded per address, by Argon2id and by the minimum password length.
# A key quiet for LOGIN_FORGET_SECONDS starts again from zero; a right password clears its
# pair (never the address key: signing in to one's own account must not reset guessing at others).
# While a key waits, the password is not checked and nothing is audited: the attempt is counted
# on the key (`throttled`), and one `auth.throttled` entry with the count is written by the next
# attempt that is checked from that key (or when the key is pruned). So a flood of throttled
# attempts never takes the audit head's lock.


def _throttle_key(kind: str, *parts: str) -> str:
    # Keyed with the app secret: a plain hash of an IPv4 address or a username is reversible
    # by trying them all.
    secret = current_app.config["SECRET_KEY"].encode()
    return f"{kind}:" + hmac.new(secret, "\0".join(parts).encode(), hashlib.sha256).hexdigest()[:64]


def _keys(account: str, address: str) -> dict[str, str]:
    return {"pair": _throttle_key("p", account, address), "address": _throttle_key("a", address)}


def _wait_for(row: sa.Row | None, free: int, now: datetime) -> int:
    """Back-off, not lock-out: after a few free failures each one doubles the wait, up to a ceiling."""
    config = current_app.config
    if row is None or (now - row.last_failure_at).total_seconds() >= config["LOGIN_FORGET_SECONDS"]:
        return 0
    if row.failures < free:
        return 0
    delay = min(2 ** min(row.failures - free, 30), config["LOGIN_MAX_DELAY_SECONDS"])
    remaining = (row.last_failure_at + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


@dataclass
class Check:
    """The back-off state of one attempt: its keys' rows, and how long it must wait (0: go ahead)."""

    keys: dict[str, str]
    rows: dict[str, sa.Row]
    now: datetime
    wait_seconds: int = 0


_throttles = LoginThrottle.__table__


def _check_backoff(account: str, address: str) -> Check:
    # No row locks: the counters change by atomic UPDATEs and upserts, so the attempts of an
    # office's shared address never queue behind each other's password hashing.
    keys = _keys(account, address or "-")
    now = utcnow()
    rows = {r.key: r for r in db.session.execute(sa.select(_throttles).where(_throttles.c.key.in_(keys.values())))}
    free = {"pair": current_app.config["LOGIN_FREE_FAILURES"],
            "address": current_app.config["LOGIN_ADDRESS_FREE_FAILURES"]}
    waits = {kind: _wait_for(rows.get(key), free[kind], now) for kind, key in keys.items()}
    check = Check(keys, rows, now, max(waits.values()))
    if check.wait_seconds:
        # Counted on the key that holds the attempt back, and nothing else written.
        holding = keys[max(waits, key=waits.get)]
        db.session.execute(sa.update(_throttles).where(_throttles.c.key == holding)
                           .values(throttled=_throttles.c.throttled + 1))
        return check
    _audit_throttled(list(rows.values()))
    return check


def _audit_throttled(rows) -> None:
    """One summary entry for the attempts refused while these keys waited; the count restarts
    (less what was audited, so an attempt counted meanwhile is kept for the next summary)."""
    count = sum(row.throttled for row in rows)
    if not count:
        return
    record("auth.throttled", actor=None, data={"count": count})
    for row in rows:
        if row.throttled:
            db.session.execute(sa.update(_throttles).where(_throttles.c.key == row.key)
                               .values(throttled=_throttles.c.throttled - row.throttled))


def _failed(check: Check) -> None:
    """One more failure on each key, as one upsert: a key quiet for LOGIN_FORGET_SECONDS starts again."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    cutoff = check.now - timedelta(seconds=current_app.config["LOGIN_FORGET_SECONDS"])
    for key in check.keys.values():
        db.session.execute(insert(_throttles).values(key=key, failures=1, last_failure_at=check.now, throttled=0)
                           .on_conflict_do_update(index_elements=["key"], set_={
                               "failures": sa.case((_throttles.c.last_failure_at < cutoff, 1),
                                                   else_=_throttles.c.failures + 1),
                               "last_failure_at": check.now}))


def _succeeded(check: Check) -> None:
    db.session.execute(sa.delete(_throttles).where(_throttles.c.key == check.keys["pair"]))


def prune_throttles() -> None:
    """Forget keys quiet for LOGIN_FORGET_SECONDS, auditing what they still held back."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["LOGIN_FORGET_SECONDS"])
    old = _throttles.c.last_failure_at < cutoff
    _audit_throttled(db.session.execute(sa.select(_throttles).where(old, _throttles.c.throttled > 0)).all())
    db.session.execute(sa.delete(_throttles).where(old))


def authenticate(username: str, password: str, address: str) -> LoginResult:
    """Check a login; on success start a session. While a key is backing off, the password is not
    even checked, and nothing is audited (see above)."""
    username = (username or "").strip().lower()
    check = _check_backoff(username, address)
    if check.wait_seconds:
        return LoginResult(wait_seconds=check.wait_seconds)
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
        _succeeded(check)
        prune_expired_sessions()
        prune_throttles()
        record("auth.login", actor=user, obj=user)
        token = start_session(user)
        return LoginResult(user=user, token=token)
    _failed(check)
    # Who tried is unknown: the typed name is never recorded, not even when it exists.
    record("auth.login_failed", actor=None, obj=user, data={
        "reason": "no_such_account" if user is None else "account_disabled" if not user.active else "wrong_password"})
    db.session.flush()
    return LoginResult()


def check_current_password(user: User, password: str, address: str) -> LoginResult:
    """The password form's check of the current password, under the same back-off as the login:
    guesses from a session left open count on the same (account, address) pair."""
    check = _check_backoff(user.username, address)
    if check.wait_seconds:
        return LoginResult(wait_seconds=check.wait_seconds)
    if check_password(user, password):
        _succeeded(check)
        db.session.flush()
        return LoginResult(user=user)
    _failed(check)
    record("auth.password_check_failed", actor=user, obj=user)
    db.session.flush()
    return LoginResult()


def add_area(user: User, area: Area, *, actor) -> User:
    """Widen a user's scope by one area. Sessions continue: their powers grew, none shrank."""
    if area.id not in {a.id for a in user.areas}:
        user.areas = [*user.areas, area]
    record("user.area_added", actor=actor, obj=user, data={"area_id": area.id})
    db.session.flush()
    return user
