"""What a review says about an in-charge's quarter, computed from the case timeline.

Counts come from `case_events` rows the in-charge made (actor_id) in the quarter, read with
the (actor_id, at) index (migration 4e71e3ed0016): an in-charge's quarter is an index range,
however big the table. The sweep's automatic escalations have no actor and are not counted as
theirs. Letters count by their dispatch and acknowledgement dates, for cases assigned to the
in-charge; bias reports by who filed them. Median days per step: from the case's previous
step (or its opening) to the in-charge's step, for the steps they took in the quarter.

The region median is the median, over the other in-charges in the reviewing supervisor's
areas, of the same timeline counts (one grouped query for all of them); letters and the
overdue share are the in-charge's own only (they would need every case of the region).

Outreach (visits, camps in settlements: issue 9) is not recorded yet: `outreach` is a hook
its domain fills (`register_outreach`); until then the figure is None ("not recorded yet").
"""
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.bias.models import BiasReport
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, EventKind, overdue
from caseflow.db import today
from caseflow.extensions import db
from caseflow.letters.models import Letter
from caseflow.reviews.quarters import Quarter

# The timeline counts, in the order a review shows them; each is (kind, trigger) of an event.
STEP_COUNTS = ("identified", "documented", "submitted", "escalated", "sanctioned", "rejected", "resolved",
               "closed", "reopened", "follow_ups")
_TRIGGER_COUNT = {"verify": "documented", "submit": "submitted", "escalate": "escalated", "appeal": "escalated",
                  "sanction": "sanctioned", "reject": "rejected", "deliver": "resolved", "close": "closed",
                  "reopen": "reopened"}
OTHER_COUNTS = ("letters_dispatched", "letters_acknowledged", "bias_reports")
COUNTS = STEP_COUNTS + OTHER_COUNTS
# The steps whose time a review shows, in lifecycle order.
TIMED_STEPS = ("verify", "submit", "escalate", "sanction", "deliver", "close")
# Ended-by-the-in-charge steps: a case they resolved or closed is drawn more often in the sample.
ENDING_TRIGGERS = ("deliver", "close")

_outreach: list[Callable[[User, Quarter], dict | None]] = []


def register_outreach(provider: Callable[[User, Quarter], dict | None]) -> None:
    """The outreach domain (issue 9) tells reviews what an in-charge did in settlements."""
    if provider not in _outreach:
        _outreach.append(provider)


def _count_key(kind: EventKind, trigger: str | None) -> str | None:
    if kind is EventKind.CREATED:
        return "identified"
    if kind is EventKind.FOLLOW_UP:
        return "follow_ups"
    if kind is EventKind.TRANSITION:
        return _TRIGGER_COUNT.get(trigger)
    return None


def _in_quarter(column, quarter: Quarter):
    lo, hi = quarter.bounds()
    return sa.and_(column >= lo, column < hi)


def step_counts(actor_ids: list[int], quarter: Quarter) -> dict[int, Counter]:
    """The timeline counts of each actor in the quarter: one grouped query on (actor_id, at)."""
    found: dict[int, Counter] = {actor_id: Counter() for actor_id in actor_ids}
    if not actor_ids:
        return found
    rows = db.session.execute(
        sa.select(CaseEvent.actor_id, CaseEvent.kind, CaseEvent.trigger, sa.func.count())
        .where(CaseEvent.actor_id.in_(actor_ids), _in_quarter(CaseEvent.at, quarter))
        .group_by(CaseEvent.actor_id, CaseEvent.kind, CaseEvent.trigger))
    for actor_id, kind, trigger, n in rows:
        key = _count_key(kind, trigger)
        if key is not None:
            found[actor_id][key] += n
    bias = db.session.execute(
        sa.select(BiasReport.filed_by_id, sa.func.count())
        .where(BiasReport.filed_by_id.in_(actor_ids), _in_quarter(BiasReport.filed_at, quarter))
        .group_by(BiasReport.filed_by_id))
    for actor_id, n in bias:
        found[actor_id]["bias_reports"] += n
    return found


def letter_counts(incharge: User, quarter: Quarter) -> dict[str, int]:
    """Letters on the in-charge's cases sent, and acknowledged, in the quarter (by their dates)."""
    mine = sa.select(Case.id).where(Case.assigned_to_id == incharge.id)
    within = lambda column: sa.and_(column >= quarter.start, column < quarter.end)  # noqa: E731
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(Letter)
                             .where(Letter.case_id.in_(mine), within(Letter.dispatched_on)))
    acknowledged = db.session.scalar(sa.select(sa.func.count()).select_from(Letter)
                                     .where(Letter.case_id.in_(mine), within(Letter.ack_date)))
    return {"letters_dispatched": sent or 0, "letters_acknowledged": acknowledged or 0}


def close_reasons(incharge: User, quarter: Quarter) -> dict[str, int]:
    rows = db.session.scalars(
        sa.select(CaseEvent.details).where(CaseEvent.actor_id == incharge.id, _in_quarter(CaseEvent.at, quarter),
                                           CaseEvent.kind == EventKind.TRANSITION, CaseEvent.trigger == "close"))
    return dict(sorted(Counter((details or {}).get("close_reason") or "unknown" for details in rows).items()))


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def median_days(incharge: User, quarter: Quarter) -> dict[str, float | None]:
    """Per step: the median days from the case's previous step (or opening) to the in-charge's step."""
    mine = db.session.execute(
        sa.select(CaseEvent.id, CaseEvent.case_id, CaseEvent.trigger, CaseEvent.at)
        .where(CaseEvent.actor_id == incharge.id, _in_quarter(CaseEvent.at, quarter),
               CaseEvent.kind == EventKind.TRANSITION, CaseEvent.trigger.in_(TIMED_STEPS))).all()
    case_ids = sorted({row.case_id for row in mine})
    history: dict[int, list] = defaultdict(list)
    for i in range(0, len(case_ids), 500):
        for row in db.session.execute(
                sa.select(CaseEvent.id, CaseEvent.case_id, CaseEvent.at)
                .where(CaseEvent.case_id.in_(case_ids[i:i + 500]),
                       CaseEvent.kind.in_((EventKind.CREATED, EventKind.TRANSITION)))):
            history[row.case_id].append((row.at, row.id))
    days: dict[str, list[float]] = defaultdict(list)
    for row in mine:
        earlier = [moment for moment in history[row.case_id] if moment < (row.at, row.id)]
        if earlier:
            days[row.trigger].append((row.at - max(earlier)[0]).total_seconds() / 86400)
    return {step: _median(days[step]) for step in TIMED_STEPS}


def overdue_share(incharge: User) -> dict:
    """Of the cases assigned to the in-charge waiting on an office now, how many are overdue."""
    base = sa.select(sa.func.count()).select_from(Case).where(
        Case.assigned_to_id == incharge.id, Case.status.in_(WAITING_STATUSES))
    waiting = db.session.scalar(base) or 0
    late = db.session.scalar(base.where(overdue(today()))) or 0
    return {"waiting": waiting, "overdue": late, "share": round(late / waiting, 3) if waiting else None,
            "as_of": today().isoformat()}


def outreach(incharge: User, quarter: Quarter) -> dict | None:
    for provider in _outreach:
        found = provider(incharge, quarter)
        if found is not None:
            return found
    return None


def own_counts(incharge: User, quarter: Quarter) -> dict[str, int]:
    counts = step_counts([incharge.id], quarter)[incharge.id]
    return {key: int(counts.get(key, 0)) for key in STEP_COUNTS + ("bias_reports",)} | letter_counts(incharge, quarter)


def region_median(peer_ids: list[int], quarter: Quarter) -> dict:
    """The median of each timeline count over the peers (None when there are none)."""
    per_peer = step_counts(peer_ids, quarter)
    median = {key: (statistics.median([per_peer[p].get(key, 0) for p in peer_ids]) if peer_ids else None)
              for key in STEP_COUNTS + ("bias_reports",)}
    return {"peers": len(peer_ids), "median": median}


def compute(incharge: User, quarter: Quarter, *, peer_ids: list[int], previous: dict | None) -> dict:
    """Every figure of the review, as JSON-ready values (frozen into the review at sign-off).

    `previous`: the previous quarter's frozen figures, if its review was signed; else its counts
    are computed from the timeline here (its overdue share cannot be, so it is absent).
    """
    counts = own_counts(incharge, quarter)
    if previous is not None:
        before = previous.get("counts")
    else:
        before = own_counts(incharge, quarter.previous())
    return {
        "quarter": quarter.code(),
        "counts": counts,
        "close_reasons": close_reasons(incharge, quarter),
        "median_days": median_days(incharge, quarter),
        "overdue": overdue_share(incharge),
        "outreach": outreach(incharge, quarter),
        "previous": before,
        "region": region_median(peer_ids, quarter),
    }


def sample_candidates(incharge: User, quarter: Quarter) -> dict[int, bool]:
    """The cases the in-charge worked on in the quarter, and whether they resolved or closed it then."""
    rows = db.session.execute(
        sa.select(CaseEvent.case_id, sa.func.max(sa.case(
            (sa.and_(CaseEvent.kind == EventKind.TRANSITION, CaseEvent.trigger.in_(ENDING_TRIGGERS)), 1), else_=0)))
        .where(CaseEvent.actor_id == incharge.id, _in_quarter(CaseEvent.at, quarter))
        .group_by(CaseEvent.case_id))
    return {case_id: bool(ended) for case_id, ended in rows}
