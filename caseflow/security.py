"""Security headers on every response; the client's address behind trusted proxies; request
rate limits on the password forms."""
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    _trust_proxies(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # Pages carry personal data: keep them out of shared caches and the back-forward cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _trust_proxies(app: Flask) -> None:
    """Behind CASEFLOW_TRUSTED_PROXIES reverse proxies, the client is the address the nearest of
    them saw (the N-th X-Forwarded-For entry from the right). With 0, the header is ignored:
    anyone can write it, so trusting it without a proxy would let a client pick its address."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def rate_limits(app: Flask) -> Limiter:
    """Requests per client address to the two forms that check a password, counted by
    Flask-Limiter in RATELIMIT_STORAGE_URI before any database work. The doubling wait per
    account and address is caseflow.auth.services' (it needs the account, and the database).

    One Limiter per app, not a module global: Flask-Limiter keeps its storage and switches on
    the instance, and a process may build several apps (tests do). Called once the blueprints
    are registered: a decorated limit is checked by the wrapper that replaces the view.
    """
    limiter = Limiter(get_remote_address, strategy="moving-window")
    for endpoint, setting in (("auth.login", "RATELIMIT_LOGIN"), ("auth.password", "RATELIMIT_PASSWORD")):
        app.view_functions[endpoint] = limiter.limit(lambda setting=setting: app.config[setting],
                                                     methods=["POST"])(app.view_functions[endpoint])
    limiter.init_app(app)
    # The limits hold the limiter by a weak reference; switched off, Flask-Limiter keeps none.
    app.extensions["caseflow.limiter"] = limiter
    return limiter
