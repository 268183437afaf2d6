"""The folders of files that database rows point at (letters, evidence files), and how a file
is written into one.

A domain that keeps files beside the database registers its store here, once, at import: a
name, where its folder is, and a query that lists the files its rows reference (relative path
and the SHA-256 the row records, if it records one). Backup and restore (caseflow.backup)
know nothing of letters or evidence: they walk this registry, so a new kind of stored file
joins every backup by registering, and a store nobody registered is a store nobody backs up.

The query is given a plain SQLAlchemy connection to whichever database is being read — the
live one inside a snapshot transaction, or a snapshot's copy — and must therefore be plain
SQL on the store's table (no ORM session, no models of the current schema: a snapshot may be
at an older revision).
"""
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


@dataclass(frozen=True)
class FileStore:
    name: str  # a folder name inside a snapshot: letters, evidence…
    root: Callable[[], Path]  # the store's folder (needs the app context)
    # (relative path under root, recorded SHA-256 or None) of every file a row points at
    referenced: Callable[[sa.Connection], Iterable[tuple[str, str | None]]]


_STORES: dict[str, FileStore] = {}


def register(store: FileStore) -> FileStore:
    """Add a store; registering the same name twice keeps the latest (module reloads in tests)."""
    _STORES[store.name] = store
    return store


def stores() -> list[FileStore]:
    """Every registered store, by name."""
    return [_STORES[name] for name in sorted(_STORES)]


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` at `target`, readable by the server's user only: to a temporary file in the
    same folder, synced, then renamed, so a reader (or a backup) never sees half a file, and two
    writers of the same bytes onto one name leave one whole file whichever wins."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
