"""Where a case goes when it escalates, and the verbs of the escalation domain.

- `route_up`: the next ladder level whose office resolves and is not accused in a bias report
  that blocks routing (`caseflow.bias.services.blocked_office_ids`), or why there is none:
  the case is at the top (every level above may be blocked), or an office is not configured.
- `escalate`: manual escalation from the case page — the case machine's `escalate` step,
  then the letter to the new addressee.
- `overdue_batch` / `sweep_case`: the sweep's one selection query and what it does with each
  case it selects: escalate it, or flag it for a supervisor. Never nothing, never silently.
- `send_back`: a supervisor returns a case one level down (the CM Helpline 181 practice of
  sending a grievance back to the level that should decide it).

Services flush and never commit: views commit once per request, the sweep command once per
batch (see caseflow/escalation/cli.py).
"""
import enum
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.models import Area, Office
from caseflow.areas.services import resolve_office
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.bias.models import BiasReport
from caseflow.bias.services import blocked_office_ids
from caseflow.cases import workflow
from caseflow.cases.models import WAITING_STATUSES, Attention, Case, CaseEvent, CaseStatus, EventKind
from caseflow.cases.services import CaseError, transition
from caseflow.db import today, utcnow
from caseflow.escalation.models import SweepRun
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days
from caseflow.identity import scrub_aadhaar
from caseflow.letters.services import draft_letter
from caseflow.scope import path_in_scope

# --- routing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Where escalation takes a case: a level and its office, or the reason it cannot move."""

    level: int | None = None
    office_id: int | None = None
    time_limit_days: int | None = None
    skipped: tuple[int, ...] = ()  # levels passed over because their office is accused
    attention: Attention | None = None  # set when the case cannot move
    missing_level: int | None = None  # needs configuration: the level whose office is not set up

    @property
    def blocked_by_bias(self) -> bool:
        """Stalled only because every level above is held by an accused office."""
        return self.attention is Attention.STALLED_AT_TOP and bool(self.skipped)


class Lookups:
    """Office resolution, bias blocks and due dates: live for one case, memoised for a sweep run.

    A sweep run works on one clock and meets the same few thousand (settlement, office kind)
    pairs again and again. It remembers office *ids* (ORM objects expire at every batch's
    commit) and due dates per time limit, and per batch asks once which cases have any bias
    report, so that the bias rule itself (`blocked_office_ids`) runs only for those. An office
    an administrator adds during a run is seen by the next run.
    """

    def __init__(self, memo: bool = False):
        self.memo = memo
        self._office_ids: dict[tuple[str, int], int | None] = {}
        self._due: dict[tuple[date, int], date] = {}
        self._reported: set[int] | None = None
        self._batch_objects: list = []

    def office_id(self, area_path: str, kind_id: int) -> int | None:
        key = (area_path, kind_id)
        if self.memo and key in self._office_ids:
            return self._office_ids[key]
        office = resolve_office(area_path, kind_id)
        found = office.id if office is not None else None
        if self.memo:
            self._office_ids[key] = found
        return found

    def blocked(self, case: Case) -> set[int]:
        if self._reported is not None and case.id not in self._reported:
            return set()
        return blocked_office_ids(case)

    def due_date(self, working_days: int) -> date:
        key = (today(), working_days)
        if not self.memo:
            return add_working_days(*key)
        if key not in self._due:
            self._due[key] = add_working_days(*key)
        return self._due[key]

    def prepare_batch(self, cases: list[Case]) -> None:
        """Read once what a batch of cases will need: which have bias reports, and (two queries)
        the offices they will be addressed to and their districts, for the letters."""
        self._reported = set(db.session.scalars(
            sa.select(BiasReport.case_id).where(BiasReport.case_id.in_([c.id for c in cases])).distinct()
        ))
        targets = {route_up(case, self).office_id for case in cases} - {None}
        districts = {case.area.district_id for case in cases} - {None}
        # Held here: the session's identity map only keeps weak references.
        self._batch_objects = [
            *(db.session.scalars(sa.select(Office).where(Office.id.in_(targets))).all() if targets else ()),
            *(db.session.scalars(sa.select(Area).where(Area.id.in_(districts))).all() if districts else ()),
        ]


def route_up(case: Case, lookups: Lookups | None = None) -> Route:
    """The level above the case's that escalation moves it to, skipping accused offices."""
    lookups = lookups or Lookups()
    if case.level >= case.scheme.top_level:
        return Route(attention=Attention.STALLED_AT_TOP)
    blocked: set[int] | None = None
    skipped: list[int] = []
    for ladder_level in case.scheme.levels:  # bottom first
        if ladder_level.level <= case.level:
            continue
        office_id = lookups.office_id(case.area_path, ladder_level.office_kind_id)
        if office_id is None:
            return Route(attention=Attention.NEEDS_CONFIGURATION, missing_level=ladder_level.level,
                         skipped=tuple(skipped))
        if blocked is None:
            blocked = lookups.blocked(case)
        if office_id in blocked:
            skipped.append(ladder_level.level)
            continue
        return Route(level=ladder_level.level, office_id=office_id, time_limit_days=ladder_level.time_limit_days,
                     skipped=tuple(skipped))
    return Route(attention=Attention.STALLED_AT_TOP, skipped=tuple(skipped))


def next_level(case: Case) -> int:
    """The level `escalate` and `appeal` move a case to (used by cases.services._plan).

    An unresolvable office keeps the old behaviour of the case machine (the case moves and
    its page shows the configuration problem); a case whose every higher office is accused
    cannot move at all.
    """
    route = route_up(case)
    if route.level is not None:
        return route.level
    if route.missing_level is not None:
        return route.missing_level
    if route.skipped:
        raise CaseError(_l("Every level above is held by an office accused in a bias report; a supervisor must "
                           "decide where this case goes."))
    return case.level + 1  # at the top: the machine's own guard refuses with its message


def _kind_name(case: Case, level: int) -> str:
    ladder_level = case.scheme.level(level)
    return ladder_level.office_kind.name(str(get_locale() or "hi")) if ladder_level else "?"


# --- manual escalation ------------------------------------------------------------------------


def escalate(case: Case, actor: User, data: dict, *, expected_version: int | None) -> CaseEvent:
    """Escalate from the case page: the machine's step (bias skip included), then the letter.

    Refuses (CaseError) where the sweep would flag the case instead: no office set up at the
    next level, or every level above accused. Raises Stale / TransitionRefused as
    `cases.services.transition` does; nothing is written then.
    """
    if expected_version is None or case.version != expected_version:
        raise Stale()
    route = route_up(case)
    if route.missing_level is not None:
        raise CaseError(_l("No “%(kind)s” office is set up for this case's area, so it cannot go to level %(n)d. "
                           "Ask an administrator to add the office.",
                           kind=_kind_name(case, route.missing_level), n=route.missing_level))
    if route.blocked_by_bias:
        raise CaseError(_l("Every level above is held by an office accused in a bias report; a supervisor must "
                           "decide where this case goes."))
    from_level = case.level
    event = transition(case, actor, "escalate", data, expected_version=expected_version)
    _after_escalation(case, actor, from_level, route)
    db.session.flush()
    return event


def _after_escalation(case: Case, actor, from_level: int, route: Route) -> None:
    """What every escalation does once the case sits at its new level: flag off, bias skip on record, letter."""
    _clear_attention(case)
    if route.skipped:
        record("case.bias_skip", actor=actor, obj=case, data={
            "from_level": from_level, "to_level": case.level, "skipped_levels": list(route.skipped)})
    ladder_level = case.scheme.level(case.level)
    draft_letter(case, db.session.get(Office, case.office_id), actor=actor, level=case.level,
                 due_within_days=ladder_level.time_limit_days if ladder_level else None)


# --- the sweep --------------------------------------------------------------------------------


class Outcome(enum.Enum):
    ESCALATED = "escalated"
    STALLED_AT_TOP = "stalled_at_top"
    NEEDS_CONFIGURATION = "needs_configuration"
    CHANGED = "changed"  # no longer overdue when locked: someone acted on it meanwhile
    REFUSED = "refused"  # the case machine refused: a bug or an inconsistent case, reported loudly


_FLAGGED = {Attention.STALLED_AT_TOP: Outcome.STALLED_AT_TOP,
            Attention.NEEDS_CONFIGURATION: Outcome.NEEDS_CONFIGURATION}


def overdue_batch(status: CaseStatus, after: tuple[date, int] | None, limit: int, *,
                  lock: bool) -> list[tuple[int, date]]:
    """The sweep's selection: the next `limit` overdue cases of one waiting status, as (id, due date).

    One query per batch, a bounded range of ix_cases_due (status, due_date) walked in
    (due date, id) order from the keyset `after`, so a case left in place (stalled, needs
    configuration) is passed once per run and never selected again by the same run. Each
    waiting status is its own contiguous range of the index, walked one after the other.

    `lock`: PostgreSQL locks the rows and skips those another transaction holds (a second
    sweep, a user editing the case): FOR UPDATE re-evaluates the WHERE clause on the row's
    latest committed version, so a case another sweep has just escalated drops out. SQLite has
    no row locks and ignores the clause: the batch's transaction began with BEGIN IMMEDIATE,
    so it already holds the database's write lock and reads what other writers committed.
    """
    on = today()
    query = sa.select(Case.id, Case.due_date).where(Case.status == status, Case.due_date < on)
    if after is not None:
        after_due, after_id = after
        query = query.where(Case.due_date >= after_due, sa.or_(Case.due_date > after_due, Case.id > after_id))
    query = query.order_by(Case.due_date, Case.id).limit(limit)
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [(row.id, row.due_date) for row in db.session.execute(query)]


def load_cases(case_ids: list[int]) -> list[Case]:
    """The selected cases as ORM objects, fresh from the database, in the order given."""
    rows = db.session.scalars(
        sa.select(Case).where(Case.id.in_(case_ids))
        # The sweep never reads the beneficiary: do not load personal data it does not need.
        .options(lazyload(Case.beneficiary)).execution_options(populate_existing=True)
    ).unique().all()
    by_id = {case.id: case for case in rows}
    return [by_id[i] for i in case_ids if i in by_id]


def _still_overdue(case: Case) -> bool:
    return case.status in WAITING_STATUSES and case.due_date is not None and case.due_date < today()


def preview(case: Case, lookups: Lookups) -> tuple[Outcome, Route | None]:
    """What `sweep_case` would do, changing nothing (the sweep's --dry-run)."""
    if not _still_overdue(case):
        return Outcome.CHANGED, None
    route = route_up(case, lookups)
    if route.attention is not None:
        return _FLAGGED[route.attention], route
    return Outcome.ESCALATED, route


def sweep_case(case: Case, lookups: Lookups) -> tuple[Outcome, Route | None]:
    """Escalate one overdue case by exactly one step, or flag why it cannot move.

    The predicate is checked again here, inside the batch's transaction and after the lock:
    a case someone sanctioned, or another sweep escalated, since the selection is left alone.
    The escalation goes through the case machine with the system actor (the `escalate` step's
    guards admit it for overdue cases only); the plan comes from `route_up`, so an accused
    office is skipped exactly as in a manual escalation.
    """
    outcome, route = preview(case, lookups)
    if outcome is Outcome.CHANGED:
        return outcome, route
    if route.attention is not None:
        flag(case, route)
        return outcome, route
    overdue_since = case.due_date
    before, from_level = case.status, case.level
    plan = {"level": route.level, "office_id": route.office_id, "due_date": lookups.due_date(route.time_limit_days)}
    try:
        workflow.fire(case, "escalate", actor=workflow.SYSTEM, data={}, plan=plan)
    except workflow.TransitionRefused:
        # fire() changes nothing when it refuses: the batch goes on, the command reports the case.
        return Outcome.REFUSED, route
    event = CaseEvent(
        case_id=case.id, kind=EventKind.TRANSITION, actor_id=None, trigger="escalate", from_status=before,
        to_status=case.status, level=case.level, office_id=case.office_id,
        details={"sweep": True, "overdue_since": overdue_since.isoformat(), "from_level": from_level,
                 "skipped_levels": list(route.skipped)},
    )
    db.session.add(event)
    db.session.flush()
    # The same entry cases.services.transition writes for a step taken by a user.
    record("case.transition", actor=None, obj=case, data={
        "trigger": "escalate", "from": before, "to": case.status, "level": case.level, "office_id": case.office_id,
        "event_id": event.id, "fields": []})
    _after_escalation(case, workflow.SYSTEM, from_level, route)
    return outcome, route


def flag(case: Case, route: Route) -> bool:
    """Put the case on a supervisor's list. Only a new or changed flag writes an event and an audit entry."""
    attention = route.attention
    if case.attention is attention:
        return False
    case.attention, case.attention_since = attention, today()
    details: dict = {"attention": attention.value}
    if route.missing_level is not None:
        ladder_level = case.scheme.level(route.missing_level)
        details.update(missing_level=route.missing_level, office_kind_id=ladder_level.office_kind_id)
    if route.skipped:
        details["skipped_levels"] = list(route.skipped)
    db.session.add(CaseEvent(case_id=case.id, kind=EventKind.ATTENTION, actor_id=None, level=case.level or None,
                             office_id=case.office_id, details=details))
    record("case.attention", actor=None, obj=case, data=details)
    return True


def _clear_attention(case: Case) -> None:
    case.attention = case.attention_since = None


def release_moved_on(after_id: int, limit: int, *, lock: bool) -> tuple[int, int | None]:
    """Clear the flag of cases that moved on without the sweep (sanctioned, closed, a promise).

    One batch of them, after the case id `after_id`: (how many were cleared, the last id seen, or
    None when there are no more). The partial index ix_cases_attention makes this read only the
    flagged cases.
    """
    on = today()
    query = sa.select(Case).where(
        Case.attention.is_not(None),
        sa.or_(Case.status.not_in(WAITING_STATUSES), Case.due_date.is_(None), Case.due_date >= on),
        Case.id > after_id,
    ).order_by(Case.id).limit(limit).options(lazyload(Case.beneficiary)).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update(of=Case, skip_locked=True)
    cases = db.session.scalars(query).unique().all()
    for case in cases:
        record("case.attention_cleared", actor=None, obj=case, data={"attention": case.attention.value})
        _clear_attention(case)
    db.session.flush()
    return len(cases), (cases[-1].id if cases else None)


def start_run(host: str | None) -> SweepRun:
    run = SweepRun(as_of=today(), host=(host or "")[:120] or None)
    db.session.add(run)
    db.session.flush()
    record("sweep.started", obj=run, data={"as_of": run.as_of})
    return run


def finish_run(run: SweepRun, counts: dict[Outcome, int]) -> SweepRun:
    run.escalated = counts.get(Outcome.ESCALATED, 0)
    run.stalled_at_top = counts.get(Outcome.STALLED_AT_TOP, 0)
    run.needs_configuration = counts.get(Outcome.NEEDS_CONFIGURATION, 0)
    run.finished_at = utcnow()
    db.session.flush()
    record("sweep.finished", obj=run, data={"escalated": run.escalated, "stalled_at_top": run.stalled_at_top,
                                            "needs_configuration": run.needs_configuration})
    return run


def still_pending() -> int:
    """Overdue waiting cases with no flag: left for the next run (locked by someone, or a second sweep's)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(WAITING_STATUSES), Case.due_date < today(), Case.attention.is_(None))
    ) or 0


# --- sending a case back down -----------------------------------------------------------------


def can_send_back(case: Case, user: User) -> bool:
    return (getattr(user, "role", None) is Role.SUPERVISOR and case.status in WAITING_STATUSES and case.level > 1
            and path_in_scope(user, case.area_path))


def send_back(case: Case, actor: User, *, reason: str, expected_version: int | None) -> CaseEvent:
    """A supervisor returns the case to the level below, with a fresh clock there."""
    if expected_version is None or case.version != expected_version:
        raise Stale()
    if getattr(actor, "role", None) is not Role.SUPERVISOR:
        raise CaseError(_l("Only a supervisor can send a case back down."))
    if not path_in_scope(actor, case.area_path):
        raise CaseError(_l("The case is outside your areas."))
    if case.status not in WAITING_STATUSES:
        raise CaseError(_l("Only a case waiting on an office can be sent back."))
    if case.level <= 1:
        raise CaseError(_l("The case is at the first level; it cannot go lower."))
    reason = scrub_aadhaar((reason or "").strip())
    if not reason:
        raise CaseError(_l("A reason is required."))
    target = case.level - 1
    ladder_level = case.scheme.level(target)
    office = resolve_office(case.area_path, ladder_level.office_kind_id) if ladder_level else None
    if office is None:
        raise CaseError(_l("No “%(kind)s” office is set up for this case's area, so it cannot go to level %(n)d. "
                           "Ask an administrator to add the office.", kind=_kind_name(case, target), n=target))
    if office.id in blocked_office_ids(case):
        raise CaseError(_l("The office at level %(n)d is accused in a bias report on this case; the case cannot be "
                           "sent back to it.", n=target))
    from_level = case.level
    case.level, case.office_id = target, office.id
    case.due_date = add_working_days(today(), ladder_level.time_limit_days)
    _clear_attention(case)
    event = CaseEvent(case_id=case.id, kind=EventKind.SENT_BACK, actor_id=actor.id, level=target,
                      office_id=office.id, note=reason, details={"from_level": from_level, "to_level": target})
    db.session.add(event)
    record("case.sent_back", actor=actor, obj=case,
           data={"from_level": from_level, "to_level": target, "office_id": office.id})
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Stale() from exc
    return event
