"""Writing one consistent snapshot, and checking one against its manifest.

Consistency comes from reading everything through one view of the database: on SQLite the
online backup API copies the database in one step (a single read transaction: WAL lets the
server's writers carry on), and the list of files is then read from that copy; on PostgreSQL
a REPEATABLE READ transaction exports its snapshot, `pg_dump --snapshot` dumps exactly that
view, and the same transaction lists the files, reads the schema revision and the audit head.
Then exactly the files those rows reference are copied, each checked against the SHA-256 its
row records. Stored files are immutable (named by their content, written by an atomic rename,
never deleted while a committed row points at them: caseflow.letters.storage), so copying them
after the database view was taken gives the files of that view. Files on disk that no row of
the view references (a render whose transaction rolled back, a letter stored after the view)
are left out: the snapshot holds no row without its file and no file without its row.

Everything is written into a hidden `.partial-…` folder beside the final one and renamed at the
end, after an fsync, so a snapshot that looks complete is complete.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import caseflow
from caseflow import filestores
from caseflow.extensions import db

FORMAT = "caseflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_DIR = "files"
NAME_PATTERN = re.compile(r"^caseflow-(\d{8}T\d{6}Z)$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
GENESIS_HASH = "0" * 64  # the audit chain's head before its first entry (caseflow.audit.models)
CHUNK = 1 << 20


class BackupError(Exception):
    """A snapshot could not be written, or a snapshot or target was refused; the message says why."""


@dataclass
class DatabaseView:
    """What the snapshot's view of the database says: schema, audit head, referenced files."""

    revision: str | None
    audit_seq: int
    audit_hash: str
    files: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)


@dataclass
class Written:
    path: Path
    manifest: dict
    manifest_sha256: str
    seconds: float
    size: int  # bytes, database and files


def snapshot_name(moment: datetime) -> str:
    return f"caseflow-{moment.strftime(STAMP_FORMAT)}"


def snapshot_time(name: str) -> datetime | None:
    """The UTC time in a snapshot folder's name, or None if the name is not a snapshot's."""
    found = NAME_PATTERN.match(name)
    try:
        return datetime.strptime(found.group(1), STAMP_FORMAT).replace(tzinfo=UTC) if found else None
    except ValueError:  # caseflow-20261399T…: the shape of a name, not a time
        return None


def database_kind() -> str:
    kind = db.engine.dialect.name
    if kind not in DATABASE_FILES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {kind}")
    return kind


def read_view(connection: sa.Connection) -> DatabaseView:
    """The schema revision, audit head and referenced files, read through `connection`."""
    revisions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(revisions) != 1:
        raise BackupError(f"the database has {len(revisions)} schema revisions recorded; expected one "
                          "(run `flask --app wsgi db upgrade` first)")
    head = connection.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    view = DatabaseView(revisions[0], head.seq if head else 0, head.hash if head else GENESIS_HASH)
    for store in filestores.stores():
        view.files[store.name] = list(store.referenced(connection))
    return view


# --- the database --------------------------------------------------------------------------------


def sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("backups need an SQLite database in a file")
    return Path(url.database)


def _sqlite_snapshot(target: Path) -> DatabaseView:
    source_path = sqlite_path(db.engine.url)
    if not source_path.is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=60)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole copy is one read transaction, one moment of the database.
        source.backup(copy, pages=-1)
        # The snapshot is one self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return read_view(connection)
    finally:
        engine.dispose()


def pg_environment(url: sa.URL) -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore: the password never goes on a command line."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    for option in ("host", "sslmode", "sslrootcert", "sslcert", "sslkey"):
        if option in url.query:
            env[f"PG{option.upper()}"] = str(url.query[option])
    return env


def run_pg_tool(args: list[str], url: sa.URL) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL's client tools, the server's major version)")
    done = subprocess.run([tool, "--no-password", *args[1:]], env=pg_environment(url), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_snapshot(target: Path) -> DatabaseView:
    url = db.engine.url
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            # The first statement fixes the transaction's view; pg_dump dumps that same view.
            exported = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            run_pg_tool(["pg_dump", "--format=custom", f"--snapshot={exported}", f"--file={target}"], url)
            return read_view(connection)


# --- files ---------------------------------------------------------------------------------------


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing a path that is absolute or climbs out of root."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BackupError(f"the stored path {relative!r} is not a plain path inside its folder")
    return root.joinpath(*pure.parts)


def copy_file(source: Path, target: Path) -> tuple[str, int]:
    """Copy, hashing on the way; (sha256, size) of the bytes written."""
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_store_files(view: DatabaseView, snapshot: Path) -> list[dict]:
    entries, problems = [], []
    stores = {store.name: store for store in filestores.stores()}
    for name, files in view.files.items():
        root = stores[name].root()
        for relative, expected in files:
            target = inside(snapshot / FILES_DIR / name, relative)
            try:
                digest, size = copy_file(inside(root, relative), target)
            except FileNotFoundError:
                problems.append(f"{name}/{relative}: missing from {root}")
                continue
            if expected is not None and digest != expected:
                problems.append(f"{name}/{relative}: its SHA-256 differs from the one its row records")
                continue
            entries.append({"path": f"{FILES_DIR}/{name}/{relative}", "sha256": digest, "size": size, "store": name})
    if problems:
        raise BackupError(f"{len(problems)} stored file(s) referenced by the database are missing or altered; "
                          f"no snapshot was written:{_listed(problems)}")
    return entries


def _listed(problems: list[str], most: int = 20) -> str:
    """The first `most` problems, one an indented line, for an error message."""
    return "\n  " + "\n  ".join(problems[:most]) + ("\n  …" if len(problems) > most else "")


def _fsync_tree(path: Path) -> None:
    """Flush what was written before the rename makes the snapshot look complete."""
    # One sync of the filesystem beats an fsync per file when a store holds many small files.
    os.sync()
    for folder in [path, *(p for p in path.rglob("*") if p.is_dir())]:
        _fsync_dir(folder)


# --- the snapshot --------------------------------------------------------------------------------


def write_snapshot(root: Path, *, now: datetime | None = None) -> Written:
    """Write one snapshot as `root/caseflow-<UTC time>`; BackupError (nothing left behind) on failure."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    kind = database_kind()
    root.mkdir(parents=True, exist_ok=True)
    final = root / snapshot_name(now)
    if final.exists():
        raise BackupError(f"{final} exists already (one snapshot per second); nothing was written")
    partial = Path(tempfile.mkdtemp(dir=root, prefix=f".partial-{final.name}-"))
    try:
        database_file = partial / DATABASE_FILES[kind]
        view = _sqlite_snapshot(database_file) if kind == "sqlite" else _pg_snapshot(database_file)
        digest, size = file_digest(database_file)
        files = [{"path": database_file.name, "sha256": digest, "size": size}]
        files += _copy_store_files(view, partial)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "caseflow_version": caseflow.__version__,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "database": {"kind": kind, "file": database_file.name},
            "schema_revision": view.revision,
            "audit_head": {"seq": view.audit_seq, "hash": view.audit_hash},
            "stores": {name: len(entries) for name, entries in view.files.items()},
            "files": files,
        }
        text = json.dumps(manifest, indent=1, sort_keys=True).encode()
        (partial / MANIFEST).write_bytes(text)
        _fsync_tree(partial)
        if final.exists():
            raise BackupError(f"{final} appeared while this snapshot was written; nothing was written")
        os.rename(partial, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Written(final, manifest, hashlib.sha256(text).hexdigest(), time.perf_counter() - started,
                   sum(f["size"] for f in files))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(snapshot: Path) -> dict:
    try:
        manifest = json.loads((snapshot / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{snapshot} is not a caseflow snapshot: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{snapshot}/{MANIFEST} cannot be read as JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{snapshot} is not a caseflow snapshot (its manifest says another format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{snapshot} is a snapshot of format {manifest.get('format_version')!r}; "
                          f"this caseflow reads format {FORMAT_VERSION}")
    return manifest


def check_snapshot(snapshot: Path) -> dict:
    """The manifest, once every file it lists is there with its size and SHA-256, and nothing else is.

    Reads every byte. Raises BackupError naming what does not match.
    """
    if not snapshot.is_dir():
        raise BackupError(f"{snapshot} is not a folder")
    manifest = read_manifest(snapshot)
    try:
        listed = {entry["path"]: entry for entry in manifest["files"]}
        kind, database_file = manifest["database"]["kind"], manifest["database"]["file"]
        manifest["audit_head"]["seq"], manifest["audit_head"]["hash"], manifest["schema_revision"]
    except (KeyError, TypeError):
        raise BackupError(f"{snapshot}/{MANIFEST} lacks fields a snapshot has") from None
    if DATABASE_FILES.get(kind) != database_file or database_file not in listed:
        raise BackupError(f"{snapshot}/{MANIFEST} names no database file of a known kind")
    present = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"{path}: missing" for path in sorted(set(listed) - present)]
    problems += [f"{path}: not in the manifest" for path in sorted(present - set(listed))]
    for path in sorted(set(listed) & present):
        entry = listed[path]
        file = inside(snapshot, path)
        if file.stat().st_size != entry.get("size"):
            problems.append(f"{path}: its size differs from the manifest's")
        elif file_digest(file)[0] != entry.get("sha256"):
            problems.append(f"{path}: its SHA-256 differs from the manifest's")
    if problems:
        raise BackupError(f"the snapshot {snapshot} does not match its manifest ({len(problems)} problem(s)); "
                          f"nothing was restored:{_listed(problems)}")
    return manifest


def manifest_sha256(snapshot: Path) -> str:
    return hashlib.sha256((snapshot / MANIFEST).read_bytes()).hexdigest()
