"""Where evidence files are kept: one file per distinct content, named by its SHA-256.

Files live under `EVIDENCE_DIR` (default `instance/evidence`, beside `instance/letters`) as
`<first two hex>/<sha256>.<jpg|png|pdf>`. The same photo attached twice (to two cases, or
twice to one) is one file: the second write finds it there. A file is written before the
transaction that records it commits; if that transaction rolls back the file stays behind,
unreferenced and harmless (its name is its content, and backups copy only files a row points
at). Every read checks the SHA-256: a file that changed on disk is an error, never served.
Several app servers must share this folder, as they share the letters folder.
The folder is registered as a file store (caseflow.filestores), so every backup holds exactly
the evidence files and thumbnails its rows point at.
"""
import hashlib
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from caseflow import filestores
from caseflow.evidence.models import MediaType


class EvidenceFileError(RuntimeError):
    """The stored file is missing or does not match its recorded SHA-256."""


def evidence_dir() -> Path:
    configured = current_app.config.get("EVIDENCE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(digest: str, media_type: MediaType) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise EvidenceFileError("not a SHA-256 digest")
    return f"{digest[:2]}/{digest}.{media_type.extension}"


def store(data: bytes, media_type: MediaType) -> str:
    """Keep `data` (atomically, readable by the server's user only) unless it is there; its SHA-256."""
    digest = sha256(data)
    target = evidence_dir() / relative_path(digest, media_type)
    if target.is_file() and target.stat().st_size == len(data):
        return digest
    filestores.write_atomically(target, data)
    return digest


def load(digest: str, media_type: MediaType) -> bytes:
    """The stored bytes, after checking them against their name."""
    try:
        data = (evidence_dir() / relative_path(digest, media_type)).read_bytes()
    except OSError as exc:
        raise EvidenceFileError("the stored evidence file cannot be read") from exc
    if sha256(data) != digest:
        raise EvidenceFileError("the stored evidence file does not match its SHA-256")
    return data


def referenced_files(connection: sa.Connection) -> list[tuple[str, str | None]]:
    """(path, sha256) of every stored file and thumbnail a row points at, each once, for backups.

    Plain SQL on the table (a snapshot may be at an older revision, before the table existed)."""
    if not sa.inspect(connection).has_table("evidence_files"):
        return []
    rows = connection.execute(sa.text(
        "SELECT DISTINCT sha256, media_type FROM evidence_files "
        "UNION SELECT DISTINCT thumb_sha256, 'image/jpeg' FROM evidence_files WHERE thumb_sha256 IS NOT NULL"))
    files = {(relative_path(digest, MediaType(media)), digest) for digest, media in rows}
    return sorted(files)


filestores.register(filestores.FileStore("evidence", evidence_dir, referenced_files))
