"""Operator commands of the bias domain, registered under `flask --app wsgi caseflow`."""
import click

commands: list[click.Command] = []
