"""Operator commands of the audit domain, registered under `flask --app wsgi caseflow`.

`audit verify` walks the whole chain and prints its head, for the operator to record outside
caseflow; a later run given that head with `--expect-head` also detects a cut-off tail.
"""
import click
from flask.cli import with_appcontext

from caseflow.audit.services import verify
from caseflow.db import read_only_transaction
from caseflow.extensions import db

PROGRESS_EVERY = 100_000


@click.group("audit")
def audit_cli():
    """The hash-chained audit trail."""


@audit_cli.command("verify")
@click.option("--expect-head", metavar="HASH",
              help="A head hash recorded earlier: it must still be in the chain (detects a cut-off tail).")
@click.option("--batch", default=5000, show_default=True, help="Entries read per query.")
@with_appcontext
def verify_command(expect_head: str | None, batch: int):
    """Check every entry's link and hash; print the entry count and the head hash.

    Exits 0 when the chain is intact, 1 naming the first broken entry.
    """

    shown = {"next": PROGRESS_EVERY}

    def progress(done: int, total: int) -> None:
        if done >= shown["next"]:
            click.echo(f"checked {done:,} of {total:,} entries…", err=True)
            shown["next"] = done + PROGRESS_EVERY

    # Only reads: on SQLite that must not take the write lock away from the application.
    token = read_only_transaction.set(True)
    try:
        result = verify(batch, expect_head=expect_head.strip().lower() if expect_head else None, progress=progress)
    finally:
        db.session.rollback()
        read_only_transaction.reset(token)
    if not result.ok:
        click.echo(f"BROKEN at entry {result.broken_seq}: {result.problem}", err=True)
        click.echo(f"entries 1 to {result.head_seq} hold; the last good hash is {result.head_hash}", err=True)
        raise SystemExit(1)
    click.echo(f"The audit chain is intact: {result.checked} entries.")
    if expect_head:
        click.echo("The recorded head is in the chain.")
    # Last line, machine-readable: record it somewhere caseflow cannot write.
    click.echo(f"head {result.head_seq} {result.head_hash}")


commands: list[click.Command] = [audit_cli]
