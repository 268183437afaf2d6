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
- every audit entry inserted must carry a payload of ids, codes and field names: a string
  with spaces, or a long run of digits (a phone number), fails the test that wrote it.

The test that made an unaudited change fails, naming the endpoint (or command) and tables.
Test code outside dispatched requests (fixtures building a world, code run in a
`test_request_context`) is not watched.
"""
import re
import threading

import click
import pytest
import sqlalchemy as sa
from flask import g, has_request_context, request, request_started
from sqlalchemy.engine import Engine

# The sweep's run record beats with every batch (how far the run got); its start, finish and
# interruption are audited entries of their own.
EXEMPT = {"audit_entries", "audit_head", "login_throttles", "user_sessions", "sweep_runs"}
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# What an audit payload string may look like: codes, ids, field names, ISO dates, references.
_PAYLOAD_STRING = re.compile(r"[\w.:/+-]{0,80}")
_PHONE_LIKE = re.compile(r"\+?\d{7,}")

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


def _check_payload(mapper, connection, entry):
    for text in _strings(entry.data or {}):
        if not _PAYLOAD_STRING.fullmatch(text) or _PHONE_LIKE.fullmatch(text):
            with _lock:
                _violations.append(f"audit entry {entry.action!r} carries {text!r} in its payload: "
                                   "ids, codes and field names only, no names, numbers or free text")


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
