"""Writing and verifying the audit chain.

`record` is the one call every other service makes, in the same transaction as the change
it records (no ORM events, no attribute magic): if the change rolls back, so does its entry.

Appending locks the single `audit_head` row (SELECT … FOR UPDATE on PostgreSQL; on SQLite the
writer already holds the database lock), so entries get contiguous sequence numbers and the
chain never forks. The price: every transaction that records holds that lock from its first
`record` until it commits, so writing transactions serialise on it. Keep them short and call
`record` after the change has been flushed.

A batch (the sweep) records inside `appended_together()`: its entries wait in the session and
are appended at the end of the block with one bulk INSERT, their chain computed in Python, so
the head is locked only for that append and the commit that follows, not for the whole batch.
"""
import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from caseflow.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.sequences import insert_many
from caseflow.textguard import masked_json


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def canonical(entry) -> bytes:
    """The bytes the hash covers: every field but the hash, as sorted compact JSON.

    `entry` is an AuditEntry or a row with the same column names.
    """
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "area_path": entry.area_path,
        "data": entry.data or {},
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _current_transaction(session):
    return session.get_nested_transaction() or session.get_transaction()


def _lock_head() -> AuditHead:
    """The head row, locked until this transaction ends; read once per transaction.

    A transaction that records many entries (a sweep) pays for the lock and the read once:
    the lock cannot be lost before the transaction (or the savepoint that took it) ends.
    """
    session = db.session()
    held = session.info.get("audit_head")
    if held is not None and held[0] is not None and held[0] is _current_transaction(session):
        return held[1]
    # The transaction's changes first, the head last: every writer takes its locks in that
    # order (and the reload below must not overwrite an unflushed head of an outer level).
    session.flush()
    query = sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.scalars(query.execution_options(populate_existing=True)).first()
    if head is None:
        # The migration creates the row; this is for a database emptied by hand (or by tests).
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    session.info["audit_head"] = (_current_transaction(session), head)
    # When the head was locked: the sweep reports how long it held it (until its commit).
    session.info["audit_head_locked_at"] = time.perf_counter()
    return head


def changed_fields(obj, *names: str) -> list[str]:
    """Which of `names` (attributes or relationships) have unflushed changes: for `data`.

    Call it before the change is flushed; only the names go into the audit entry, never values.
    """
    attrs = sa.inspect(obj).attrs
    return sorted(name for name in set(names) if name in attrs and attrs[name].history.has_changes())


def record(action: str, *, actor, obj=None, object_type: str | None = None, object_id=None,
           area_path: str | None = None, data: dict | None = None) -> AuditEntry | None:
    """Append one entry. `obj` fills type, id and area from a model instance.

    `actor` is always given by the calling service (None for the command line and the sweep):
    the audit trail never guesses who acted from whoever is signed in to the request.

    `data` must hold no personal data (names, phone numbers, free text): ids, status and
    action names, the names of changed fields only.
    """
    if obj is not None and getattr(obj, "id", 0) is None:
        db.session.flush()  # a new object gets its id
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        area_path = area_path or getattr(obj, "area_path", None)
    fields = _Pending(
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        area_path=area_path,
        # Masked before hashing: the flush guard would otherwise change what the hash covers.
        data=masked_json(_jsonable(data or {})),
    )
    pending = db.session.info.get("audit_pending")
    if pending is not None:
        pending.append(_prepared(fields, utcnow().replace(microsecond=0)))
        return None
    head = _lock_head()
    entry = AuditEntry(seq=head.seq + 1, at=utcnow().replace(microsecond=0), prev_hash=head.hash, **fields._asdict())
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    # Written with the rest of the transaction at its next flush: many entries go in one batch.
    db.session.add(entry)
    return entry


def _prepared(fields: "_Pending", at: datetime) -> tuple[dict, bytes]:
    """The entry's values, and the start of its canonical form: everything but the two fields
    only the head can give (prev_hash and seq, the last two keys in sorted order). Under the
    lock only those are appended and hashed, so the lock is held for the append alone."""
    values = {"at": at, **fields._asdict()}
    payload = {"at": at.isoformat(), **fields._asdict(), "data": fields.data or {}}
    start = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return values, start[:-1].encode()


class _Pending(NamedTuple):
    """An entry recorded inside `appended_together()`, not yet in the chain."""

    actor_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    area_path: str | None
    data: dict


@contextlib.contextmanager
def appended_together():
    """Entries recorded in the block are appended when it ends, together (see the module's docstring).

    Nested blocks join the outer one. If the block raises, its entries are dropped with the
    work they recorded (the caller rolls back).
    """
    session = db.session()
    if session.info.get("audit_pending") is not None:
        yield
        return
    session.info["audit_pending"] = pending = []
    try:
        yield
    finally:
        session.info.pop("audit_pending", None)
    _append(pending)


def _link(start: bytes, prev: str, seq: int) -> str:
    """`entry_hash` of a prepared entry (see `_prepared`) once it is given its place in the chain."""
    return hashlib.sha256(start + f',"prev_hash":"{prev}","seq":{seq}}}'.encode()).hexdigest()


def _append(pending: list[tuple[dict, bytes]]) -> None:
    """Chain and insert `pending` in one statement; the head is locked (and the session flushed) first."""
    if not pending:
        return
    head = _lock_head()
    seq, prev = head.seq, head.hash
    rows = []
    for values, start in pending:
        seq += 1
        digest = _link(start, prev, seq)
        rows.append({**values, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    # The values are masked already (`record`) and the hash covers them as they are.
    insert_many(AuditEntry.__table__, rows, masked=True)
    head.seq, head.hash = seq, prev


@dataclass
class Verification:
    ok: bool
    checked: int  # entries whose link and hash held
    head_seq: int  # the last good entry: the whole chain when ok
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def verify(batch: int = 5000, *, expect_head: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> Verification:
    """Walk the chain in order; name the first entry whose link or hash does not hold.

    The head row is read first and the walk stops at its sequence number, so entries
    appended while the walk runs are left for the next run instead of looking like a
    mismatch. `expect_head` is a hash recorded earlier, outside the system: it must still be
    in the chain, else the tail was cut off (or rewritten) since. `progress(done, total)` is
    called after every batch.
    """
    table = AuditEntry.__table__
    db.session.flush()  # entries recorded in this session are read back as plain rows below
    head = db.session.execute(sa.select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    total = head.seq if head else 0
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    expected_found = expect_head is None

    def broken(seq: int, problem: str) -> Verification:
        return Verification(False, checked, expected_seq - 1, expected_prev, seq, problem)

    while True:
        # Plain rows, not ORM objects: a walk over millions of entries keeps memory flat.
        query = sa.select(table).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(batch)
        if head is not None:
            query = query.where(table.c.seq <= head.seq)
        rows = db.session.execute(query).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return broken(expected_seq, f"entry {expected_seq} is missing (the next one is {entry.seq})")
            if entry.prev_hash != expected_prev:
                return broken(entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                                         "(its previous-hash differs): removed, reordered or rewritten")
            if entry_hash(entry) != entry.hash:
                return broken(entry.seq, f"entry {entry.seq} was altered (its hash does not match its content)")
            if entry.hash == expect_head:
                expected_found = True
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        if progress is not None:
            progress(checked, total)
    if head is None and checked:
        return broken(expected_seq, "the chain head is missing")
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        if head.seq > checked:
            return broken(expected_seq, f"entries {expected_seq} to {head.seq} are missing (the head says {head.seq})")
        return broken(expected_seq, f"the head ({head.seq}) does not match the last entry ({checked})")
    if not expected_found:
        return broken(expected_seq, f"the recorded head {expect_head} is not in the chain: "
                                    "its tail was cut off or rewritten")
    return Verification(True, checked, checked, expected_prev)
