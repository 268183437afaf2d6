"""Serving evidence files: only to in-charges and supervisors whose areas hold the case.

A file outside the viewer's scope gets the same 404 as an id that does not exist
(caseflow.scope.load_or_404, on the area copied onto each row). Responses are never cached,
never sniffed, and run under a CSP that allows nothing active: only JPEG, PNG and PDF are
ever stored, but the headers would keep even a hostile file inert. Images are shown inline;
PDFs are downloaded (a browser's PDF viewer refuses to run in the sandbox the CSP sets).
"""
from flask import Blueprint, Response, abort
from flask_login import current_user

from caseflow.evidence import storage
from caseflow.evidence.models import EvidenceFile, MediaType
from caseflow.scope import case_pages_only, load_or_404

bp = Blueprint("evidence", __name__)

FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"


case_pages_only(bp)


def _send(data: bytes, media_type: MediaType, name: str, *, inline: bool) -> Response:
    response = Response(data, mimetype=media_type.value)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.get("/evidence/<int:file_id>")
def download(file_id: int):
    evidence = load_or_404(EvidenceFile, file_id, current_user)
    data = storage.load(evidence.sha256, evidence.media_type)
    name = f"evidence-{evidence.id}.{evidence.media_type.extension}"
    return _send(data, evidence.media_type, name, inline=evidence.is_image)


@bp.get("/evidence/<int:file_id>/thumbnail")
def thumbnail(file_id: int):
    evidence = load_or_404(EvidenceFile, file_id, current_user)
    if evidence.thumb_sha256 is None:
        abort(404)
    data = storage.load(evidence.thumb_sha256, MediaType.JPEG)
    return _send(data, MediaType.JPEG, f"evidence-{evidence.id}-thumbnail.jpg", inline=True)
