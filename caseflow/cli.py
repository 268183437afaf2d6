"""`flask --app wsgi caseflow …`: operator commands. Each command commits once, at its end."""
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from caseflow import demo, textguard
from caseflow.areas.models import Area
from caseflow.audit.cli import commands as audit_commands
from caseflow.audit.services import record
from caseflow.auth import services
from caseflow.auth.models import Role, User
from caseflow.backup.cli import commands as backup_commands
from caseflow.bias.cli import commands as bias_commands
from caseflow.cases.workflow import mermaid_diagram
from caseflow.db import today
from caseflow.escalation.cli import commands as escalation_commands
from caseflow.escalation.cli import run_sweep
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.jobs.cli import commands as jobs_commands
from caseflow.letters.cli import commands as letters_commands
from caseflow.today.cli import commands as today_commands


@click.group("caseflow")
def caseflow_cli():
    """caseflow operator commands."""


@caseflow_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) when the database already has users.")
@click.option("--cases", default=300, show_default=True, help="How many demo cases to create.")
@with_appcontext
def seed_demo(if_empty: bool, cases: int):
    """Load the fictional demo district, then run the escalation sweep (idempotent; refused in production)."""


    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("seed-demo refuses to run with the production configuration")
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The database already has users; the demo district was not loaded.")
        demo.print_logins(click.echo)
        return
    created = demo.seed(n_cases=cases)
    db.session.commit()
    if created:
        click.echo(f"Loaded the demo district: {created}")
        # The sweep cron would run next: it escalates the overdue cases (drafting their letters)
        # and flags those it cannot move. Its needs-configuration finding is deliberate here
        # (data.MISSING_OFFICES), so it does not fail the command as it fails `escalate`.
        _counts, refused = run_sweep(today())
        if refused:
            raise click.ClickException(f"the escalation sweep refused {len(refused)} demo cases")
    elif demo.is_loaded():
        click.echo("The demo data (or a user named admin) is already there; nothing changed.")
    demo.print_logins(click.echo)


README_START = "<!-- lifecycle:start -->"
README_END = "<!-- lifecycle:end -->"


def readme_with_diagram(readme: str, diagram_text: str) -> str:
    """The README text with the block between the lifecycle markers replaced."""
    head, rest = readme.split(README_START, 1)
    _old, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n```mermaid\n{diagram_text}```\n{README_END}{tail}"


@caseflow_cli.command("diagram")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--readme", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Replace the lifecycle block of this README in place.")
def diagram(out: Path | None, readme: Path | None):
    """Write the case lifecycle as a mermaid diagram, generated from the transition table."""

    text = mermaid_diagram()
    if readme:
        readme.write_text(readme_with_diagram(readme.read_text(), text))
    elif out:
        out.write_text(text)
    else:
        click.echo(text, nl=False)


@caseflow_cli.command("create-user")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(["admin", "supervisor", "incharge"]), required=True)
@click.option("--area", "area_codes", multiple=True, help="District code or area id; repeat for several.")
@click.password_option()
@with_appcontext
def create_user(username, display_name, role, area_codes, password):
    """Create a user (the first administrator of a new deployment, for example).

    Refuses, writing nothing, a username that is taken, a password that is too short, an
    unknown area, or an in-charge or supervisor without an area (they would see no case).
    """


    if role != Role.ADMIN.value and not area_codes:
        raise click.ClickException(f"a {role} needs at least one --area (a district code or an area id)")
    areas = []
    for code in area_codes:
        query = sa.select(Area).where(Area.id == int(code)) if code.isdigit() else sa.select(Area).where(Area.code == code)
        area = db.session.scalar(query)
        if area is None:
            raise click.ClickException(f"no area {code!r}")
        areas.append(area)
    # Operator commands speak English, whatever the deployment's default language for screens.
    with force_locale("en"):
        try:
            user = services.create_user(username=username, display_name=display_name, password=password,
                                        role=Role(role), areas=areas, actor=None)
            db.session.commit()  # inside: the flush may refuse too (a username that is an Aadhaar number)
        except Refused as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {user.username} ({role})")


@caseflow_cli.command("privacy-scan")
@click.option("--fix", is_flag=True, help="Mask the free text found (references and audit entries are only listed).")
@with_appcontext
def privacy_scan(fix: bool):
    """Look for full Aadhaar numbers in rows stored before the rule held at every flush.

    Prints table, column and row ids (never the values). Exit 0 when nothing is left, 1 when
    something is (run with --fix for free text; references need a person; audit entries are
    inside the hash chain and are only counted).
    """
    findings = textguard.scan_stored(db.session, fix=fix)
    fixed = sum(len(f.ids) for f in findings if f.kind == "masked") if fix else 0
    for finding in findings:
        ids = ", ".join(str(i) for i in finding.ids[:20]) + (" …" if len(finding.ids) > 20 else "")
        state = {"masked": "masked" if fix else "to mask (--fix)", "reference": "reference: correct by hand",
                 "audit": "in the audit chain: cannot be rewritten"}[finding.kind]
        click.echo(f"{finding.table}.{finding.column}: {len(finding.ids)} row(s), {state}; ids {ids}")
    if fixed:
        record("privacy.masked_stored", actor=None, data={"count": fixed})
    db.session.commit()
    left = [f for f in findings if not (fix and f.kind == "masked")]
    click.echo(f"{fixed} value(s) masked; {sum(len(f.ids) for f in left)} left")
    if left:
        raise SystemExit(1)


def _register_domain_commands() -> None:
    """Each domain keeps its operator commands in its own cli.py (`commands` list)."""

    for command in (*audit_commands, *backup_commands, *bias_commands, *escalation_commands, *jobs_commands,
                    *letters_commands, *today_commands):
        caseflow_cli.add_command(command)


_register_domain_commands()
