"""The escalation sweep: every overdue case waiting on an office moves up exactly one level, or
is flagged for a supervisor. Never nothing, never silently.

- `overdue_batch` / `load_cases` / `prepare_batch`: the sweep's one selection query per batch
  and what it reads once for the whole batch.
- `sweep_batch`: escalates a batch of cases through `caseflow.cases.services.transition_many`
  — the same path as an escalation from the case page (a batch of one) or an appeal (routing
  with the bias skip, events, audit entries, letters) — with the system actor, and flags
  those (stalled at the top, needs configuration) for which `caseflow.cases.routing.route_up`
  finds nowhere to go.
- `start_run` / `heartbeat` / `finish_run` / `release_moved_on` / `still_pending`: the run's
  record; `mark_interrupted`: a run whose process died (killed, machine down) is found by the
  next run and recorded as interrupted, with how far it got.

Services flush and never commit: the sweep command commits once per batch (see
caseflow/escalation/cli.py).
"""
import enum
import os
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from caseflow.areas.models import Area, Office
from caseflow.audit.services import record
from caseflow.cases import routing, workflow
from caseflow.cases.models import WAITING_STATUSES, Attention, Case, CaseStatus, EventKind, overdue
from caseflow.cases.routing import Lookups, Route
from caseflow.cases.services import insert_events, transition_many, write_cases
from caseflow.db import today, utcnow
from caseflow.escalation.models import SweepRun
from caseflow.extensions import db

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


def prepare_batch(cases: list[Case], lookups: Lookups) -> None:
    """Read once what a batch of cases will need: which offices each must avoid, and (two
    queries) the offices they will be addressed to and their districts, for the letters."""
    lookups.prepare_blocks([case.id for case in cases])
    with routing.using(lookups):
        targets = {route.office_id for case in cases if (route := routing.route_up(case)).possible}
    districts = {case.area.district_id for case in cases} - {None}
    # Held by the lookups: the session's identity map only keeps weak references.
    lookups.keep([
        *(db.session.scalars(sa.select(Office).where(Office.id.in_(targets))).all() if targets else ()),
        *(db.session.scalars(sa.select(Area).where(Area.id.in_(districts))).all() if districts else ()),
    ])


def preview(case: Case, lookups: Lookups) -> tuple[Outcome, Route | None]:
    """What `sweep_case` would do, changing nothing (the sweep's --dry-run)."""
    if not _still_overdue(case):
        return Outcome.CHANGED, None
    with routing.using(lookups):
        route = routing.route_up(case)
    if route.attention is not None:
        return _FLAGGED[route.attention], route
    return Outcome.ESCALATED, route


def sweep_batch(cases: list[Case], lookups: Lookups) -> list[tuple[Outcome, Route | None]]:
    """Escalate each overdue case of the batch by exactly one step, or flag why it cannot move.

    The predicate is checked again here, inside the batch's transaction and after the lock:
    a case someone sanctioned, or another sweep escalated, since the selection is left alone.
    The escalations are one `transition_many(..., "escalate")` with the system actor, whom the
    step's guards admit for overdue cases only: per case exactly what a user's escalation does.
    A case the machine refuses is left unchanged; the batch goes on and the command reports it.
    """
    outcomes: list[tuple[Outcome, Route | None]] = []
    moving: list[int] = []
    flagged: list[tuple[Case, Route]] = []
    for case in cases:
        outcome, route = preview(case, lookups)
        if outcome is not Outcome.CHANGED and route.attention is not None:
            flagged.append((case, route))
        elif outcome is Outcome.ESCALATED:
            moving.append(len(outcomes))
        outcomes.append((outcome, route))
    flag_many(flagged)
    if moving:
        batch = [cases[i] for i in moving]
        results = transition_many(batch, workflow.SYSTEM, "escalate", {},
                                  expected_versions=[case.version for case in batch], lookups=lookups)
        for i, result in zip(moving, results, strict=True):
            if isinstance(result, Exception):
                outcomes[i] = (Outcome.REFUSED, outcomes[i][1])
    return outcomes


def flag(case: Case, route: Route) -> bool:
    """Put the case on a supervisor's list: `flag_many` with one case."""
    return flag_many([(case, route)]) == 1


def flag_many(flags: list[tuple[Case, Route]]) -> int:
    """Put cases on a supervisor's list. Only a new or changed flag writes an event and an audit
    entry; the cases are written in one statement and the events in one insert. How many changed."""
    changed, rows, entries = [], [], []
    on = today()
    for case, route in flags:
        attention = route.attention
        if case.attention is attention:
            continue
        case.attention, case.attention_since = attention, on
        details: dict = {"attention": attention.value}
        if route.missing_level is not None:
            ladder_level = case.scheme.level(route.missing_level)
            details.update(missing_level=route.missing_level, office_kind_id=ladder_level.office_kind_id)
        if route.skipped:
            details["skipped_levels"] = list(route.skipped)
        changed.append(case)
        rows.append({"case_id": case.id, "kind": EventKind.ATTENTION, "actor_id": None, "level": case.level or None,
                     "office_id": case.office_id, "details": details, "at": utcnow()})
        entries.append((case, details))
    if not changed:
        return 0
    write_cases(changed)
    insert_events(rows)
    for case, details in entries:
        record("case.attention", actor=None, obj=case, data=details)
    return len(changed)


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
        case.attention = case.attention_since = None
    db.session.flush()
    return len(cases), (cases[-1].id if cases else None)


def start_run(host: str | None, pid: int | None = None) -> SweepRun:
    """The record of a new run; first, earlier runs found dead are marked interrupted."""
    host = (host or "")[:120] or None
    mark_interrupted(host)
    now = utcnow()
    run = SweepRun(as_of=today(), host=host, pid=pid, started_at=now, heartbeat_at=now)
    db.session.add(run)
    db.session.flush()
    record("sweep.started", actor=None, obj=run, data={"as_of": run.as_of})
    return run


def heartbeat(run_id: int, counts: dict[Outcome, int]) -> None:
    """Written in each batch's transaction: the run is alive, and how far it got (committed
    with the batch, so the counts are what is really done). A run wrongly taken for dead
    (a batch that waited longer than the timeout) clears its mark here."""
    db.session.execute(sa.update(SweepRun).where(SweepRun.id == run_id).values(
        heartbeat_at=utcnow(), interrupted_at=None,
        escalated=counts.get(Outcome.ESCALATED, 0), stalled_at_top=counts.get(Outcome.STALLED_AT_TOP, 0),
        needs_configuration=counts.get(Outcome.NEEDS_CONFIGURATION, 0)))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def mark_interrupted(host: str | None) -> list[SweepRun]:
    """Mark the unfinished runs whose process is gone as interrupted, and audit each once.

    Gone: on this host, its process id no longer runs; on any host, its last batch (the
    heartbeat) is older than SWEEP_HEARTBEAT_TIMEOUT_SECONDS, which a live run never is, as
    it beats at every batch. A sweep running at the same time elsewhere, or in another process
    here, is alive by both rules and left alone. Each host must have its own name.
    """
    now = utcnow()
    timeout = timedelta(seconds=current_app.config["SWEEP_HEARTBEAT_TIMEOUT_SECONDS"])
    unfinished = db.session.scalars(sa.select(SweepRun).where(
        SweepRun.finished_at.is_(None), SweepRun.interrupted_at.is_(None)).order_by(SweepRun.id)).all()
    marked = []
    for run in unfinished:
        same_host_dead = host is not None and run.host == host and run.pid and not _process_alive(run.pid)
        silent = (run.heartbeat_at or run.started_at) < now - timeout
        if not (same_host_dead or silent):
            continue
        # Only the first of two sweeps starting together marks it (the other's update finds it marked).
        done = db.session.execute(sa.update(SweepRun).where(
            SweepRun.id == run.id, SweepRun.finished_at.is_(None), SweepRun.interrupted_at.is_(None),
        ).values(interrupted_at=now).execution_options(synchronize_session=False))
        if done.rowcount:
            db.session.refresh(run)
            record("sweep.interrupted", actor=None, obj=run, data={
                "escalated": run.escalated, "stalled_at_top": run.stalled_at_top,
                "needs_configuration": run.needs_configuration})
            marked.append(run)
    return marked


def interrupted_runs(limit: int = 5) -> list[SweepRun]:
    """The latest runs found interrupted, for the supervisor pages."""
    return db.session.scalars(sa.select(SweepRun).where(SweepRun.interrupted_at.is_not(None))
                              .order_by(SweepRun.id.desc()).limit(limit)).all()


def finish_run(run: SweepRun, counts: dict[Outcome, int]) -> SweepRun:
    run.escalated = counts.get(Outcome.ESCALATED, 0)
    run.stalled_at_top = counts.get(Outcome.STALLED_AT_TOP, 0)
    run.needs_configuration = counts.get(Outcome.NEEDS_CONFIGURATION, 0)
    run.finished_at = utcnow()
    run.heartbeat_at, run.interrupted_at = run.finished_at, None
    db.session.flush()
    record("sweep.finished", actor=None, obj=run, data={"escalated": run.escalated, "stalled_at_top": run.stalled_at_top,
                                            "needs_configuration": run.needs_configuration})
    return run


def latest_run(*, finished: bool = False) -> SweepRun | None:
    """The latest run (or the latest that finished): sweep_runs gains a row a day, read from the end."""
    query = sa.select(SweepRun).order_by(SweepRun.id.desc()).limit(1)
    if finished:
        query = query.where(SweepRun.finished_at.is_not(None))
    return db.session.scalars(query).first()


def still_pending() -> int:
    """Overdue waiting cases with no flag: left for the next run (locked by someone, or a second sweep's)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(
            overdue(today()), Case.attention.is_(None))
    ) or 0


