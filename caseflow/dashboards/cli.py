"""Operator command of the dashboards: the daily snapshot, run by the scheduler after the sweep.

    flask --app wsgi caseflow snapshot-dashboards [--now YYYY-MM-DD]

Idempotent per day: a second run the same day replaces that day's figures.
"""
import time
from datetime import datetime

import click
from flask.cli import with_appcontext

from caseflow.dashboards import snapshot
from caseflow.db import fixed_today, read_only_transaction, today
from caseflow.extensions import db


@click.command("snapshot-dashboards")
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Take the snapshot as of this date (India). Default: today.")
@with_appcontext
def snapshot_dashboards(now: datetime | None):
    """Count the dashboards' figures per district and store them as today's snapshot."""
    on = now.date() if now else today()
    started = time.perf_counter()
    with fixed_today(on):
        token = read_only_transaction.set(True)  # SQLite: a plain BEGIN, no write lock while counting
        try:
            # On SQLite one read transaction is one view of the cases; on PostgreSQL (read
            # committed) each metric is its own statement, so a case changed during the count
            # may show in two metrics in two states: off by the few cases changed meanwhile.
            counted = snapshot.tallies(on)
            db.session.rollback()
        finally:
            read_only_transaction.reset(token)
        rows = snapshot.take(on, counted)
    db.session.commit()
    click.echo(f"Dashboard snapshot for {on.isoformat()}: {rows:,} rows in {time.perf_counter() - started:.1f} s.")


commands: list[click.Command] = [snapshot_dashboards]
