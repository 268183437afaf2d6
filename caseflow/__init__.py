"""caseflow: grievance and beneficiary case-management for welfare follow-up."""
import logging

from flask import Flask, g, request
from flask_login import current_user

from caseflow import textguard
from caseflow.db import configure_engine, read_only_transaction
from caseflow.extensions import babel, csrf, db, login_manager, migrate

__version__ = "0.1.0"


def create_app(config=None) -> Flask:
    """Build the application. `config` is a config class or a dict of overrides for tests."""
    from config import DevelopmentConfig, config_from_env

    app = Flask(__name__, template_folder="../templates", instance_path=_instance_path())
    if isinstance(config, dict):
        app.config.from_object(config_from_env())
        app.config.update(config)
    else:
        app.config.from_object(config or config_from_env())
    _refuse_unsafe_production(app, DevelopmentConfig)
    from caseflow import inputs

    inputs.init_app(app)  # first: its URL converter must be in place before any route is added

    _import_models()
    db.init_app(app)
    # The Aadhaar rule, applied at every flush of every session (see caseflow.textguard).
    textguard.install()
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from caseflow import errors, i18n, pages, security, webfonts

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    security.init_app(app)
    webfonts.init_app(app)
    pages.init_app(app)
    errors.init_app(app)

    _register_blueprints(app)
    from caseflow.monitoring import logs, metrics

    metrics.init_app(app)
    logs.init_app(app)
    security.rate_limits(app)
    _connect_domains()
    _register_request_hooks(app)

    from caseflow.cli import caseflow_cli

    app.cli.add_command(caseflow_cli)
    logging.getLogger("caseflow").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    return app


def _import_models() -> None:
    """Every domain's models, so the metadata (and Alembic's autogenerate) sees all tables."""
    import importlib

    for domain in ("auth", "areas", "schemes", "holidays", "beneficiaries", "cases", "audit", "bias",
                   "escalation", "letters", "jobs", "today", "evidence", "reviews", "dashboards", "impact"):
        importlib.import_module(f"caseflow.{domain}.models")
    importlib.import_module("caseflow.sequences")
    importlib.import_module("caseflow.marks")


def _instance_path() -> str:
    from config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return str(INSTANCE_DIR)


def _refuse_unsafe_production(app: Flask, dev_config) -> None:
    from config import DEV_SECRET_PLACEHOLDER

    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if len(key) < 32 or key == DEV_SECRET_PLACEHOLDER:
        raise RuntimeError("production needs CASEFLOW_SECRET_KEY set to a random value of at least 32 characters")
    if app.config.get("DEBUG") or app.debug:
        raise RuntimeError("production refuses to run with debug on")


def _register_blueprints(app: Flask) -> None:
    from caseflow.admin.views import bp as admin_bp
    from caseflow.areas.views import bp as areas_bp
    from caseflow.auth.admin import bp as users_bp
    from caseflow.auth.views import bp as auth_bp
    from caseflow.beneficiaries.views import bp as beneficiaries_bp
    from caseflow.bias.views import bp as bias_bp
    from caseflow.cases.views import bp as cases_bp
    from caseflow.dashboards.views import bp as dashboards_bp
    from caseflow.escalation.views import bp as escalation_bp
    from caseflow.evidence.views import bp as evidence_bp
    from caseflow.health import bp as health_bp
    from caseflow.holidays.views import bp as holidays_bp
    from caseflow.impact.views import bp as impact_bp
    from caseflow.letters.views import bp as letters_bp
    from caseflow.reviews.views import bp as reviews_bp
    from caseflow.schemes.views import bp as schemes_bp
    from caseflow.today.views import bp as today_bp
    from caseflow.trails.views import bp as audit_bp

    for bp in (auth_bp, cases_bp, beneficiaries_bp, admin_bp, users_bp, areas_bp, schemes_bp, holidays_bp,
               health_bp, audit_bp, bias_bp, escalation_bp, letters_bp, today_bp, evidence_bp, reviews_bp, dashboards_bp, impact_bp):
        app.register_blueprint(bp)


def _connect_domains() -> None:
    """Fill the hooks lower domains offer with what higher domains know, so imports between
    domains go one way: cases routing asks bias which offices are accused; letters hear of
    every case step (to draft and supersede letters); a referral letter gets its content from
    bias. Idempotent: every app of the process connects the same functions."""
    from caseflow.bias.referral import referral_letter_extras
    from caseflow.bias.services import blocked_offices_by_case
    from caseflow.cases import routing, signals
    from caseflow.escalation import cli as escalation_cli
    from caseflow.letters import background, render
    from caseflow.letters.models import LetterKind
    from caseflow.letters.services import on_steps_taken
    from caseflow.today.cli import send_and_report

    routing.register_blocker(blocked_offices_by_case)
    signals.steps_taken.connect(on_steps_taken)
    render.register_context(LetterKind.REFERRAL, referral_letter_extras)
    background.register()  # drafted letters are rendered by the job queue's workers
    if send_and_report not in escalation_cli.after_sweep:  # the reminders go after the morning sweep
        escalation_cli.after_sweep.append(send_and_report)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _mark_readers():
        # Reads begin deferred on SQLite; anything that may write takes the lock up front.
        g._ro_token = read_only_transaction.set(request.method in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _unmark_readers(exc):
        token = g.pop("_ro_token", None)
        if token is not None:
            read_only_transaction.reset(token)

    @app.context_processor
    def _inject():
        return {"current_user": current_user}
