"""Configuration classes, read from environment variables.

`CASEFLOW_CONFIG` picks the class (development, testing, production); the rest of the
settings come from `CASEFLOW_*` variables so a deployment never edits this file.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CASEFLOW_INSTANCE_DIR", BASE_DIR / "instance"))
DEV_SECRET_PLACEHOLDER = "dev-only-not-secret"


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def _instance_secret() -> str:
    """A per-checkout random key for development, so no key ever sits in the repository."""
    path = INSTANCE_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASEFLOW_DATABASE_URL") or _sqlite_url("caseflow.db")
    # hide_parameters: an error's message and traceback never carry the values a statement was sent.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    SECRET_KEY = os.environ.get("CASEFLOW_SECRET_KEY")
    DEBUG = False
    TESTING = False
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session, a form may sit open all day
    BABEL_DEFAULT_LOCALE = "hi"
    LANGUAGES = ("hi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # forms only; letters and uploads have their own limits
    QUEUE_PAGE_SIZE = 50
    REOPEN_WINDOW_DAYS = int(os.environ.get("CASEFLOW_REOPEN_WINDOW_DAYS", "90"))
    # Sessions on the server (caseflow.auth.services): a session ends after this long unused,
    # and in any case this long after sign-in; its last use is written at most this often.
    SESSION_IDLE_SECONDS = 60 * 60 * 12
    SESSION_MAX_AGE_SECONDS = 60 * 60 * 24 * 7
    SESSION_TOUCH_SECONDS = 300
    # Password back-off (caseflow.auth.services): wrong passwords allowed per (account, address)
    # and per address before each further one doubles the wait, the ceiling of the wait, and how
    # long a quiet key takes to be forgotten.
    LOGIN_FREE_FAILURES = 3
    LOGIN_ADDRESS_FREE_FAILURES = 10
    LOGIN_MAX_DELAY_SECONDS = 300
    LOGIN_FORGET_SECONDS = 3600
    # Request rate limits per client address (Flask-Limiter), in a storage every worker shares:
    # memory:// is per process; several workers or servers need e.g. redis://127.0.0.1:6379.
    RATELIMIT_STORAGE_URI = os.environ.get("CASEFLOW_RATELIMIT_STORAGE_URI") or "memory://"
    # If that storage is unreachable, requests go through (logged): the database's back-off
    # per account and address still holds, and signing in must not depend on Redis being up.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_LOGIN = "30 per minute;300 per hour"
    RATELIMIT_PASSWORD = "10 per minute;60 per hour"
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto: 0 trusts no
    # header (the connecting address is the client's); 1 for one nginx, and so on.
    TRUSTED_PROXIES = int(os.environ.get("CASEFLOW_TRUSTED_PROXIES") or "0")
    # A sweep run whose last batch is older than this, and whose process cannot be seen, is interrupted.
    SWEEP_HEARTBEAT_TIMEOUT_SECONDS = 15 * 60
    # SQLite's page cache for the sweep's own connection (its default is 2 MB): a batch touches
    # index pages all over a large database, and re-reading them from the OS cost a fifth of the
    # sweep's time on 1,000,000 cases. Web workers keep the default, for their memory budget.
    SWEEP_SQLITE_CACHE_MB = 64
    ORGANISATION_NAME = os.environ.get("CASEFLOW_ORGANISATION_NAME", "caseflow")
    # The organisation's IANA time zone: it decides every calendar day stored, shown or printed
    # (checked when the app starts: caseflow.db.check_timezone).
    TIMEZONE = os.environ.get("CASEFLOW_TIMEZONE") or "Asia/Kolkata"
    # The letterhead: address lines separated by newlines; a logo path (None: the default logo,
    # "": none); where rendered letters are kept (None: instance/letters).
    ORGANISATION_ADDRESS = os.environ.get("CASEFLOW_ORGANISATION_ADDRESS", "")
    LETTERHEAD_LOGO = os.environ.get("CASEFLOW_LETTERHEAD_LOGO")
    LETTERS_DIR = os.environ.get("CASEFLOW_LETTERS_DIR")
    # Evidence files (caseflow.evidence): where they are kept (None: instance/evidence), the
    # largest file accepted, the largest picture (pixels in its header, and pixels decoded in
    # memory), and the long side stored images are brought down to.
    EVIDENCE_DIR = os.environ.get("CASEFLOW_EVIDENCE_DIR")
    EVIDENCE_MAX_BYTES = int(os.environ.get("CASEFLOW_EVIDENCE_MAX_BYTES") or 10_000_000)
    EVIDENCE_MAX_PIXELS = 64_000_000
    EVIDENCE_MAX_DECODED_PIXELS = 24_000_000
    EVIDENCE_IMAGE_MAX_SIDE = 1600
    LETTERS_BATCH_LIMIT = 1000
    LETTERS_BATCH_CHUNK = 10
    # The job queue (caseflow.jobs): a claim older than JOBS_LOCK_TIMEOUT seconds belongs to a
    # worker presumed dead and is run again; retries wait JOBS_RETRY_SECONDS, doubling.
    JOBS_LOCK_TIMEOUT = int(os.environ.get("CASEFLOW_JOBS_LOCK_TIMEOUT", "300"))
    JOBS_RETRY_SECONDS = int(os.environ.get("CASEFLOW_JOBS_RETRY_SECONDS", "10"))
    JOBS_KEEP_DAYS = 7
    # How often a job worker writes its heartbeat row (job_workers), idle or not.
    JOBS_HEARTBEAT_SECONDS = int(os.environ.get("CASEFLOW_JOBS_HEARTBEAT_SECONDS", "30"))
    # Monitoring (README "Monitoring"). /metrics answers only a request bearing this token
    # (404 while it is unset, and then no request is measured either).
    METRICS_TOKEN = os.environ.get("CASEFLOW_METRICS_TOKEN") or None
    # "json": one JSON object per log line; anything else: Flask's plain text lines.
    LOG_FORMAT = os.environ.get("CASEFLOW_LOG_FORMAT", "text")
    # /healthz says "degraded" when no sweep has finished within this many hours, or no job
    # worker has been seen within this many seconds; 0 turns that check off.
    HEALTH_SWEEP_HOURS = float(os.environ.get("CASEFLOW_HEALTH_SWEEP_HOURS", "26"))
    HEALTH_WORKER_SECONDS = float(os.environ.get("CASEFLOW_HEALTH_WORKER_SECONDS", "120"))
    # Today (caseflow.today): a dispatched letter unacknowledged this many days is listed; rows
    # shown per section.
    ACK_REMINDER_DAYS = int(os.environ.get("CASEFLOW_ACK_REMINDER_DAYS", "15"))
    TODAY_SECTION_ROWS = 20
    # Reminders by e-mail (caseflow.notify): no SMTP_HOST, no e-mail (digests are skipped and
    # the run says so). STARTTLS on by default; a server on localhost may need it off.
    SMTP_HOST = os.environ.get("CASEFLOW_SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("CASEFLOW_SMTP_PORT") or "587")
    SMTP_USER = os.environ.get("CASEFLOW_SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("CASEFLOW_SMTP_PASSWORD") or None
    SMTP_STARTTLS = (os.environ.get("CASEFLOW_SMTP_STARTTLS") or "1") not in ("0", "false", "no")
    SMTP_FROM = os.environ.get("CASEFLOW_SMTP_FROM") or None
    SMTP_TIMEOUT_SECONDS = 20
    # Rows a digest lists per section (the counts are always whole).
    DIGEST_ROWS = 5
    # The address staff open caseflow at (e.g. https://caseflow.example.org), for links in digests.
    BASE_URL = (os.environ.get("CASEFLOW_BASE_URL") or "").rstrip("/")
    ENV_NAME = "base"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = os.environ.get("CASEFLOW_DEBUG", "1") == "1"
    SECRET_KEY = os.environ.get("CASEFLOW_SECRET_KEY") or _instance_secret()
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = DEV_SECRET_PLACEHOLDER
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASEFLOW_TEST_DATABASE_URL") or _sqlite_url("test.db")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    LOGIN_MAX_DELAY_SECONDS = 30
    # The suite signs in hundreds of times a minute from one address; the tests of the rate
    # limits build their own app with it on.
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    name = os.environ.get("CASEFLOW_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise SystemExit(f"CASEFLOW_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}") from None
