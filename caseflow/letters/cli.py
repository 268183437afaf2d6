"""Operator commands of the letters domain, registered under `flask --app wsgi caseflow`.

`letters print` renders every letter of the selection that has no PDF yet (normally none:
the background workers render letters once drafted; committing in small chunks, so the
database is never locked for long), then writes the stored PDFs one after another into a
single file, each letter keeping its own "page x of y".
"""
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from caseflow.areas.models import Area, AreaKind
from caseflow.extensions import db
from caseflow.letters import register
from caseflow.letters.models import LetterStatus
from caseflow.scope import OPERATOR

CHUNK = 20


@click.group("letters")
def letters():
    """Letters: batch printing for operators."""


@letters.command("print")
@click.option("--district", "district_code", help="District code (e.g. SHR); all districts when left out.")
@click.option("--status", default=LetterStatus.DRAFTED.value, show_default=True,
              type=click.Choice([s.value for s in LetterStatus] + ["all"]), help="Which letters to print.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The PDF file to write.")
@with_appcontext
def print_letters(district_code: str | None, status: str, out: Path):
    """Print the selected letters into one PDF, rendering those never printed."""
    district_id = None
    if district_code:
        district = db.session.scalar(sa.select(Area).where(Area.kind == AreaKind.DISTRICT, Area.code == district_code))
        if district is None:
            raise click.ClickException(f"no district with the code {district_code!r}")
        district_id = district.id
    filters = register.RegisterFilters(district_id=district_id, status=None if status == "all" else status)
    ids = register.batch_letter_ids(OPERATOR, filters)
    if not ids:
        click.echo("No letters match; no file written.")
        return
    # Letters drafted while this runs are left for the next batch.
    filters = replace(filters, upto=max(ids))
    progress = register.batch_progress(OPERATOR, filters)
    click.echo(f"{progress.total} letters; {progress.total - progress.rendered} to render first.")
    while not progress.done:
        if not register.render_batch_chunk(OPERATOR, filters, None, CHUNK):
            break
        db.session.commit()
        progress = register.batch_progress(OPERATOR, filters)
        click.echo(f"  rendered {progress.rendered} of {progress.total}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".letters-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as handle:
            count, pages = register.write_batch(ids, None, handle)
        # The prints are on the audit trail before the file appears under its name.
        db.session.commit()
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {count} letters ({pages} pages) to {out}")


commands: list[click.Command] = [letters]
