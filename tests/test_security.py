"""Security behaviour (DESIGN §5): CSRF on every form, security headers, Argon2id passwords,
login back-off per account and per address, session revocation, the production start-up
refusals, the health check, no personal data in URLs, and the language switch.
"""
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from babel.support import Translations

from caseflow import create_app
from caseflow.auth import services as auth_services
from caseflow.auth.models import LoginThrottle, User
from caseflow.db import utcnow
from caseflow.extensions import db
from config import DEV_SECRET_PLACEHOLDER, ProductionConfig
from tests.conftest import PASSWORD, Auth
from tests.conftest import test_config as config_for
from tests.test_routes_matrix import ROUTES, WRITER, _url_and_object, _variants, objs, snapshot  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
NEW_PASSWORD = "a-brand-new-password"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _flashes(response) -> list[str]:
    return [m.strip() for m in re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', response.get_data(as_text=True))]


def _to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


# ---------------------------------------------------------------- (a) CSRF


@pytest.fixture(scope="module")
def csrf_app(app, database_url):
    application = create_app(config_for(database_url, WTF_CSRF_ENABLED=True))
    yield application
    with application.app_context():
        db.engine.dispose()


def _login_with_token(client, username: str) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, username


def test_every_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app, world, objs):  # noqa: F811
    clients = {"anonymous": csrf_app.test_client()}
    for role in ("incharge", "admin", "supervisor"):  # the usernames of the world's users are their roles
        clients[role] = csrf_app.test_client()
        _login_with_token(clients[role], role)
    before = snapshot(csrf_app)
    posted = []
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        route = ROUTES[rule.endpoint]
        # The role that may send it, with a payload that would succeed: only the token is missing.
        role = "anonymous" if rule.endpoint == "auth.login" else WRITER.get(route.access, "incharge")
        url, obj = _url_and_object(csrf_app, rule, next(v for v in _variants(rule) if v != "missing"), objs)
        data = route.post(objs, obj, clients[role])
        data.pop("csrf_token", None)
        response = clients[role].post(url, data=data)
        assert response.status_code == 400, f"POST {url} without a token: {response.status_code}"
        posted.append(rule.endpoint)
    assert {"auth.login", "auth.logout", "cases.step", "users.new"} <= set(posted)
    assert snapshot(csrf_app) == before
    assert clients["incharge"].get("/account/password").status_code == 200  # logout without a token did nothing
    assert _to_login(clients["anonymous"].get("/queue"))  # login without a token did not sign in

    # With the token, the same kind of request goes through.
    token = _token(clients["incharge"].get("/account/password").get_data(as_text=True))
    assert clients["incharge"].post("/language", data={"lang": "hi", "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert _user(world.incharge.id).locale == "hi"


# ---------------------------------------------------------------- (b) headers


def test_security_headers_on_html_pages(app, world, client, auth):
    with app.app_context():
        person = world.person()
        db.session.commit()
        person_id = person.id
    pages = [("/login", 200), ("/no-such-page", 404)]
    responses = [(url, client.get(url), code) for url, code in pages]
    auth.login(world.incharge)
    for url, code in [("/queue", 200), (f"/beneficiaries/{person_id}", 200), ("/admin/", 403)]:
        responses.append((url, client.get(url), code))
    for url, response, code in responses:
        assert response.status_code == code, url
        assert response.mimetype == "text/html", url
        headers = response.headers
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), url
        assert "default-src 'self'" in headers["Content-Security-Policy"], url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), url
        assert "no-store" in headers.get("Cache-Control", ""), url


def test_session_cookie_is_httponly_and_same_site(client, world):
    response = Auth(client).login(world.incharge)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------- (c) passwords


def test_passwords_are_stored_as_argon2id(app, world, client, auth):
    # The module's own hasher (the one production uses) and every stored hash are Argon2id.
    assert auth_services.hash_password("a long enough password").startswith("$argon2id$")
    auth.login(world.incharge)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        hashes = db.session.scalars(sa.select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h or NEW_PASSWORD in h for h in hashes)


def test_wrong_password_fails_with_a_generic_message(world, client):
    def attempt(username, password, address):
        return client.post("/login", data={"username": username, "password": password},
                           environ_overrides={"REMOTE_ADDR": address})

    wrong = attempt("incharge", "not-the-password", "10.9.0.1")
    unknown = attempt("nobody-here", "not-the-password", "10.9.0.2")
    disabled = attempt("disabled", PASSWORD, "10.9.0.3")
    for response in (wrong, unknown, disabled):
        assert response.status_code == 401
        assert "not-the-password" not in response.get_data(as_text=True)
    # The same words whether the name exists, the password is wrong or the account is disabled.
    assert _flashes(wrong) and _flashes(wrong) == _flashes(unknown) == _flashes(disabled)
    assert _to_login(client.get("/queue"))


# ---------------------------------------------------------------- (d) back-off


def _attempt(client, username, password, address):
    return client.post("/login", data={"username": username, "password": password},
                       environ_overrides={"REMOTE_ADDR": address}, headers={"Accept-Language": "en"})


def _assert_waiting(response):
    assert response.status_code == 429
    assert re.search(r"Try again in \d+ seconds", " ".join(_flashes(response))), _flashes(response)


def _wait_is_over(app) -> None:
    with app.app_context():
        for row in db.session.scalars(sa.select(LoginThrottle)):
            row.last_failure_at = utcnow() - timedelta(hours=1)
        db.session.commit()


def test_backoff_per_account_and_address(app, world, client):
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):  # one address guessing at one account
        assert _attempt(client, "incharge", "wrong-password", "10.1.0.1").status_code == 401
    _assert_waiting(_attempt(client, "incharge", PASSWORD, "10.1.0.1"))  # even the right password waits
    _assert_waiting(_attempt(client, "incharge", PASSWORD, "10.1.0.1"))
    assert _to_login(client.get("/queue"))
    # The owner of the account, elsewhere, is not held back by the guesser; nor is another
    # account tried from the guesser's address (its address counter is still below its limit).
    owner = app.test_client()
    assert _attempt(owner, "incharge", PASSWORD, "10.1.1.1").status_code == 302
    assert owner.get("/queue").status_code == 200
    assert _attempt(app.test_client(), "supervisor", PASSWORD, "10.1.0.1").status_code == 302
    _wait_is_over(app)
    assert _attempt(client, "incharge", PASSWORD, "10.1.0.1").status_code == 302
    assert client.get("/queue").status_code == 200


def test_backoff_per_address(app, world, client):
    free = app.config["LOGIN_ADDRESS_FREE_FAILURES"]
    for i in range(free):  # different names, one address
        assert _attempt(client, f"guess{i}", "wrong-password", "10.2.0.1").status_code == 401
    _assert_waiting(_attempt(client, "incharge", PASSWORD, "10.2.0.1"))
    # The account itself is fine from elsewhere.
    other = app.test_client()
    assert _attempt(other, "incharge", PASSWORD, "10.2.0.2").status_code == 302
    _wait_is_over(app)
    assert _attempt(client, "incharge", PASSWORD, "10.2.0.1").status_code == 302


def test_throttle_keeps_hashes_only(app, world, client):
    _attempt(client, "incharge", "wrong-password", "10.3.0.77")
    _attempt(client, "Supervisor", "wrong-password", "10.3.0.77")
    with app.app_context():
        rows = db.session.execute(sa.select(LoginThrottle.__table__)).all()
    assert len(rows) == 3  # two (account, address) pairs, one address
    stored = " ".join(str(value) for row in rows for value in row).lower()
    for clear in ("incharge", "supervisor", "10.3.0.77"):
        assert clear not in stored
    assert all(re.fullmatch(r"[pa]:[0-9a-f]{64}", row.key) for row in rows)


# ---------------------------------------------------------------- (e) session revocation


def _signed_in_client(app, user, password=PASSWORD):
    client = app.test_client()
    assert Auth(client).login(user, password).status_code == 302
    assert client.get("/account/password").status_code == 200
    return client


def test_disabling_a_user_ends_their_sessions_for_good(app, world):
    client = _signed_in_client(app, world.incharge)
    with app.app_context():
        user = _user(world.incharge.id)
        fields = dict(display_name=user.display_name, role=user.role, areas=user.areas, locale=user.locale)
        auth_services.update_user(user, **fields, active=False, actor=None)
        db.session.commit()
    assert _to_login(client.get("/queue"))
    with app.app_context():  # enabled again: the old session stays ended
        user = _user(world.incharge.id)
        auth_services.update_user(user, **{**fields, "areas": user.areas}, active=True, actor=None)
        db.session.commit()
    assert _to_login(client.get("/queue"))
    assert _signed_in_client(app, world.incharge).get("/queue").status_code == 200


def test_password_set_elsewhere_ends_sessions(app, world):
    client = _signed_in_client(app, world.incharge)
    with app.app_context():
        auth_services.set_password(_user(world.incharge.id), NEW_PASSWORD, actor=None)
        db.session.commit()
    assert _to_login(client.get("/queue"))
    assert Auth(client).login(world.incharge).status_code == 401
    assert Auth(client).login(world.incharge, NEW_PASSWORD).status_code == 302


def test_administrator_pages_end_sessions(app, world):
    """The same through the admin pages: a password reset, then disabling the account."""
    admin, client = _signed_in_client(app, world.admin), _signed_in_client(app, world.incharge)
    uid = world.incharge.id
    reset = admin.post(f"/admin/users/{uid}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302
    assert _to_login(client.get("/queue"))
    client = _signed_in_client(app, "incharge", NEW_PASSWORD)
    edit = admin.post(f"/admin/users/{uid}", data={"display_name": "In-charge Sehore", "role": "incharge",
                                                    "areas": world.district.id, "locale": "en"})
    assert edit.status_code == 302
    assert _to_login(client.get("/queue"))
    assert Auth(client).login(world.incharge, NEW_PASSWORD).status_code == 401  # disabled: no way back in


def test_own_password_change_keeps_this_session_and_ends_the_others(app, world):
    this, other = _signed_in_client(app, world.incharge), _signed_in_client(app, world.incharge)
    response = this.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert this.get("/queue").status_code == 200
    assert _to_login(other.get("/queue"))


# ---------------------------------------------------------------- (f) production refusals


def _production(database_url, **settings):
    return type("Settings", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **settings})


@pytest.mark.parametrize("key", [None, "", "short-key", DEV_SECRET_PLACEHOLDER, "x" * 31])
def test_production_refuses_a_weak_secret_key(database_url, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(_production(database_url, SECRET_KEY=key))


def test_production_refuses_debug(database_url):
    with pytest.raises(RuntimeError, match="debug"):
        create_app(_production(database_url, SECRET_KEY="k" * 64, DEBUG=True))


def test_production_builds_with_a_real_key(app, database_url):
    application = create_app(_production(database_url, SECRET_KEY="0123456789abcdef" * 4))
    try:
        assert application.config["ENV_NAME"] == "production" and not application.debug
        response = application.test_client().get("/login")
        assert response.status_code == 200
        assert "max-age" in response.headers.get("Strict-Transport-Security", "")
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        with application.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- (g) health


def test_healthz_reports_database_and_schema_head(client):
    heads = ScriptDirectory(str(ROOT / "migrations")).get_heads()
    assert len(heads) == 1
    response = client.get("/healthz")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    # The sweep and the workers have their own tests (tests/test_health.py).
    assert (body["database"], body["schema_revision"]) == ("ok", heads[0])


# ---------------------------------------------------------------- (h) no personal data in URLs


def test_queue_search_keeps_the_name_out_of_urls(app, world, client, auth):
    name = "Phoolwati Kushwaha"
    with app.app_context():
        wanted = world.case(person=world.person(name=name)).reference
        other = world.case(person=world.person(name="Ramkali Ahirwar")).reference
        db.session.commit()
    auth.login(world.incharge)
    page = client.get("/queue").get_data(as_text=True)
    assert wanted in page and other in page
    response = client.post(f"/queue/search?status=all&scheme={world.scheme.id}",
                           data={"q": name, "csrf_token": _token(page)})
    assert response.status_code == 302
    location = response.headers["Location"]
    forms = (name, quote(name), quote_plus(name), "Phoolwati", "phoolwati")
    assert not any(form in location for form in forms), location
    assert urlsplit(location).path == "/queue"
    page = client.get(location).get_data(as_text=True)
    assert wanted in page and other not in page  # the search did apply
    links = " ".join(re.findall(r'(?:href|action)="([^"]*)"', page))
    assert not any(form in links for form in forms), "a link on the page carries the searched name"


# ---------------------------------------------------------------- (i) language switch


def _hindi(msgid: str) -> str | None:
    """The compiled Hindi translation of msgid, or None while the catalogue is not compiled."""
    directory = ROOT / "caseflow" / "translations"
    if not (directory / "hi" / "LC_MESSAGES" / "messages.mo").exists():
        return None
    return Translations.load(str(directory), ["hi"]).gettext(msgid)


def test_language_switch_for_a_signed_in_user(app, world, client, auth):
    auth.login(world.incharge)
    page = client.get("/queue").get_data(as_text=True)
    assert 'lang="en"' in page and "My queue" in page
    response = client.post("/language", data={"lang": "hi"}, headers={"Referer": "http://localhost/queue"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/queue"
    with app.app_context():
        assert _user(world.incharge.id).locale == "hi"
    page = client.get("/queue").get_data(as_text=True)
    assert 'lang="hi"' in page
    assert 'name="lang" value="en"' in page  # the switch now offers English
    translated = _hindi("My queue")
    if translated is not None:
        assert translated != "My queue" and translated in page and "My queue" not in page


def test_language_switch_for_a_visitor_lives_in_the_session(app, world, client):
    assert 'lang="hi"' in client.get("/login").get_data(as_text=True)  # Hindi by default
    response = client.post("/language", data={"lang": "en"}, headers={"Referer": "http://evil.example/phish"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")  # never back to another site
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.locale != "en")) == 0
