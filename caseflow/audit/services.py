"""Writing and verifying the audit chain.

`record` is the one call every other service makes, in the same transaction as the change
it records (no ORM events, no attribute magic): if the change rolls back, so does its entry.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from caseflow.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from caseflow.db import utcnow
from caseflow.extensions import db


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


def _lock_head() -> AuditHead:
    query = sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = db.session.scalars(query.execution_options(populate_existing=True)).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
    return head


def record(action: str, *, actor=None, obj=None, object_type: str | None = None, object_id=None,
           area_path: str | None = None, data: dict | None = None) -> AuditEntry:
    """Append one entry. `obj` fills type, id and area from a model instance.

    `data` must hold no personal data (names, phone numbers, free text): ids, status and
    action names only.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        area_path = area_path or getattr(obj, "area_path", None)
    head = _lock_head()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow().replace(microsecond=0),
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        area_path=area_path,
        data=_jsonable(data or {}),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class Verification:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def verify(batch: int = 5000) -> Verification:
    """Walk the chain in order; name the first entry whose link or hash does not hold."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    last = 0
    while True:
        # Plain rows, not ORM objects: a walk over millions of entries keeps memory flat.
        table = AuditEntry.__table__
        rows = db.session.execute(
            sa.select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(False, checked, expected_prev, expected_seq,
                                    f"entry {expected_seq} is missing (next is {entry.seq})")
            if entry.prev_hash != expected_prev:
                return Verification(False, checked, expected_prev, entry.seq,
                                    f"entry {entry.seq} does not follow entry {entry.seq - 1}")
            if entry_hash(entry) != entry.hash:
                return Verification(False, checked, expected_prev, entry.seq,
                                    f"entry {entry.seq} was altered (its hash does not match its content)")
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
            last = entry.seq
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
        return Verification(False, checked, expected_prev, expected_seq,
                            f"the chain ends at entry {expected_seq - 1} but the head says {head.seq}")
    return Verification(True, checked, expected_prev)
