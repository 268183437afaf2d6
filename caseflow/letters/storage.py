"""Where rendered letters are kept: one file per letter, named by its content, checked on read.

Files live under `LETTERS_DIR` (default `instance/letters`) as
`<district>/<year>/<reference>-<first 16 hex of the SHA-256>.pdf`. Naming a file by its hash
means a render whose transaction later rolled back can never overwrite a stored letter, and two
databases sharing one instance folder (a test run beside a pilot) cannot collide. Every read
checks the SHA-256 recorded in the database: a letter that changed on disk is an error, never
silently re-rendered. Several app servers must share this folder (e.g. an NFS mount).
The folder is registered as a file store (caseflow.filestores), so every backup holds exactly
the PDFs its letter rows point at.
"""
import hashlib
import re
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from caseflow import filestores

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


class LetterFileError(RuntimeError):
    """The stored PDF is missing or does not match its recorded SHA-256."""

    def __init__(self, message: str, reference: str | None = None):
        super().__init__(message)
        self.reference = reference


def letters_dir() -> Path:
    configured = current_app.config.get("LETTERS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "letters"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(reference: str) -> str:
    """'SHR/LTR/2026/00001' -> 'SHR-LTR-2026-00001': a file name with no path in it."""
    return _UNSAFE.sub("-", reference).strip("-") or "letter"


def relative_path(reference: str, digest: str) -> str:
    district, _kind, year = (reference.split("/") + ["", "", ""])[:3]
    return f"{safe_name(district)}/{safe_name(year)}/{safe_name(reference)}-{digest[:16]}.pdf"


def _absolute(relative: str) -> Path:
    root = letters_dir().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise LetterFileError("the stored path lies outside the letters folder")
    return path


def store(reference: str, data: bytes) -> tuple[str, str]:
    """Write the PDF (atomically, readable by the server's user only); return (relative path, sha256)."""
    digest = sha256(data)
    relative = relative_path(reference, digest)
    target = _absolute(relative)
    filestores.write_atomically(target, data)
    return relative, digest


def path_of(relative: str) -> Path:
    return _absolute(relative)


def load(relative: str, expected_sha256: str, reference: str | None = None) -> bytes:
    """The stored bytes, after checking them against the recorded hash."""
    try:
        data = _absolute(relative).read_bytes()
    except OSError as exc:
        raise LetterFileError("the stored letter file cannot be read", reference) from exc
    if sha256(data) != expected_sha256:
        raise LetterFileError("the stored letter file does not match its recorded SHA-256", reference)
    return data


def referenced_files(connection: sa.Connection) -> list[tuple[str, str | None]]:
    """(path, sha256) of every stored letter PDF, for backups (caseflow.filestores)."""
    rows = connection.execute(sa.text(
        "SELECT pdf_path, pdf_sha256 FROM letters WHERE pdf_path IS NOT NULL ORDER BY id"))
    return [(path, digest) for path, digest in rows]


filestores.register(filestores.FileStore("letters", letters_dir, referenced_files))
