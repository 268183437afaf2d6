"""Locale choice and the template helpers that show translated data."""
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands and background work: the configured default (letters choose their own).
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_code() -> str:
    return str(get_locale() or "hi")


def init_app(app) -> None:
    @app.template_global()
    def loc_name(obj) -> str:
        """The Hindi or English name of an area, scheme, office kind or holiday."""
        if obj is None:
            return ""
        return obj.name(locale_code())

    @app.template_filter("indian_date")
    def indian_date(value) -> str:
        # dd/mm/yyyy is the same in Hindi and English: no locale lookup (it runs per row).
        return value.strftime("%d/%m/%Y") if value else ""

    @app.template_filter("long_date")
    def long_date(value) -> str:
        return format_date(value, "d MMMM y") if value else ""

    app.jinja_env.globals["locale_code"] = locale_code
