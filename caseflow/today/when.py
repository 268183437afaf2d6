"""Relative wording of a calendar day ("today", "in 3 days", "2 days ago") in the user's language,
for Today's pages and digests: the site-wide helper, `caseflow.i18n.relative_day`, seen from the
day the page or digest is about."""
from datetime import date

from caseflow import i18n


def relative_day(day: date, on: date) -> str:
    """`day` seen from `on`, in whole calendar days."""
    return i18n.relative_day(day, on)
