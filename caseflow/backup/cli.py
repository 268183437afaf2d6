"""Operator commands of backups, registered under `flask --app wsgi caseflow`.

`backup --out DIR` writes `DIR/caseflow-<UTC time>/` while the server keeps serving, and with
`--keep-daily`/`--keep-monthly` prunes the older snapshots of DIR. `restore SNAPSHOT` fills an
empty instance from one. Both exit non-zero, saying why, when anything is refused or fails.
"""
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from caseflow.audit.services import record
from caseflow.backup.restore import restore_snapshot
from caseflow.backup.retention import prune
from caseflow.backup.snapshot import BackupError, write_snapshot
from caseflow.extensions import db


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


@click.command("backup")
@click.option("--out", "root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The backup folder: the snapshot is written into it as caseflow-<UTC time>/.")
@click.option("--keep-daily", type=click.IntRange(min=0), default=None,
              help="Then keep the newest snapshot of each of the last N days in the folder …")
@click.option("--keep-monthly", type=click.IntRange(min=0), default=None,
              help="… and of each of the last M months; the others are deleted (only caseflow snapshots).")
@with_appcontext
def backup_command(root: Path, keep_daily: int | None, keep_monthly: int | None):
    """Write one consistent snapshot: the database, every stored file, and a manifest.

    The server keeps serving meanwhile. The last line names the manifest's SHA-256: record it
    outside caseflow to check the snapshot later (`restore` checks every file against the manifest).
    """
    try:
        written = write_snapshot(root)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = written.manifest
    files = len(manifest["files"]) - 1
    click.echo(f"Wrote {written.path}: the {manifest['database']['kind']} database at revision "
               f"{manifest['schema_revision']}, {files} stored files, {_size(written.size)}, "
               f"in {written.seconds:.1f} s.")
    click.echo(f"audit head {manifest['audit_head']['seq']} {manifest['audit_head']['hash']}")
    if keep_daily is not None or keep_monthly is not None:
        pruned = prune(root, keep_daily=keep_daily or 0, keep_monthly=keep_monthly or 0, keep=written.path)
        click.echo(f"Retention: {len(pruned)} older snapshot(s) deleted" +
                   (": " + ", ".join(p.name for p in pruned) if pruned else "") + ".")
    # A copy of every record left the database: that is on the audit trail, like an export.
    try:
        record("backup.written", actor=None, data={"manifest_sha256": written.manifest_sha256, "files": files,
                                                   "audit_seq": manifest["audit_head"]["seq"]})
        db.session.commit()
    except sa.exc.OperationalError as exc:
        db.session.rollback()
        raise click.ClickException(f"the snapshot {written.path} is complete, but its audit entry could not be "
                                   f"recorded: {exc.orig}") from exc
    click.echo(f"manifest sha256 {written.manifest_sha256}")


@click.command("restore")
@click.argument("snapshot", type=click.Path(file_okay=False, path_type=Path))
@click.option("--expect-manifest", metavar="SHA256",
              help="The manifest's SHA-256 that `backup` printed: refuse the snapshot if its manifest differs.")
@with_appcontext
def restore_command(snapshot: Path, expect_manifest: str | None):
    """Restore a snapshot into this instance's empty database and file stores.

    Refuses, writing nothing, a snapshot whose files do not match its manifest, a non-empty
    target, or a snapshot newer than this caseflow. Migrates an older one forward, then checks
    the audit chain against the manifest's head.
    """
    try:
        restored = restore_snapshot(snapshot, expect_manifest=expect_manifest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    migrated = (f", migrated forward from {restored.migrated_from}" if restored.migrated_from else "")
    click.echo(f"Restored {snapshot}: the database{migrated} and {restored.files} stored files.")
    click.echo(f"The audit chain verifies and ends at the manifest's head: {restored.audit_seq} {restored.audit_hash}")


commands: list[click.Command] = [backup_command, restore_command]
