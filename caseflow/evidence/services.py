"""The verbs on evidence files: attach one to a case (or to one of its events), list a case's.

Attaching does not touch the case row and checks no case version: it only appends, so two
people attaching to one case at once both land, and a page loaded before someone else moved
the case can still attach. (A follow-up or a delivery with a file checks the version as
always; caseflow.cases.views keeps the file on the case when that step is refused as stale.)
The audit entry names the case, the event, the file's SHA-256, its media type and size: the
caption is free text and stays out of the chain.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.audit.services import record
from caseflow.auth.models import Role
from caseflow.evidence import storage
from caseflow.evidence.files import Prepared
from caseflow.evidence.models import EvidenceFile, EvidenceKind
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.scope import path_in_scope


class EvidenceError(Refused):
    pass


def attach(case, actor, prepared: Prepared, *, kind: EvidenceKind = EvidenceKind.CASE,
           event_id: int | None = None, caption: str | None = None) -> EvidenceFile:
    """Store the file (once per content) and record it on `case` (any object with id,
    area_path and district_id: this package sits below the cases domain)."""
    if getattr(actor, "role", None) not in (Role.INCHARGE, Role.SUPERVISOR):
        raise EvidenceError(_l("Only an in-charge or a supervisor can attach files to a case."))
    if not path_in_scope(actor, case.area_path):
        raise EvidenceError(_l("The case is outside your areas."))
    if (kind is EvidenceKind.CASE) != (event_id is None):
        raise ValueError("a file attached to an event names it; one attached to the case does not")
    digest = storage.store(prepared.data, prepared.media_type)
    thumb = storage.store(prepared.thumbnail, type(prepared.media_type).JPEG) if prepared.thumbnail else None
    evidence = EvidenceFile(
        case_id=case.id, event_id=event_id, area_path=case.area_path, district_id=case.district_id,
        kind=kind, media_type=prepared.media_type, sha256=digest, size=len(prepared.data),
        width=prepared.width, height=prepared.height, thumb_sha256=thumb,
        caption=(caption or "").strip() or None, uploaded_by_id=actor.id,
    )
    db.session.add(evidence)
    db.session.flush()
    record("evidence.attached", actor=actor, obj=evidence, data={
        "case_id": case.id, "event_id": event_id, "kind": kind, "media_type": prepared.media_type,
        "sha256": digest, "size": len(prepared.data), "caption_given": evidence.caption is not None})
    return evidence


def for_case(case_id: int) -> list[EvidenceFile]:
    """A case's files, oldest first (one indexed range of ix_evidence_files_case_id)."""
    return db.session.scalars(
        sa.select(EvidenceFile).where(EvidenceFile.case_id == case_id).order_by(EvidenceFile.id)).all()

