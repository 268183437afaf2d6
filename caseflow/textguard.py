"""The one layer that keeps full Aadhaar numbers out of the database, whatever wrote the text.

Before every flush of every session, each new or changed string of every mapped String/Text
column, and every string inside a JSON column (nested dicts and lists, keys too), is checked
against the rule in `caseflow.identity`:

- free text (the default: names, notes, addresses, reasons) is masked to `XXXX XXXX 1234`;
- a structured reference (a column declared with `info=reference_info(_l("label"))`: application,
  complaint, sanction, ration card and inward numbers, codes, usernames, phone numbers) keeps
  its value exactly, and a value holding a full number is refused (`IdentityError`, a
  `Refused`: the form comes back with the message, nothing is written);
- machine values (hashes, content-addressed paths: `info=MACHINE`) and enum columns (a fixed
  vocabulary) are not looked at.

Forms, services, the command line, the demo seed and imports all write through the ORM, so
none of them can store a full number. Core `update()`/`insert()` statements bypass the ORM:
caseflow's write only machine values and enums (letters' PDF path, hash and superseded
status, counters).

The cost is kept low for the sweep: the columns to look at are worked out once per mapper,
only changed attributes of dirty objects are read, and a string with fewer than 12 digits is
dismissed by counting them (about 1 µs). About 3 µs a row in all (`python -m bench.textguard`).
"""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from caseflow.extensions import db
from caseflow.identity import IdentityError, holds_aadhaar, mask_aadhaar

MACHINE = {"machine": True}

_FREE, _REFERENCE, _JSON = 0, 1, 2


def reference_info(label) -> dict:
    """`info` of a column holding an identifier that must be kept exactly, or refused."""
    return {"reference": label}


def _plan(mapper) -> tuple:
    """(attribute key, kind, label) of every column of `mapper` the guard looks at."""
    plan = []
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1:
            continue
        column = prop.columns[0]
        if not isinstance(column, sa.Column):  # a computed column_property is never written
            continue
        if column.info.get("machine") or isinstance(column.type, sa.Enum):
            continue
        if isinstance(column.type, sa.JSON):
            plan.append((prop.key, _JSON, None))
        elif isinstance(column.type, sa.String):
            label = column.info.get("reference")
            plan.append((prop.key, _FREE if label is None else _REFERENCE, label))
    return tuple(plan)


_plans: dict = {}


def _plan_of(state) -> tuple:
    mapper = state.mapper
    plan = _plans.get(mapper)
    if plan is None:
        plan = _plans[mapper] = _plan(mapper)
    return plan


_PLAIN = (int, float, bool, type(None))


def masked_json(value):
    """`value` with every string in it (nested, keys included) masked; the same object if clean."""
    if isinstance(value, str):
        return mask_aadhaar(value)
    if isinstance(value, dict):
        changed, items = False, []
        for key, item in value.items():
            new_key = mask_aadhaar(key) if isinstance(key, str) else key
            new_item = item if isinstance(item, _PLAIN) else masked_json(item)
            changed = changed or new_key is not key or new_item is not item
            items.append((new_key, new_item))
        return dict(items) if changed else value
    if isinstance(value, list | tuple):
        out = [item if isinstance(item, _PLAIN) else masked_json(item) for item in value]
        return type(value)(out) if any(a is not b for a, b in zip(value, out, strict=True)) else value
    return value


def refusal(label) -> IdentityError:
    return IdentityError(_l("%(field)s must not hold a full Aadhaar number. Enter the reference exactly as "
                            "issued; an Aadhaar number is kept only as its last 4 digits.", field=label))


def _checked(kind: int, label, value):
    """`value` as the rule lets it be stored: free text and JSON masked (the same object when
    clean), a reference returned as it is or refused."""
    if kind == _FREE:
        return mask_aadhaar(value) if isinstance(value, str) else value
    if kind == _REFERENCE:
        if isinstance(value, str) and holds_aadhaar(value):
            raise refusal(label)
        return value
    return masked_json(value)


def _guard(state, keys) -> None:
    values = state.dict
    obj = state.obj()
    for key, kind, label in _plan_of(state):
        if keys is not None and key not in keys:
            continue
        value = values.get(key)
        if value is not None:
            checked = _checked(kind, label, value)
            if checked is not value:
                setattr(obj, key, checked)


_table_plans: dict = {}


def guard_rows(table, rows: list[dict]) -> None:
    """The same rule for rows written without the ORM (`sequences.insert_many`): free text and
    JSON masked in place, a reference holding a full number refused, machine values untouched."""
    plan = _table_plans.get(table.name)
    if plan is None:
        mapper = next((m for m in db.Model.registry.mappers if m.local_table is table), None)
        by_key = {key: (kind, label) for key, kind, label in (_plan(mapper) if mapper is not None else ())}
        plan = _table_plans[table.name] = {
            column.key: by_key[prop.key] for prop in (mapper.column_attrs if mapper is not None else ())
            for column in prop.columns[:1] if prop.key in by_key}
    if not plan:
        return
    for row in rows:
        for key, value in row.items():
            if value is not None and key in plan:
                row[key] = _checked(*plan[key], value)


def _before_flush(session, _flush_context, _instances) -> None:
    for obj in session.new:
        _guard(attributes.instance_state(obj), None)
    for obj in session.dirty:
        state = attributes.instance_state(obj)
        # Only what changed: a row stored before the rule must not block unrelated edits.
        if state.committed_state:
            _guard(state, state.committed_state.keys())


def install() -> None:
    """Listen on every ORM session of the process; idempotent, called by `create_app`."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


# --- rows stored before the rule ------------------------------------------------------------

AUDIT_TABLE = "audit_entries"
SCAN_BATCH = 5000


@dataclass
class Finding:
    """One column's rows that hold a full number: `kind` is 'masked' (free text, fixable),
    'reference' (kept exactly, so a person must correct it) or 'audit' (inside the hash chain,
    which cannot be rewritten without breaking it). Ids only, never the values."""

    table: str
    column: str
    kind: str
    ids: list = field(default_factory=list)


def scan_stored(session, *, fix: bool) -> list[Finding]:
    """Every stored row against the rule, table by table in primary-key batches.

    With `fix`, free text and JSON are masked in place by primary key (Core updates: the values
    are the masked ones already). References and audit entries are only reported.
    """
    findings: dict[tuple[str, str], Finding] = {}
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.local_table.name):
        plan = _plan(mapper)
        table = mapper.local_table
        if not plan or len(mapper.primary_key) != 1 or not isinstance(table, sa.Table):
            continue
        pk = mapper.primary_key[0]
        columns = {key: mapper.columns[key] for key, _kind, _label in plan}
        last = None
        while True:
            query = sa.select(pk, *columns.values()).order_by(pk).limit(SCAN_BATCH)
            if last is not None:
                query = query.where(pk > last)
            rows = session.execute(query).all()
            if not rows:
                break
            last = rows[-1][0]
            for row in rows:
                fixes = {}
                for (key, kind, _label), value in zip(plan, row[1:], strict=True):
                    if value is None:
                        continue
                    if kind == _REFERENCE:
                        bad = isinstance(value, str) and holds_aadhaar(value)
                        masked = value
                    else:
                        masked = mask_aadhaar(value) if kind == _FREE else masked_json(value)
                        bad = masked is not value and masked != value
                    if not bad:
                        continue
                    what = ("audit" if table.name == AUDIT_TABLE else "reference" if kind == _REFERENCE
                            else "masked")
                    name = columns[key].name
                    findings.setdefault((table.name, name), Finding(table.name, name, what)).ids.append(row[0])
                    if what == "masked":
                        fixes[columns[key].name] = masked
                if fix and fixes:
                    session.execute(sa.update(table).where(pk == row[0]).values(**fixes))
    return list(findings.values())
