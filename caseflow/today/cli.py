"""`flask --app wsgi caseflow digests`: send the reminders due today (also run by `escalate`,
after its sweep, so the one systemd timer that runs the sweep sends them)."""
from datetime import datetime

import click
from flask.cli import with_appcontext

from caseflow.db import today
from caseflow.today.digests import send_digests


@click.command("digests")
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Run as if today were this date (India). Default: today.")
@with_appcontext
def digests(now: datetime | None):
    """Send each in-charge's daily digest and each supervisor's weekly one, once each."""
    outcome = send_digests(now.date() if now else today())
    click.echo(report(outcome))
    if outcome["failed"]:
        raise SystemExit(1)


def send_and_report(on) -> str:
    """What `escalate` runs after its sweep."""
    return report(send_digests(on))


def report(outcome) -> str:
    if outcome["skipped_unconfigured"]:
        return "Digests skipped: no SMTP server configured (CASEFLOW_SMTP_HOST, CASEFLOW_SMTP_FROM)."
    return (f"Digests: sent {outcome['sent_daily']} daily and {outcome['sent_weekly']} weekly; "
            f"{outcome['already_sent']} already sent; {outcome['no_address']} users without an address; "
            f"{outcome['failed']} failed (tried again next run)"
            + ("; stopped early, the server looks down." if outcome["stopped"] else "."))


commands: list[click.Command] = [digests]
