"""The Today page and the navigation's badge.

The page reads every section (queries.sections). Every other page shows one number beside the
"Today" link: the overdue cases, counted no further than 100 (queries.badge_count), once per
request and only when the page's navigation is drawn. The full counts stay on Today itself:
seven capped counts are cheap, yet not worth adding to every page, and the most urgent number
is the one that should pull a person to the page.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseflow.areas.models import Office
from caseflow.cases.workflow import status_label
from caseflow.db import today
from caseflow.extensions import db
from caseflow.scope import CASE_ROLES
from caseflow.today import queries
from caseflow.today.when import relative_day

bp = Blueprint("today", __name__)

BADGE_CAP = 99

TITLES = {
    "overdue": _l("Overdue"),
    "due_today": _l("Due today"),
    "due_week": _l("Due this week"),
    "promised": _l("Dates officials promised"),
    "drafted": _l("Letters drafted, not dispatched"),
    "unacknowledged": _l("Acknowledgements awaited"),
    "delivery": _l("Waiting for the beneficiary to confirm delivery"),
}
# What the row's link leads to: the part of the case page where the action is.
ACTIONS = {
    "overdue": (_l("Escalate or follow up"), "actions"),
    "due_today": (_l("Log a follow-up"), "follow-up"),
    "due_week": (_l("Log a follow-up"), "follow-up"),
    "promised": (_l("Log a follow-up"), "follow-up"),
    "drafted": (_l("Print and dispatch"), None),
    "unacknowledged": (_l("Record the acknowledgement"), None),
    "delivery": (_l("Record delivery"), "step-deliver"),
}


def ack_days() -> int:
    return current_app.config["ACK_REMINDER_DAYS"]


def more_url(key: str) -> str:
    """Where the whole of a section is listed: the queue or the letter register, filtered."""
    if key == "overdue":
        return url_for("cases.queue", status="open", overdue="1")
    if key == "delivery":
        return url_for("cases.queue", status="sanctioned")
    if key == "drafted":
        return url_for("letters.register", status="drafted")
    if key == "unacknowledged":
        return url_for("letters.register", status="dispatched")
    return url_for("cases.queue", status="open")


def _memo(function):
    """`function` of one argument, computed once per distinct argument (per page)."""
    seen: dict = {}

    def memo(value):
        if value not in seen:
            seen[value] = function(value)
        return seen[value]

    return memo


@bp.get("/today")
@login_required
def index():
    if current_user.role not in CASE_ROLES:
        abort(403)
    on = today()
    sections = queries.sections(current_user, on, ack_days=ack_days(),
                                limit=current_app.config["TODAY_SECTION_ROWS"])
    g.today_badge = min(sections[0].count, BADGE_CAP + 1)
    # 140 rows: each link, relative date and label is built from a prefix or a memo made once
    # per page, not a url_for, a gettext and a format per row (as the queue does).
    return render_template(
        "today/index.html", sections=sections, titles=TITLES, actions=ACTIONS, more_url=more_url,
        case_url=url_for("cases.show", case_id=0)[:-1], anchors={k: a for k, (_label, a) in ACTIONS.items()},
        when=_memo(lambda day: relative_day(day, on)), on=on, cap=queries.COUNT_CAP,
        ack_days=ack_days(), status_label=_memo(status_label), offices=_offices(sections),
        # Unformatted: the template puts each row's relative date in.
        formats={"drafted": _("drafted %(when)s"), "unacknowledged": _("dispatched %(when)s"),
                 "promised": _("promised for %(when)s"), "delivery": _("sanctioned %(when)s"), "due": _("due %(when)s")},
    )


def _offices(sections) -> dict:
    """The offices that made the listed promises, by id, in one query."""
    ids = {row.office_id for s in sections if s.key == "promised" for row in s.rows if row.office_id}
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(ids)))}


@bp.app_context_processor
def _badge():
    def today_badge() -> str:
        """The badge's text ("", "7", "99+"): computed on first use in a request, then kept."""
        if not current_user.is_authenticated or current_user.role not in CASE_ROLES:
            return ""
        count = g.get("today_badge")
        if count is None:
            try:
                count = queries.badge_count(current_user, today(), BADGE_CAP)
            except sa.exc.SQLAlchemyError:
                # An error page drawn because the database failed must still be drawn.
                count = 0
            g.today_badge = count
        if not count:
            return ""
        return f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)

    return {"today_badge": today_badge}
