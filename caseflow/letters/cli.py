"""Operator commands of the letters domain, registered under `flask --app wsgi caseflow`."""
import click

commands: list[click.Command] = []
