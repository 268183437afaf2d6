"""Pages of the escalation domain: the lists of cases that need a supervisor, and the
escalation panel of the case page.

The lists are scoped like the queue: a state supervisor sees the state, an in-charge the
cases of their own areas (they are the ones who chase the stalled offices).
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from caseflow.areas.models import Office
from caseflow.auth.models import Role, User
from caseflow.cases import panels, routing
from caseflow.cases.models import WAITING_STATUSES, Attention, Case, CaseEvent, EventKind
from caseflow.cases.queries import sla_standing
from caseflow.cases.workflow import status_label
from caseflow.db import today
from caseflow.escalation.services import interrupted_runs, latest_run
from caseflow.extensions import db
from caseflow.inputs import db_int
from caseflow.schemes.models import Scheme
from caseflow.scope import case_pages_only, visible

bp = Blueprint("escalation", __name__, url_prefix="/escalation")
PAGE_SIZE = 50


case_pages_only(bp)


def _cursor(raw: str | None) -> tuple[date, int] | None:
    try:
        day, case_id = (raw or "").split(".")
        return date.fromisoformat(day), db_int(case_id)
    except ValueError:
        return None


def _attention_list(attention: Attention, template: str):
    base = sa.select(Case).where(
        visible(current_user, Case), Case.attention == attention, Case.status.in_(WAITING_STATUSES))
    total = db.session.scalar(base.with_only_columns(sa.func.count()))
    query = base.options(selectinload(Case.office), selectinload(Case.assigned_to))
    after = _cursor(request.args.get("after"))
    if after is not None:
        query = query.where(sa.tuple_(Case.attention_since, Case.id) > sa.tuple_(sa.literal(after[0], sa.Date), after[1]))
    rows = db.session.scalars(query.order_by(Case.attention_since, Case.id).limit(PAGE_SIZE + 1)).unique().all()
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = f"{rows[-1].attention_since.isoformat()}.{rows[-1].id}"
    on = today()
    by_scheme_level = db.session.execute(
        base.with_only_columns(Case.scheme_id, Case.level, sa.func.count()).group_by(Case.scheme_id, Case.level)
    ).all()
    return render_template(
        template,
        cases=rows,
        total=total,
        next_cursor=next_cursor,
        first_page=after is None,
        why=_why_flagged(rows),
        groups=_groups(by_scheme_level),
        standing=lambda case: sla_standing(case, on),
        status_label=status_label,
        last_run=latest_run(),
        interrupted=interrupted_runs(),
    )


def _why_flagged(cases: list[Case]) -> dict[int, dict]:
    """The details of each case's latest ATTENTION event (missing level, skipped levels): one query."""
    if not cases:
        return {}
    events = db.session.execute(
        sa.select(CaseEvent.case_id, CaseEvent.details).where(
            CaseEvent.case_id.in_([c.id for c in cases]), CaseEvent.kind == EventKind.ATTENTION
        ).order_by(CaseEvent.id)
    ).all()
    return {case_id: details or {} for case_id, details in events}


def _groups(counts) -> list[dict]:
    """Flagged cases per scheme and level, with the office kind the next level names."""
    schemes = {s.id: s for s in db.session.scalars(sa.select(Scheme).where(Scheme.id.in_({r[0] for r in counts})))}
    groups = []
    for scheme_id, level, count in sorted(counts, key=lambda r: (-r[2], r[0], r[1])):
        scheme = schemes[scheme_id]
        next_level = scheme.level(level + 1)
        groups.append({"scheme": scheme, "level": level, "count": count,
                       "next_kind": next_level.office_kind if next_level else None})
    return groups


@bp.get("/stalled")
def stalled():
    return _attention_list(Attention.STALLED_AT_TOP, "escalation/stalled.html")


@bp.get("/configuration")
def configuration():
    return _attention_list(Attention.NEEDS_CONFIGURATION, "escalation/configuration.html")


@panels.register(bp, "escalation", order=10)
def case_panel(case: Case, user: User) -> dict:
    """What the case page shows from this domain (template: templates/escalation/_case_panel.html).

    The ladder with each level's office as it resolves today (accused and missing offices
    marked), where the next escalation would go — the same routing walk the escalation
    itself takes — and the case's attention flag. Sending back is a step of the case machine
    and shows among the case page's steps; the panel only says why it cannot be taken.
    """
    if not case.level or not case.scheme.levels:
        return {}
    waiting = case.status in WAITING_STATUSES
    with routing.using() as lookups:  # the case page's memo, when it has one
        blocked = lookups.blocked(case)
        offices = routing.ladder_offices(case)
        ladder = []
        for level in case.scheme.levels:
            office_id = offices[level.level]
            ladder.append({
                "level": level.level,
                "kind": level.office_kind,
                "days": level.time_limit_days,
                "office": db.session.get(Office, office_id) if office_id else None,
                "current": level.level == case.level,
                "blocked": office_id in blocked,
            })
        route = routing.route_up(case) if waiting else None
        no_send_back = (routing.why_not_down(case)
                        if waiting and case.level > 1 and user.role is Role.SUPERVISOR else None)
    return {
        "ladder": ladder,
        "waiting": waiting,
        "route": route,
        "attention": case.attention.value if case.attention else None,
        "attention_since": case.attention_since,
        "is_supervisor": user.role is Role.SUPERVISOR,
        "no_send_back": no_send_back,
    }
