"""Operator commands of the escalation domain, registered under `flask --app wsgi caseflow`."""
import click

commands: list[click.Command] = []
