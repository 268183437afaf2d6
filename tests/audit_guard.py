"""A pytest plugin: every committed change made by a request or a CLI command is audited.

Enabled for the whole suite from conftest (`pytest_plugins`). It watches the SQL that reaches
the database, not the services, so it also covers code that forgot to call `record`:

- every INSERT/UPDATE/DELETE that touched rows is noted against the open transaction (or
  savepoint) of its connection; a savepoint rolled back forgets its writes, one released
  hands them to the enclosing transaction;
- when the outermost transaction begun inside a request (or a CLI command) commits, the
  tables it wrote must include `audit_entries` unless it wrote only the audit tables
  themselves, the login throttle counters, the session rows (whose writes are the audited
  sign-in and sign-out, or a session's last use) and the sweep's heartbeat;
- rows inserted in bulk by caseflow.sequences.insert_many (COPY on PostgreSQL, which bypasses
  the cursor events) are heard through its `bulk_inserted` signal and count the same;
- every audit entry inserted must carry a payload of ids and words from a fixed vocabulary
  (`vocabulary()`: built from the code, not from data anyone typed); any other string fails
  the test that wrote it. The chain keeps entries for ever, so nothing erasable may enter it.

The test that made an unaudited change fails, naming the endpoint (or command) and tables.
Test code outside dispatched requests (fixtures building a world, code run in a
`test_request_context`) is not watched.
"""
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
import sqlalchemy as sa
from flask import g, has_request_context, request, request_started
from sqlalchemy.engine import Engine

# The sweep's run record beats with every batch (how far the run got); its start, finish and
# interruption are audited entries of their own.
# The job queue's rows are bookkeeping (claims, attempts); the work a job does is audited.
# A worker's heartbeat row says only that it is alive.
# A digest's claim (and its release when the mail server fails) is bookkeeping of the send log;
# the send itself is audited (digest.sent) when the claim is marked sent.
EXEMPT = {"audit_entries", "audit_head", "login_throttles", "user_sessions", "sweep_runs", "jobs", "job_workers",
          "digest_sends"}
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Strings an audit payload may hold besides the vocabulary: an ISO date, a SHA-256 digest.
_FORMATS = re.compile(r"\d{4}-\d{2}-\d{2}|[0-9a-f]{64}")

_violations: list[str] = []
_lock = threading.Lock()


def _dispatched(sender, **extra):
    # Only requests the app really dispatches: a test's own `test_request_context` is test code.
    g.audit_guard_request = (request._get_current_object(), f"{request.method} {request.path} ({request.endpoint})")


def _owner() -> str | None:
    """What the current code runs for: a request's endpoint, a CLI command, or None (test code)."""
    if has_request_context():
        dispatched, label = g.get("audit_guard_request", (None, None))
        return label if dispatched is request._get_current_object() else None
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        return f"CLI {ctx.command_path}"
    return None


class _Frame:
    __slots__ = ("owner", "tables")

    def __init__(self, owner):
        self.owner, self.tables = owner, set()


def _stack(conn) -> list:
    return conn.info.setdefault("audit_guard_stack", [])


def _push(conn, *args):
    _stack(conn).append(_Frame(_owner()))


def _begin(conn):
    conn.info["audit_guard_stack"] = [_Frame(_owner())]


def _release(conn, *args):
    stack = _stack(conn)
    if not stack:
        return
    frame = stack.pop()
    below = stack[-1] if stack else None
    if below is not None and (frame.owner is None or below.owner == frame.owner):
        below.tables |= frame.tables
    elif frame.owner is not None:
        _check(frame)


def _discard(conn, *args):
    stack = _stack(conn)
    if stack:
        stack.pop()


def _commit(conn):
    _release(conn)
    conn.info["audit_guard_stack"] = []


def _rollback(conn):
    conn.info["audit_guard_stack"] = []


def _after_execute(conn, cursor, statement, parameters, context, executemany):
    found = _WRITE.match(statement)
    # RETURNING rows are not counted until fetched; count those writes as made.
    if not found or (cursor.rowcount == 0 and "RETURNING" not in statement.upper()):
        return
    stack = _stack(conn)
    if stack:
        stack[-1].tables.add(found.group(1).lower())


def _bulk_inserted(table, *, connection, rows):
    """caseflow.sequences.insert_many: rows written beside the cursor events (COPY on PostgreSQL)."""
    if rows:
        stack = _stack(connection)
        if stack:
            stack[-1].tables.add(table.name)
    if table.name == "audit_entries":
        for row in rows:
            _check_payload(None, connection, SimpleNamespace(action=row["action"], data=row["data"]))


def _check(frame: _Frame) -> None:
    written = frame.tables - EXEMPT
    if written and "audit_entries" not in frame.tables:
        with _lock:
            _violations.append(f"{frame.owner} committed changes to {sorted(written)} without an audit entry")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _form_field_names() -> set[str]:
    """The field names of every form class in caseflow/ (a step's `fields` are its form's)."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    import caseflow

    for info in pkgutil.walk_packages(caseflow.__path__, "caseflow."):
        importlib.import_module(info.name)
    names, pending = set(), [FlaskForm]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        names |= {name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField)}
    return names


def vocabulary() -> frozenset:
    """Every string the code itself can put in an audit payload, read from the code.

    Enum values of every model, URL-map endpoints and argument names, model attribute and form
    field names (the `fields` lists), workflow triggers, the keys and codes of caseflow/labels.py, the
    string constants and data keys of every `record(...)` call (tests/test_labels.py reads them),
    and the data keys of the tests' own `record(...)` calls.
    Nothing a user typed can be in it.
    """
    from flask import current_app

    cached = current_app.extensions.get("audit_guard_vocabulary")
    if cached is None:

        from caseflow import labels
        from caseflow.audit.web import OMITTED, REFUSED
        from caseflow.bias import workflow as bias_workflow
        from caseflow.cases import workflow as case_workflow
        from caseflow.extensions import db
        from tests.test_labels import SOURCE, model_enums, record_constants, recorded

        words = {OMITTED, REFUSED, "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
                 *current_app.config["LANGUAGES"]}
        words |= {str(member.value) for enum_cls in model_enums() for member in enum_cls}
        for rule in current_app.url_map.iter_rules():
            words |= {rule.endpoint, *rule.arguments}
        for mapper in db.Model.registry.mappers:
            words |= {attr.key for attr in mapper.attrs}
        words |= set(case_workflow.TRIGGERS) | set(bias_workflow.TRIGGERS) | _form_field_names()
        for value in vars(labels).values():
            if isinstance(value, dict):
                words |= {str(getattr(key, "value", key)) for key in value}
        actions, keys = recorded()
        words |= set(actions) | set(keys) | record_constants(SOURCE) | record_constants(Path(__file__).parent, keys_only=True)
        cached = current_app.extensions["audit_guard_vocabulary"] = frozenset(words)
    return cached


def _check_payload(mapper, connection, entry):
    words = vocabulary()
    strange = [text for text in _strings(entry.data or {}) if text not in words and not _FORMATS.fullmatch(text)]
    if strange:
        with _lock:
            _violations.append(f"audit entry {entry.action!r} carries {', '.join(map(repr, strange))} in its payload: "
                               "ids and words of the code's own vocabulary only, no names, numbers or free text")


def take_violations() -> list[str]:
    """Remove and return what was found so far (for the guard's own tests)."""
    with _lock:
        found = list(_violations)
        _violations.clear()
    return found


def pytest_configure(config):
    from caseflow.audit.models import AuditEntry

    for name, listener in (("begin", _begin), ("savepoint", _push), ("release_savepoint", _release),
                           ("rollback_savepoint", _discard), ("commit", _commit), ("rollback", _rollback),
                           ("after_cursor_execute", _after_execute)):
        sa.event.listen(Engine, name, listener)
    sa.event.listen(AuditEntry, "before_insert", _check_payload)
    from caseflow.sequences import bulk_inserted

    bulk_inserted.connect(_bulk_inserted)
    request_started.connect(_dispatched)


def pytest_runtest_setup(item):
    take_violations()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    found = take_violations()
    if found:
        raise AssertionError("unaudited changes (tests/audit_guard.py):\n  " + "\n  ".join(found))
    return result
