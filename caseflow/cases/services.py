"""The verbs on a case. Each checks the version the user saw, changes the case through the
machine and appends the timeline event; the caller commits once.

Every step of the machine goes through `transition_many` (a page's step is a batch of one, the
sweep's a batch of hundreds): the cases are written together with their versions checked, and
events, letters and audit entries are inserted in bulk. The other verbs (open, follow-up)
change one case through the ORM and flush.
"""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from caseflow.areas.services import district_of
from caseflow.audit.services import appended_together, record
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import routing, signals, workflow
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, CaseStatus, Channel, EventKind
from caseflow.db import today, utcnow
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.machine import TransitionRefused
from caseflow.schemes.models import Scheme
from caseflow.scope import path_in_scope
from caseflow.sequences import insert_rows, next_value


class CaseError(Refused):
    pass


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is None or case.version != expected_version:
        raise Stale()


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        # Another transaction committed a newer version between our read and our write.
        raise Stale() from exc


def open_cases_for(beneficiary: Beneficiary, scheme: Scheme) -> list[Case]:
    return db.session.scalars(
        sa.select(Case).where(
            Case.beneficiary_id == beneficiary.id,
            Case.scheme_id == scheme.id,
            Case.status.not_in((CaseStatus.CLOSED,)),
        )
    ).all()


def open_case(actor: User, beneficiary: Beneficiary, scheme: Scheme, *, note: str | None = None) -> Case:
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can open a case."))
    if not path_in_scope(actor, beneficiary.area_path):
        raise CaseError(_l("The beneficiary is outside your areas."))
    if not scheme.active:
        raise CaseError(_l("The scheme is not active."))
    district = district_of(beneficiary.settlement)
    year = today().year
    sequence = next_value(f"case:{district.code}", year)
    case = Case(
        reference=f"{district.code}/{year}/{sequence:06d}",
        beneficiary=beneficiary,
        scheme=scheme,
        area_id=beneficiary.settlement_id,
        area_path=beneficiary.area_path,
        district_id=district.id,
        status=CaseStatus.IDENTIFIED,
        assigned_to_id=actor.id if actor.role is Role.INCHARGE else None,
        created_by_id=actor.id,
    )
    db.session.add(case)
    db.session.flush()
    _event(case, actor, EventKind.CREATED, note=note)
    db.session.flush()
    record("case.opened", actor=actor, obj=case, data={
        "beneficiary_id": beneficiary.id, "scheme_id": scheme.id, "status": case.status})
    return case


def _route(case: Case, trigger: str, dest: CaseStatus) -> routing.Route | None:
    """Where the step puts the case on its ladder (None: the step does not move it)."""
    direction = workflow.MOVES.get(trigger)
    if direction == "up":
        return routing.route_up(case)
    if direction == "down":
        return routing.route_down(case)
    if trigger == "submit":
        # The clock starts when we record the submission: an application filed earlier
        # and never acted on is escalated by the first sweep if its level's time is up.
        return routing.route_at(case, 1)
    if trigger == "reopen" and dest in WAITING_STATUSES:
        return routing.route_at(case, case.level)
    return None


def _move_details(case: Case, trigger: str, actor, route: routing.Route, from_level: int) -> dict:
    """What the timeline (and the letter) keeps of a move: where from, what was skipped, and
    whether the level's time had run out or the step was taken early with a reason."""
    details = {"from_level": from_level, "to_level": route.level}
    if route.skipped:
        details["skipped_levels"] = list(route.skipped)
    if trigger == "escalate":
        details["early"] = workflow.is_early(case)
        if not details["early"]:
            details["overdue_since"] = case.due_date.isoformat()
        if actor is workflow.SYSTEM:
            details["sweep"] = True
    return details


def transition(case: Case, actor, trigger: str, data: dict, *, expected_version: int | None,
               lookups: routing.Lookups | None = None) -> CaseEvent:
    """Take one step of the case machine: `transition_many` with a batch of one.

    Raises Stale or TransitionRefused and then changes nothing; returns the step's event.
    """
    [result] = transition_many([case], actor, trigger, data, expected_versions=[expected_version], lookups=lookups)
    if isinstance(result, Exception):
        raise result
    return db.session.get(CaseEvent, result)


def transition_many(cases: list[Case], actor, trigger: str, data: dict, *, expected_versions: list[int | None],
                    lookups: routing.Lookups | None = None) -> list[int | Stale | TransitionRefused]:
    """Take one step of the case machine on each of `cases`: the only path for every step, moves included.

    Escalation from the case page (a batch of one), an appeal and the sweep (a batch of
    hundreds) all come here. Per case, in Python: the version the caller saw is checked, the
    machine's guards decide (each once), routing says where the case goes (skipping accused
    offices; `lookups` is the sweep's memo) and the step sets level, office and due date.
    Then for the whole batch: the cases are updated (one statement per set of changed
    columns), the events inserted in one statement, the audit entries appended together, and
    `signals.steps_taken` lets the letters domain draft and supersede letters for the batch.

    Returns, per case in order, its TRANSITION event's id, or the Stale / TransitionRefused
    that says why that case was left unchanged.
    """
    results: list = [None] * len(cases)
    taken: list[tuple[int, Case, routing.Route | None, CaseStatus, int, dict]] = []
    with routing.using(lookups), appended_together():
        for i, (case, expected) in enumerate(zip(cases, expected_versions, strict=True)):
            refused = _refusal(case, actor, trigger, expected)
            if refused is None:
                step, problems = workflow.CASE_MACHINE.decide(case, actor, trigger, data)
                refused = TransitionRefused(problems) if step is None else None
            if refused is not None:
                results[i] = refused
                continue
            route = _route(case, trigger, step.dest)
            plan = {} if route is None else {
                "level": route.level, "office_id": route.office_id, "due_date": routing.due_date(route, case)}
            before, from_level = case.status, case.level
            moved = {} if route is None else _move_details(case, trigger, actor, route, from_level)
            if case.promised_date is not None:
                case.promised_date = None  # a step replaces the promise: a new office, or none, holds the case
            workflow.CASE_MACHINE.fire(case, trigger, actor=actor, data=data, plan=plan, step=step)
            taken.append((i, case, route, before, from_level, moved))
        if not taken:
            return results
        write_cases([case for _i, case, *_rest in taken])
        event_ids = _step_events(taken, actor, trigger, data)
        for (i, case, route, _before, from_level, _moved), event_id in zip(taken, event_ids, strict=True):
            results[i] = event_id
            if route is not None and route.skipped:
                record("case.bias_skip", actor=actor, obj=case, data={
                    "from_level": from_level, "to_level": case.level, "skipped_levels": list(route.skipped)})
        # Still inside the routing memo: the letters domain asks routing for the office to copy in.
        signals.steps_taken.send(trigger, actor=actor, taken=[
            signals.Taken(case=case, event_id=event_id, route=route, from_level=from_level)
            for (_i, case, route, _b, from_level, _m), event_id in zip(taken, event_ids, strict=True)])
    return results


def _refusal(case: Case, actor, trigger: str, expected_version: int | None):
    if expected_version is None or case.version != expected_version:
        return Stale()
    if trigger not in workflow.TRIGGERS:
        return TransitionRefused([_l("This action is not possible now.")])
    if actor is not workflow.SYSTEM and not path_in_scope(actor, case.area_path):
        return TransitionRefused([_l("The case is outside your areas.")])
    return None


def write_cases(cases: list[Case]) -> None:
    """Write what the steps changed on `cases`, checking each row's version as the ORM would.

    Changes of machine values only (status, level, office, dates, flags: the sweep's
    escalations) go in one UPDATE per set of changed columns, executed for all the cases at
    once; the objects are then marked as stored. A step that wrote text (a reason, a reference)
    is flushed through the ORM, where caseflow/textguard.py masks or refuses what it must.
    """
    table = Case.__table__
    guarded = _guarded_keys()
    groups: dict[frozenset, list[dict]] = {}
    core: list[tuple[Case, dict]] = []
    now = utcnow()
    for case in cases:
        state = sa.inspect(case)
        keys = frozenset(state.committed_state)
        if not keys or keys & guarded or not keys <= _column_keys():
            continue
        values = {key: getattr(case, key) for key in keys if key not in ("version", "updated_at")}
        values.update(updated_at=now, version=case.version + 1)
        groups.setdefault(frozenset(values), []).append({"b_id": case.id, "b_version": case.version, **values})
        core.append((case, values))
    # Not flushed first: the ORM would write these very changes itself.
    with db.session.no_autoflush:
        for rows in groups.values():
            if db.session.get_bind().dialect.name == "postgresql":
                done = _update_from_arrays(table, rows)
            else:
                done = db.session.execute(
                    sa.update(table).where(table.c.id == sa.bindparam("b_id"),
                                           table.c.version == sa.bindparam("b_version")), rows).rowcount
            if done != len(rows):
                # Another transaction committed a newer version between our read and our write.
                raise Stale()
        for case, values in core:
            for key, value in values.items():
                set_committed_value(case, key, value)
            # Stored: off the session's list of modified objects, which every flush walks
            # attribute by attribute (set_committed_value leaves the object on it).
            state = sa.inspect(case)
            if not state.committed_state:
                state._commit_all(state.dict, db.session.identity_map)
    _flush()


def _update_from_arrays(table: sa.Table, rows: list[dict]) -> int:
    """PostgreSQL: the rows' updates as one statement, `UPDATE … FROM unnest(arrays)`, each row
    matched on its id and the version read (one round trip and one short query for the batch,
    instead of one statement per case). The number of rows updated."""
    dialect = db.session.get_bind().dialect
    keys = [key for key in rows[0] if key not in ("b_id", "b_version")]
    columns = [table.c[key] for key in keys]
    convert = [c.type.bind_processor(dialect) for c in columns]
    arrays = {"b_id": [row["b_id"] for row in rows], "b_version": [row["b_version"] for row in rows]}
    for i, (key, processor) in enumerate(zip(keys, convert, strict=True)):
        arrays[f"v{i}"] = [row[key] if processor is None else processor(row[key]) for row in rows]
    casts = ["CAST(:b_id AS INTEGER[])", "CAST(:b_version AS INTEGER[])"] + [
        f"CAST(:v{i} AS {c.type.compile(dialect)}[])" for i, c in enumerate(columns)]
    names = ["b_id", "b_version"] + [f"v{i}" for i in range(len(columns))]
    sets = ", ".join(f"{dialect.identifier_preparer.quote(c.name)} = v.v{i}" for i, c in enumerate(columns))
    statement = sa.text(
        f"UPDATE {table.name} SET {sets} FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) "
        f"WHERE {table.name}.id = v.b_id AND {table.name}.version = v.b_version")
    return db.session.execute(statement, arrays).rowcount


_guarded: frozenset | None = None
_columns: frozenset | None = None


def _column_keys() -> frozenset:
    global _columns
    if _columns is None:
        _columns = frozenset(prop.key for prop in sa.inspect(Case).column_attrs)
    return _columns


def _guarded_keys() -> frozenset:
    """The case's columns caseflow/textguard.py looks at: free text, references and JSON."""
    global _guarded
    if _guarded is None:
        _guarded = frozenset(
            prop.key for prop in sa.inspect(Case).column_attrs
            if isinstance(col := prop.columns[0], sa.Column) and isinstance(col.type, sa.String | sa.JSON)
            and not isinstance(col.type, sa.Enum) and not col.info.get("machine"))
    return _guarded


def _step_events(taken: list, actor, trigger: str, data: dict) -> list[int]:
    """The steps' timeline events, inserted in one statement, and their audit entries (field names
    only: values may be free text). insert_many masks text as the flush guard would."""
    details = {k: (v.value if hasattr(v, "value") else v.isoformat() if isinstance(v, date) else v)
               for k, v in data.items() if k not in ("reason", "override_reason") and v not in (None, "", False)}
    note = data.get("reason") or data.get("override_reason") or None
    actor_id = getattr(actor, "id", None)
    rows = [{"case_id": case.id, "kind": EventKind.TRANSITION, "actor_id": actor_id, "trigger": trigger,
             "from_status": before, "to_status": case.status, "level": case.level or None,
             "office_id": case.office_id, "note": note, "details": {**details, **moved},
             "at": utcnow()}
            for _i, case, _route, before, _from_level, moved in taken]
    event_ids = insert_events(rows)
    fields = sorted(k for k, v in data.items() if v not in (None, ""))
    for (_i, case, _route, before, _from_level, _moved), event_id in zip(taken, event_ids, strict=True):
        record("case.transition", actor=actor, obj=case, data={
            "trigger": trigger, "from": before, "to": case.status, "level": case.level or None,
            "office_id": case.office_id, "event_id": event_id, "fields": fields})
        # A timeline already loaded on the object would not show the event written beside the ORM.
        if "events" not in sa.inspect(case).unloaded:
            db.session.expire(case, ["events"])
    return event_ids


def insert_events(rows: list[dict]) -> list[int]:
    """Insert timeline events (machine values, masked text) in one statement; their ids, in order."""
    return insert_rows(CaseEvent.__table__, rows)


def log_follow_up(
    case: Case,
    actor: User,
    *,
    expected_version: int | None,
    channel: Channel,
    response: str,
    office_id: int | None = None,
    promised_date: date | None = None,
) -> CaseEvent:
    """Record a contact with an official. A promised date becomes the case's next due date."""
    _check_version(case, expected_version)
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can log a follow-up."))
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseError(_l("The case has ended; reopen it first."))
    if promised_date is not None:
        if promised_date < today():
            raise CaseError(_l("A promised date cannot be in the past."))
        if case.status in WAITING_STATUSES:
            case.due_date = promised_date
    # The latest follow-up's promise is the one that stands; one without a promise ends it.
    case.promised_date = promised_date if case.status in WAITING_STATUSES else None
    event = _event(
        case,
        actor,
        EventKind.FOLLOW_UP,
        channel=channel,
        office_id=office_id,
        note=response,
        promised_date=promised_date,
        level=case.level or None,
    )
    # Touch the case so a follow-up also moves the version: two people never both act on
    # the same snapshot unnoticed.
    case.updated_at = utcnow()
    _flush()
    record("case.follow_up", actor=actor, obj=case, data={
        "event_id": event.id, "channel": channel, "office_id": office_id,
        "promised_date_set": promised_date is not None})
    return event


def assign(case: Case, actor: User, assignee: User, *, expected_version: int | None) -> CaseEvent:
    _check_version(case, expected_version)
    if actor.role not in (Role.INCHARGE, Role.SUPERVISOR):
        raise CaseError(_l("Only an in-charge or a supervisor can assign a case."))
    if assignee.role is not Role.INCHARGE or not assignee.active or not path_in_scope(assignee, case.area_path):
        raise CaseError(_l("The assignee must be an active in-charge of the case's area."))
    case.assigned_to_id = assignee.id
    event = _event(case, actor, EventKind.ASSIGNMENT, details={"assignee_id": assignee.id})
    _flush()
    record("case.assigned", actor=actor, obj=case, data={"event_id": event.id, "assignee_id": assignee.id})
    return event


def _event(case: Case, actor: User | None, kind: EventKind, **fields) -> CaseEvent:
    event = CaseEvent(case=case, kind=kind, actor_id=actor.id if actor else None, **fields)
    db.session.add(event)
    return event
