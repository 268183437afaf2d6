"""Where a case goes on its scheme's ladder: the one walk every move uses.

- `route_up`: the next level whose office resolves and is not accused in a report that
  blocks routing, or why there is none (at the top, every level above accused, an office
  not configured). Escalation, appeal and the sweep all move by it; the case machine's
  guard asks it too, so the *Escalate* button shows only when the move can be made.
- `route_down`: the level below, for a supervisor's send-back.
- `route_at`: a given level (submission, reopening), where a missing office is allowed and
  shown on the case page as a configuration problem.

Offices a case must not be routed to come from providers that other domains register
(`register_blocker`): the bias domain knows which offices are accused. The provider sits
above the cases domain, so the import goes one way.

`Lookups` memoises office resolution, due dates, blocks and routes: for one attempt (the
guard and the service share one walk) or, with `memo=True`, for a whole sweep run.
"""
import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import Office, path_ids
from caseflow.areas.services import resolve_office
from caseflow.cases.models import Attention, Case
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days, week_of

# A provider takes case ids and answers {case id: office ids the case must not be routed to}.
Blocker = Callable[[list[int]], dict[int, set[int]]]
_blockers: list[Blocker] = []


def register_blocker(provider: Blocker) -> None:
    if provider not in _blockers:
        _blockers.append(provider)


def blocked_offices(case_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for provider in _blockers:
        for case_id, offices in provider(case_ids).items():
            found.setdefault(case_id, set()).update(offices)
    return found


@dataclass(frozen=True)
class Route:
    """Where a move takes a case: a level and its office, or why it cannot move."""

    level: int | None = None
    office_id: int | None = None
    time_limit_days: int | None = None
    skipped: tuple[int, ...] = ()  # levels passed over because their office is accused
    attention: Attention | None = None  # up: set when the case cannot move
    missing_level: int | None = None  # the level whose office is not set up
    blocked_level: int | None = None  # down: the level below is held by an accused office

    @property
    def possible(self) -> bool:
        return self.level is not None and self.office_id is not None

    @property
    def blocked_by_bias(self) -> bool:
        """Stalled only because every level above is held by an accused office."""
        return self.attention is Attention.STALLED_AT_TOP and bool(self.skipped)


class Lookups:
    """What routing reads, remembered: for one attempt, or a whole sweep run (`memo=True`).

    A sweep run works on one clock and meets thousands of settlements: it reads every office's
    place and kind once (a few thousand rows) and resolves offices from that in Python, keeps
    the office ids it found (ORM objects expire at every batch's commit) and due dates per time
    limit, and `prepare_blocks` asks once per batch which offices each case must avoid. An
    office an administrator adds during a run is seen by the next run.
    """

    def __init__(self, memo: bool = False):
        self.memo = memo
        self._office_ids: dict[tuple[str, int], int | None] = {}
        self._due: dict[tuple[date, int], date] = {}
        self._blocks: dict[int, set[int]] = {}
        self._known: set[int] = set()  # cases whose blocks are in _blocks (none listed: none)
        self._routes: dict[tuple, Route] = {}
        self._kept: list = []
        self._offices: dict[tuple[int, int], int] | None = None

    def office_id(self, area_path: str, kind_id: int) -> int | None:
        key = (area_path, kind_id)
        if key not in self._office_ids:
            if self.memo:
                self._office_ids[key] = self._nearest(area_path, kind_id)
            else:
                office = resolve_office(area_path, kind_id)
                self._office_ids[key] = office.id if office is not None else None
        return self._office_ids[key]

    def _nearest(self, area_path: str, kind_id: int) -> int | None:
        """`resolve_office` answered from every office's place and kind, read once for the run:
        a sweep meets thousands of settlements, each of which would otherwise cost a query."""
        if self._offices is None:
            self._offices = {(area_id, kind): office_id for office_id, area_id, kind in
                             db.session.execute(sa.select(Office.id, Office.area_id, Office.kind_id))}
        for area_id in reversed(path_ids(area_path)):  # deepest first
            office_id = self._offices.get((area_id, kind_id))
            if office_id is not None:
                return office_id
        return None

    def prepare_blocks(self, case_ids: list[int]) -> None:
        """One question for a whole batch instead of one per case."""
        self._blocks.update(blocked_offices(case_ids))
        self._known.update(case_ids)

    def blocked(self, case: Case) -> set[int]:
        if case.id not in self._known:
            self.prepare_blocks([case.id])
        return self._blocks.get(case.id, set())

    def due_date(self, working_days: int, area_path: str | None = None, start: date | None = None) -> date:
        """`working_days` after `start` (today) in the working week of the state `area_path` lies in."""
        key = (start or today(), working_days, week_of(area_path))
        if key not in self._due:
            self._due[key] = add_working_days(*key)
        return self._due[key]

    def keep(self, objects: list) -> None:
        """Hold ORM objects a batch will use (the identity map keeps only weak references)."""
        self._kept = list(objects)

    def route(self, case: Case, direction: str, compute: Callable[[], Route]) -> Route:
        key = (case.id, case.level, direction)
        if key not in self._routes:
            self._routes[key] = compute()
        return self._routes[key]


_current: contextvars.ContextVar[Lookups | None] = contextvars.ContextVar("routing_lookups", default=None)


@contextlib.contextmanager
def using(lookups: Lookups | None = None):
    """Share `lookups` (or a fresh one, if none is active) with every route asked for in the block."""
    active = _current.get()
    if lookups is None and active is not None:
        yield active
        return
    token = _current.set(lookups or Lookups())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _lookups() -> Lookups:
    return _current.get() or Lookups()


def ladder_offices(case: Case) -> dict[int, int | None]:
    """Each level of the case's ladder and the id of the office it resolves to for the case's place."""
    lookups = _lookups()
    return {lv.level: lookups.office_id(case.area_path, lv.office_kind_id) for lv in case.scheme.levels}


def route_up(case: Case) -> Route:
    """The level above the case's that escalation moves it to, skipping accused offices."""
    lookups = _lookups()
    return lookups.route(case, "up", lambda: _walk_up(case, lookups))


def _walk_up(case: Case, lookups: Lookups) -> Route:
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


def route_down(case: Case) -> Route:
    """The level below the case's, for a send-back: its office must resolve and not be accused."""
    lookups = _lookups()
    return lookups.route(case, "down", lambda: _walk_down(case, lookups))


def _walk_down(case: Case, lookups: Lookups) -> Route:
    target = case.level - 1
    ladder_level = case.scheme.level(target)
    if ladder_level is None:
        return Route()
    office_id = lookups.office_id(case.area_path, ladder_level.office_kind_id)
    if office_id is None:
        return Route(missing_level=target)
    if office_id in lookups.blocked(case):
        return Route(blocked_level=target)
    return Route(level=target, office_id=office_id, time_limit_days=ladder_level.time_limit_days)


def route_at(case: Case, level: int) -> Route:
    """Who is responsible at `level` (submission, reopening); the office may be missing."""
    ladder_level = case.scheme.level(level)
    if ladder_level is None:
        return Route()
    office_id = _lookups().office_id(case.area_path, ladder_level.office_kind_id)
    return Route(level=level, office_id=office_id, time_limit_days=ladder_level.time_limit_days,
                 missing_level=None if office_id else level)


def due_date(route: Route, case: Case) -> date:
    return _lookups().due_date(route.time_limit_days, case.area_path)


def _missing_office(case: Case, level: int):
    ladder_level = case.scheme.level(level)
    kind = ladder_level.office_kind.name(str(get_locale() or "hi")) if ladder_level else "?"
    return _l("No “%(kind)s” office is set up for this case's area, so it cannot go to level %(n)d. "
              "Ask an administrator to add the office.", kind=kind, n=level)


def why_not_up(case: Case):
    """The user's message for a case that cannot move up (None when it can)."""
    route = route_up(case)
    if route.possible:
        return None
    if route.missing_level is not None:
        return _missing_office(case, route.missing_level)
    if route.blocked_by_bias:
        return _l("Every level above is held by an office accused in a bias report; a supervisor must "
                  "decide where this case goes.")
    return _l("The case is already at the top level of the scheme's ladder.")


def why_not_down(case: Case):
    """The user's message for a case that cannot be sent back (None when it can)."""
    if case.level <= 1:
        return _l("The case is at the first level; it cannot go lower.")
    route = route_down(case)
    if route.possible:
        return None
    if route.missing_level is not None:
        return _missing_office(case, route.missing_level)
    if route.blocked_level is not None:
        return _l("The office at level %(n)d is accused in a bias report on this case; the case cannot be "
                  "sent back to it.", n=route.blocked_level)
    return _l("The case is at the first level; it cannot go lower.")
