"""Restoring a snapshot into an empty instance.

In order, each step refusing with a clear message before anything is written:
1. the snapshot matches its manifest, byte for byte (snapshot.check_snapshot);
2. it is of this instance's database kind, and its schema revision is one this code knows
   (a snapshot from a newer caseflow is refused: restore it with that version);
3. the target is empty: no table in the database, no file in any store (restoring over data
   would mix two histories; the operator creates a new database instead).
Then the files are copied into their stores, the database is restored (SQLite: the online
backup API into the target file; PostgreSQL: pg_restore in one transaction), migrated forward
if the snapshot is older than the code, and the audit chain is verified against the
manifest's head: the restored chain must end exactly there. A failure while writing removes
the files this restore wrote; a database already restored is left for the operator to inspect
(the message says so), as a failed migration would be.
"""
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask_migrate import upgrade

from caseflow import filestores
from caseflow.audit.services import record, verify
from caseflow.backup.snapshot import (
    FILES_DIR,
    MANIFEST,
    BackupError,
    check_snapshot,
    copy_file,
    inside,
    manifest_sha256,
    run_pg_tool,
    sqlite_path,
)
from caseflow.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


@dataclass
class Restored:
    manifest: dict
    files: int
    migrated_from: str | None  # the snapshot's revision when it was migrated forward
    audit_seq: int
    audit_hash: str


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _check_revision(revision: str | None) -> bool:
    """Whether the snapshot needs migrating forward; BackupError if this code does not know its revision."""
    script = script_directory()
    head = script.get_current_head()
    if revision == head:
        return False
    try:
        known = revision is not None and script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(f"the snapshot's schema revision {revision!r} is not one this caseflow knows "
                          f"(its head is {head}): it was written by a newer or another version; nothing was restored")
    return True


def database_tables() -> int:
    """How many tables, views and sequences the target database holds (0: empty)."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        if not path.exists():
            return 0
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')").fetchone()[0]
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'")).scalar_one()


def _store_has_files(root: Path) -> bool:
    return root.exists() and any(p.is_file() for p in root.rglob("*"))


def _refuse_unless_empty() -> None:
    tables = database_tables()
    if tables:
        raise BackupError(f"the target database is not empty ({tables} tables): restore needs a new, empty "
                          "database (create one and point CASEFLOW_DATABASE_URL at it); nothing was restored")
    full = [f"{store.name} ({store.root()})" for store in filestores.stores() if _store_has_files(store.root())]
    if full:
        raise BackupError(f"the target's file stores are not empty: {', '.join(full)}; restore needs empty "
                          "folders; nothing was restored")


def _restore_files(snapshot: Path, manifest: dict, written: list[Path]) -> int:
    stores = {store.name: store for store in filestores.stores()}
    unknown = sorted({entry["store"] for entry in manifest["files"] if "store" in entry} - set(stores))
    if unknown:
        raise BackupError(f"the snapshot holds files of stores this caseflow does not have: {', '.join(unknown)}")
    count = 0
    for entry in manifest["files"]:
        if "store" not in entry:
            continue
        name = entry["store"]
        relative = entry["path"].removeprefix(f"{FILES_DIR}/{name}/")
        root = stores[name].root()
        target = inside(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        written.append(Path(tmp))
        digest, _size = copy_file(inside(snapshot, entry["path"]), Path(tmp))
        if digest != entry["sha256"]:
            raise BackupError(f"{entry['path']} changed while it was restored; the restore was undone")
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        written[-1] = target
        count += 1
    return count


def _restore_database(snapshot: Path, manifest: dict) -> None:
    source = snapshot / manifest["database"]["file"]
    engine = db.engine
    if engine.dialect.name == "sqlite":
        target = sqlite_path(engine.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        engine.dispose()  # no pooled connection may keep the empty file's state
        reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        writer = sqlite3.connect(target, timeout=60)
        try:
            reader.backup(writer, pages=-1)
            writer.execute("PRAGMA journal_mode=WAL")  # as caseflow.db runs it
        finally:
            writer.close()
            reader.close()
        engine.dispose()
        return
    # One transaction: a failed restore leaves the database as empty as it was.
    run_pg_tool(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                 f"--dbname={engine.url.database}", str(source)], engine.url)


def restore_snapshot(snapshot: Path, *, expect_manifest: str | None = None) -> Restored:
    """Restore `snapshot` into this app's empty database and stores; BackupError on any refusal or failure.

    `expect_manifest`: the manifest's SHA-256 recorded when the snapshot was written (the
    manifest vouches for every other file; this vouches for the manifest).
    """
    if expect_manifest is not None and (snapshot / MANIFEST).is_file() \
            and manifest_sha256(snapshot) != expect_manifest.strip().lower():
        raise BackupError(f"{snapshot}/{MANIFEST} is not the manifest recorded ({expect_manifest}): it was altered "
                          "or this is another snapshot; nothing was restored")
    manifest = check_snapshot(snapshot)
    kind = manifest["database"]["kind"]
    if kind != db.engine.dialect.name:
        raise BackupError(f"the snapshot holds a {kind} database and this instance runs on "
                          f"{db.engine.dialect.name}; nothing was restored")
    revision = manifest["schema_revision"]
    migrate = _check_revision(revision)
    _refuse_unless_empty()
    written: list[Path] = []
    try:
        files = _restore_files(snapshot, manifest, written)
        _restore_database(snapshot, manifest)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if migrate:
        upgrade(directory=str(MIGRATIONS))
        db.engine.dispose()
    expected_seq, expected_hash = manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]
    result = verify(expect_head=expected_hash if expected_seq else None)
    db.session.rollback()
    if not result.ok:
        raise BackupError(f"the restored audit chain does not verify: entry {result.broken_seq}: {result.problem}. "
                          "The data was restored; do not use it before finding out why")
    if (result.head_seq, result.head_hash) != (expected_seq, expected_hash):
        raise BackupError(f"the restored audit chain ends at entry {result.head_seq}, the manifest's head is "
                          f"{expected_seq}. The data was restored; do not use it before finding out why")
    record("backup.restored", actor=None, data={
        "manifest_sha256": manifest_sha256(snapshot), "files": files, "audit_seq": expected_seq,
        "migrated": migrate})
    db.session.commit()
    return Restored(manifest, files, revision if migrate else None, expected_seq, expected_hash)
