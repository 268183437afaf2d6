"""Relative wording of a calendar day ("today", "in 3 days", "2 days ago") in the user's language.

One small function on purpose: a site-wide helper for relative dates is being written
separately, and Today's pages and digests switch to it by changing this module only.
"""
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext


def relative_day(day: date, on: date) -> str:
    """`day` seen from `on`, in whole calendar days."""
    days = (day - on).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in %(num)d day", "in %(num)d days", days)
    return ngettext("%(num)d day ago", "%(num)d days ago", -days)
