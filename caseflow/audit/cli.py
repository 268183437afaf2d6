"""Operator commands of the audit domain, registered under `flask --app wsgi caseflow`."""
import click

commands: list[click.Command] = []
