"""Sessions end on the server, and the password back-off cannot be turned against users.

A copied cookie (what an attacker lifts from a shared computer, a proxy log or a stolen
phone) is replayed after logout, after a password change and after the account is disabled:
it gets the login page, and a POST made with it changes nothing. The back-off is driven from
several client addresses, directly and through a trusted proxy; the request rate limits of
Flask-Limiter run in an app of their own with the limits switched on.
"""
import os
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.audit.models import AuditEntry
from caseflow.auth.models import LoginThrottle, User, UserSession
from caseflow.cases.models import Case
from caseflow.db import utcnow
from caseflow.extensions import db
from tests.conftest import PASSWORD, Auth
from tests.conftest import test_config as config_for
from tests.test_routes_matrix import snapshot

NEW_PASSWORD = "a-brand-new-password"


def _to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def _signed_in(app, user, password=PASSWORD, address="10.5.0.1"):
    client = app.test_client()
    response = client.post("/login", data={"username": getattr(user, "username", user), "password": password},
                           environ_overrides={"REMOTE_ADDR": address})
    assert response.status_code == 302, response.status_code
    assert client.get("/account/password").status_code == 200
    return client


def _copy(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _locale(user_id: int) -> str:
    return db.session.get(User, user_id).locale


def _sessions(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.user_id == user_id))


@pytest.fixture
def case_id(app, world):
    with app.app_context():
        case = world.case()
        db.session.commit()
        return case.id


def _replay_is_refused(app, thief, user_id: int, case_id: int) -> None:
    """The copied cookie reads nothing and writes nothing."""
    assert _to_login(thief.get("/queue"))
    assert _to_login(thief.get(f"/cases/{case_id}"))
    assert _to_login(thief.get("/account/password"))
    with app.app_context():
        before = _locale(user_id)
        version = db.session.get(Case, case_id).version
    everything = snapshot(app)
    # A signed-in user's language is saved on the account: a live session would change it.
    thief.post("/language", data={"lang": "hi" if before == "en" else "en"})
    assert _to_login(thief.post(f"/cases/{case_id}/do/verify", data={"verify-version": version}))
    assert _to_login(thief.post("/account/password", data={"current": PASSWORD, "new": "x" * 12, "confirm": "x" * 12}))
    assert _to_login(thief.post("/logout"))
    assert snapshot(app) == everything
    with app.app_context():
        assert _locale(user_id) == before


def test_the_copied_cookie_works_while_the_session_lives(app, world, case_id):
    """The premise of the tests below: a copy is as good as the original until the session ends."""
    client = _signed_in(app, world.incharge)
    thief = _copy(app, client)
    assert thief.get("/queue").status_code == 200
    thief.post("/language", data={"lang": "hi"})
    with app.app_context():
        assert _locale(world.incharge.id) == "hi"
        version = db.session.get(Case, case_id).version
    assert thief.post(f"/cases/{case_id}/do/verify", data={"verify-version": version}).status_code == 303
    with app.app_context():
        assert db.session.get(Case, case_id).version == version + 1


def test_a_copied_cookie_is_dead_after_logout(app, world, case_id):
    client = _signed_in(app, world.incharge)
    elsewhere = _signed_in(app, world.incharge)
    thief = _copy(app, client)
    assert Auth(client).logout().status_code == 302
    _replay_is_refused(app, thief, world.incharge.id, case_id)
    assert _to_login(client.get("/queue"))
    # Only this device signed out: the user's other session carries on.
    assert elsewhere.get("/queue").status_code == 200
    with app.app_context():
        assert _sessions(world.incharge.id) == 1


def test_a_copied_cookie_is_dead_after_a_password_change(app, world, case_id):
    client = _signed_in(app, world.incharge)
    other_device = _signed_in(app, world.incharge)
    thief, other_thief = _copy(app, client), _copy(app, other_device)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    # The device that changed it carries on, with a fresh token; every copy of its old cookie,
    # and every other device, is signed out.
    assert client.get("/queue").status_code == 200
    _replay_is_refused(app, thief, world.incharge.id, case_id)
    _replay_is_refused(app, other_thief, world.incharge.id, case_id)
    assert _to_login(other_device.get("/queue"))
    with app.app_context():
        assert _sessions(world.incharge.id) == 1


def test_a_copied_cookie_is_dead_after_an_administrator_resets_the_password(app, world, case_id):
    admin, client = _signed_in(app, world.admin), _signed_in(app, world.incharge)
    thief = _copy(app, client)
    reset = admin.post(f"/admin/users/{world.incharge.id}/password",
                       data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    _replay_is_refused(app, thief, world.incharge.id, case_id)
    assert admin.get("/admin/users").status_code == 200


def test_a_copied_cookie_is_dead_after_disabling(app, world, case_id):
    admin, client = _signed_in(app, world.admin), _signed_in(app, world.incharge)
    thief = _copy(app, client)
    edit = admin.post(f"/admin/users/{world.incharge.id}", data={
        "display_name": "In-charge Sehore", "role": "incharge", "areas": world.district.id, "locale": "en"})
    assert edit.status_code == 302
    _replay_is_refused(app, thief, world.incharge.id, case_id)
    with app.app_context():
        assert _sessions(world.incharge.id) == 0
        # Enabled again, the old sessions stay ended.
        db.session.get(User, world.incharge.id).active = True
        db.session.commit()
    _replay_is_refused(app, thief, world.incharge.id, case_id)


def test_a_smaller_scope_ends_the_sessions_an_administrator_editing_themselves_carries_on(app, world):
    admin, client = _signed_in(app, world.admin), _signed_in(app, world.supervisor)
    admin_copy = _copy(app, admin)
    edit = admin.post(f"/admin/users/{world.supervisor.id}", data={
        "display_name": "Supervisor", "role": "supervisor", "areas": world.district.id, "locale": "en",
        "active": "y"})
    assert edit.status_code == 302
    assert _to_login(client.get("/queue"))
    # The administrator's own account, with fewer areas: this device goes on with a new token.
    edit = admin.post(f"/admin/users/{world.admin.id}", data={
        "display_name": "Admin", "role": "admin", "areas": world.district.id, "locale": "en", "active": "y"})
    assert edit.status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert _to_login(admin_copy.get("/admin/users"))


def test_the_table_keeps_only_a_hash_of_the_token(app, world):
    client = _signed_in(app, world.incharge)
    token = _token_of(app, client)
    with app.app_context():
        stored = db.session.execute(sa.select(UserSession.__table__)).all()
    assert len(stored) == 1
    assert token not in " ".join(str(v) for row in stored for v in row)
    assert len(token) >= 40  # 256 random bits


def _token_of(app, client) -> str:
    """The token inside the signed cookie (Flask-Login's user id)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)["_user_id"]


def test_an_expired_session_is_signed_out_and_pruned_at_the_next_sign_in(app, world):
    client = _signed_in(app, world.incharge)
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert _to_login(client.get("/queue"))
    _signed_in(app, world.supervisor)
    with app.app_context():
        assert _sessions(world.incharge.id) == 0 and _sessions(world.supervisor.id) == 1


def test_use_is_written_at_most_every_few_minutes_and_extends_the_session(app, world):
    client = _signed_in(app, world.incharge)
    with app.app_context():
        first = db.session.scalar(sa.select(UserSession))
        seen, expires = first.last_seen_at, first.expires_at
    assert client.get("/queue").status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert (row.last_seen_at, row.expires_at) == (seen, expires)  # a request moments later writes nothing
        long_ago = utcnow() - timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"] + 5)
        db.session.execute(sa.update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert client.get("/queue").status_code == 200  # a GET: the touch is committed on its own
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.last_seen_at > long_ago and row.expires_at >= expires


def test_a_session_ends_at_its_maximum_age_however_busy(app, world):
    client = _signed_in(app, world.incharge)
    age = app.config["SESSION_MAX_AGE_SECONDS"]
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(
            created_at=utcnow() - timedelta(seconds=age - 60),
            last_seen_at=utcnow() - timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"] + 5)))
        db.session.commit()
    assert client.get("/queue").status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.expires_at <= row.created_at + timedelta(seconds=age)


# ---------------------------------------------------------------- back-off


def _attempt(client, username, password, address, **headers):
    return client.post("/login", data={"username": username, "password": password},
                       environ_overrides={"REMOTE_ADDR": address}, headers={"Accept-Language": "en", **headers})


def _actions(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_an_attacker_keeps_failing_and_the_owner_still_signs_in(app, world):
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 6):  # one wrong password per window, and more
        assert _attempt(attacker, "incharge", "wrong-password", "203.0.113.9").status_code in (401, 429)
    assert _attempt(attacker, "incharge", PASSWORD, "203.0.113.9").status_code == 429
    assert _attempt(owner, "incharge", PASSWORD, "198.51.100.20").status_code == 302


def test_throttled_attempts_write_one_summary_entry_not_one_each(app, world):
    client = app.test_client()
    free = app.config["LOGIN_FREE_FAILURES"]
    with app.app_context():
        failed_before, summaries_before = _actions("auth.login_failed"), _actions("auth.throttled")
    for _ in range(free):
        assert _attempt(client, "incharge", "wrong-password", "10.6.0.1").status_code == 401
    for _ in range(7):
        assert _attempt(client, "incharge", "wrong-password", "10.6.0.1").status_code == 429
    with app.app_context():
        assert _actions("auth.login_failed") - failed_before == free
        assert _actions("auth.throttled") == summaries_before  # nothing yet for the seven
        assert sum(db.session.scalars(sa.select(LoginThrottle.throttled))) == 7
        for row in db.session.scalars(sa.select(LoginThrottle)):
            row.last_failure_at = utcnow() - timedelta(seconds=app.config["LOGIN_MAX_DELAY_SECONDS"] + 1)
        db.session.commit()
    assert _attempt(client, "incharge", PASSWORD, "10.6.0.1").status_code == 302
    with app.app_context():
        summaries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.throttled")).all()
        assert len(summaries) == summaries_before + 1 and summaries[-1].data == {"count": 7}
        assert _actions("auth.login_failed") - failed_before == free


def test_a_throttled_count_left_behind_is_audited_when_the_key_is_forgotten(app, world):
    client = app.test_client()
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 2):
        _attempt(client, "incharge", "wrong-password", "10.6.1.1")
    with app.app_context():
        assert sum(db.session.scalars(sa.select(LoginThrottle.throttled))) == 2
        db.session.execute(sa.update(LoginThrottle).values(
            last_failure_at=utcnow() - timedelta(seconds=app.config["LOGIN_FORGET_SECONDS"] + 1)))
        db.session.commit()
        before = _actions("auth.throttled")
    _signed_in(app, world.supervisor, address="10.6.1.2")  # someone else's sign-in prunes the quiet keys
    with app.app_context():
        assert _actions("auth.throttled") == before + 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


def test_the_password_form_has_the_same_backoff(app, world):
    client = _signed_in(app, world.incharge, address="10.7.0.1")

    def change(current):
        return client.post("/account/password", data={"current": current, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                           environ_overrides={"REMOTE_ADDR": "10.7.0.1"}, headers={"Accept-Language": "en"})

    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        assert change("wrong-password").status_code == 422
    waiting = change(PASSWORD)  # even the right one waits
    assert waiting.status_code == 429 and re.search(r"Try again in \d+ seconds", waiting.get_data(as_text=True))
    with app.app_context():
        assert auth_password_unchanged(world.incharge.id)
        assert _actions("auth.password_check_failed") >= app.config["LOGIN_FREE_FAILURES"]
    # The same pair holds the sign-in form back too: guesses count wherever they are made.
    assert _attempt(app.test_client(), "incharge", PASSWORD, "10.7.0.1").status_code == 429
    with app.app_context():
        db.session.execute(sa.update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert change(PASSWORD).status_code == 302
    with app.app_context():
        assert not auth_password_unchanged(world.incharge.id)


def auth_password_unchanged(user_id: int) -> bool:
    from caseflow.auth.services import check_password

    return check_password(db.session.get(User, user_id), PASSWORD)


# ---------------------------------------------------------------- the client's address


@pytest.fixture(scope="module")
def proxied_app(app, database_url):
    """The app as deployed behind one reverse proxy (CASEFLOW_TRUSTED_PROXIES=1)."""
    application = create_app(config_for(database_url, TRUSTED_PROXIES=1))
    yield application
    with application.app_context():
        db.engine.dispose()


PROXY = "10.0.0.2"


def test_behind_a_trusted_proxy_x_forwarded_for_decides_the_address(proxied_app, world):
    attacker, owner = proxied_app.test_client(), proxied_app.test_client()
    for _ in range(proxied_app.config["LOGIN_FREE_FAILURES"]):
        response = _attempt(attacker, "incharge", "wrong-password", PROXY, **{"X-Forwarded-For": "203.0.113.5"})
        assert response.status_code == 401
    assert _attempt(attacker, "incharge", PASSWORD, PROXY, **{"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    # Every request arrives from the proxy; the owner's own address lets them in.
    assert _attempt(owner, "incharge", PASSWORD, PROXY, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 302
    # A client cannot pick its address by prepending to the header: the proxy's entry counts.
    spoof = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
    assert _attempt(proxied_app.test_client(), "incharge", PASSWORD, PROXY, **spoof).status_code == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, world):
    assert app.config["TRUSTED_PROXIES"] == 0
    attacker = app.test_client()
    for i in range(app.config["LOGIN_FREE_FAILURES"]):
        # A fresh header each time: were it believed, no pair would ever reach its limit.
        response = _attempt(attacker, "incharge", "wrong-password", "10.8.0.1", **{"X-Forwarded-For": f"192.0.2.{i}"})
        assert response.status_code == 401
    response = _attempt(attacker, "incharge", PASSWORD, "10.8.0.1", **{"X-Forwarded-For": "192.0.2.200"})
    assert response.status_code == 429


# ---------------------------------------------------------------- request rate limits (Flask-Limiter)


# memory:// always; the shared storage several workers need too when CI names a Redis server
# (.ci/run sets CASEFLOW_TEST_REDIS_URL when one answers).
LIMIT_STORAGES = ["memory://", *filter(None, [os.environ.get("CASEFLOW_TEST_REDIS_URL")])]


@pytest.fixture(params=LIMIT_STORAGES, ids=lambda uri: uri.split(":", 1)[0])
def limited_app(app, database_url, request):
    # A prefix of its own per test: a shared Redis keeps counts between runs and tests.
    application = create_app(config_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=request.param,
                                        RATELIMIT_KEY_PREFIX=f"caseflow-test-{secrets.token_hex(6)}",
                                        RATELIMIT_LOGIN="4 per minute", RATELIMIT_PASSWORD="2 per minute"))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_the_sign_in_form_is_rate_limited_per_address(limited_app, world):
    client = limited_app.test_client()
    for i in range(4):  # four names, so the doubling wait per (account, address) is not what answers
        assert _attempt(client, f"nobody{i}", "wrong-password", "10.9.9.1").status_code == 401
    with limited_app.app_context():
        failed_before = _actions("auth.login_failed")
    refused = _attempt(client, "incharge", PASSWORD, "10.9.9.1")
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)  # the translated error page
    with limited_app.app_context():
        assert _actions("auth.login_failed") == failed_before  # refused before any database work
    assert client.get("/login").status_code == 200  # reading the form is not limited
    assert _attempt(limited_app.test_client(), "incharge", PASSWORD, "10.9.9.2").status_code == 302


def test_the_password_form_is_rate_limited_per_address(limited_app, world):
    client = _signed_in(limited_app, world.incharge, address="10.9.8.1")
    for _ in range(2):
        response = client.post("/account/password", data={"current": "wrong-password", "new": NEW_PASSWORD,
                                                           "confirm": NEW_PASSWORD},
                               environ_overrides={"REMOTE_ADDR": "10.9.8.1"})
        assert response.status_code == 422
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD},
                           environ_overrides={"REMOTE_ADDR": "10.9.8.1"})
    assert response.status_code == 429
    with limited_app.app_context():
        assert auth_password_unchanged(world.incharge.id)
