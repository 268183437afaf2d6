"""The request side of the audit trail: refused requests, and GET requests that write an entry.

A refused request changes nothing, yet its refusal must be on the trail. Whatever the request
had done is rolled back by the error handler, which then writes the refusal alone and commits:
the request's one commit holds only its audit entry. Out-of-scope objects answer the same 404
as missing ones, and both are recorded, so the two take the same work and time.
"""
import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user
from werkzeug.routing import AnyConverter

from caseflow.audit.services import record
from caseflow.db import read_only_transaction
from caseflow.extensions import db

REFUSED = "access.refused"
OMITTED = "(omitted)"  # in place of a URL argument that is not an id: it could be anything typed
_NOTED = "_audit_refused_object"


def note_refused_object(model, object_id, path_column) -> None:
    """Called by the scoped loader before it answers 404: remember which object was asked for.

    `path_column` is the model's place in the area tree (`area_path`, or `Area.path`).
    """
    if not has_request_context():
        return
    area_path = db.session.scalar(sa.select(path_column).where(model.id == object_id))
    setattr(g, _NOTED, {"object_type": model.__tablename__, "object_id": object_id, "area_path": area_path})


def record_refusal(status: int) -> None:
    """From the error handler: roll the request back and commit only its refusal.

    403 is a role refusal, whatever raised it; 404 is recorded only for an object the scoped
    loader refused (a mistyped URL is not a refusal).
    """
    noted = g.pop(_NOTED, None)
    if status == 404 and noted is None:
        return
    db.session.rollback()
    target = noted or {}
    data = {"status": status, "endpoint": request.endpoint, "method": request.method}
    if status == 403 and request.view_args:
        data["args"] = url_ids()
    # On SQLite a GET began a read transaction; this one writes, so it must take the lock up front.
    token = read_only_transaction.set(False)
    try:
        actor = current_user.id if current_user and current_user.is_authenticated else None
        record(REFUSED, actor=actor, data=data, **target)
        db.session.commit()
    finally:
        read_only_transaction.reset(token)


def url_ids() -> dict:
    """The URL arguments the chain may keep: integers, and choices from the rule's fixed list.

    Anything else in a path (`/cases/4/do/<whatever was typed>`) is free text, and the chain
    keeps everything for ever: it is left out, its name kept so the entry says it was there.
    """
    converters = getattr(request.url_rule, "_converters", {})
    kept = {}
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            kept[name] = value
        elif isinstance(converters.get(name), AnyConverter) and value in converters[name].items:
            kept[name] = value
        else:
            kept[name] = OMITTED
    return kept


def writer_transaction() -> None:
    """For a GET view that records (an export, a reveal, a first print): call it before any work.

    On SQLite a GET begins a deferred read transaction, which cannot safely become a writer
    once another request has committed; this ends it and makes the view's transaction begin
    as a writer (BEGIN IMMEDIATE). On PostgreSQL it only ends the read transaction.
    """
    db.session.rollback()
    read_only_transaction.set(False)  # undone with the request's own token at teardown
