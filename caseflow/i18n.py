"""Locale choice and the template helpers that show translated data and local dates.

Every date a page shows goes through one filter, `indian_date`: given a stored timestamp
(naive UTC) it shows the organisation's calendar day of it (`caseflow.db.local_date`), so a
page never shows a UTC day. `days_since` counts local calendar days, `local_time` shows a
timestamp's local date and time, `label` the Hindi or English label of any code
(`caseflow.labels`).

Plain words: `relative_day` is the one way a page says how long ago (or how soon) a day is —
"today", "yesterday", "3 days ago", "in 2 days" — and `number` the one way it shows a count,
grouped the Indian way (1,00,000) in both languages. (`days_since` is the number, for a
template that compares it; words come from `relative_day`.)
"""
from datetime import date, datetime

from babel.numbers import format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, get_locale, gettext, ngettext
from flask_login import current_user

from caseflow import labels
from caseflow.db import check_timezone, local_date, local_moment, today


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


def _day(value: date | datetime) -> date:
    # A datetime is a date too: test for it first, and take its day in the organisation's zone.
    return local_date(value) if isinstance(value, datetime) else value


def relative_day(value: date | datetime | None, on: date | None = None) -> str:
    """How far `value`'s local calendar day is from `on` (today by default), in words of the
    user's language."""
    if not value:
        return ""
    days = ((on or today()) - _day(value)).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    if days == -1:
        return gettext("tomorrow")
    if days > 0:
        return ngettext("%(days)s day ago", "%(days)s days ago", days, days=number(days))
    return ngettext("in %(days)s day", "in %(days)s days", -days, days=number(-days))


def number(value: int | None) -> str:
    """A count grouped the Indian way, 1,00,000 (lakh) and 1,00,00,000 (crore), in Hindi and English
    alike (Babel's en_IN and hi_IN agree, with Latin digits)."""
    if value is None:
        return ""
    return format_decimal(value, locale="hi_IN" if locale_code() == "hi" else "en_IN")


def init_app(app) -> None:
    check_timezone(app)

    @app.template_global()
    def loc_name(obj) -> str:
        """The Hindi or English name of an area, scheme, office kind or holiday."""
        if obj is None:
            return ""
        return obj.name(locale_code())

    @app.template_filter("indian_date")
    def indian_date(value: date | datetime | None) -> str:
        # dd/mm/yyyy is the same in Hindi and English: no locale lookup (it runs per row).
        return _day(value).strftime("%d/%m/%Y") if value else ""

    @app.template_filter("long_date")
    def long_date(value: date | datetime | None) -> str:
        return format_date(_day(value), "d MMMM y") if value else ""

    @app.template_filter("local_time")
    def local_time(value: datetime | None, seconds: bool = False) -> str:
        if not value:
            return ""
        return local_moment(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")

    @app.template_filter("days_since")
    def days_since(value: date | datetime) -> int:
        """Whole local calendar days from `value` to today: "filed 2 days ago" agrees with the dates shown."""
        return (today() - _day(value)).days

    app.add_template_filter(relative_day, "relative_day")
    app.add_template_filter(number, "number")
    app.add_template_filter(labels.label, "label")
    app.jinja_env.globals["locale_code"] = locale_code
