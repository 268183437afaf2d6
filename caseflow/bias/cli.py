"""Operator commands of the bias domain, registered under `flask --app wsgi caseflow`."""
from pathlib import Path

import click

from caseflow.bias.workflow import mermaid_diagram

DOC_START = "<!-- review:start -->"
DOC_END = "<!-- review:end -->"


def doc_with_diagram(text: str, diagram: str) -> str:
    """The document with the block between the review markers replaced by `diagram`."""
    head, rest = text.split(DOC_START, 1)
    _old, tail = rest.split(DOC_END, 1)
    return f"{head}{DOC_START}\n```mermaid\n{diagram}```\n{DOC_END}{tail}"


@click.command("bias-diagram")
@click.option("--doc", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Replace the review-lifecycle block of this document (docs/bias.md) in place.")
def bias_diagram(doc: Path | None):
    """Write the bias review lifecycle as a mermaid diagram, generated from its transition table."""

    if doc:
        doc.write_text(doc_with_diagram(doc.read_text(), mermaid_diagram()))
    else:
        click.echo(mermaid_diagram(), nl=False)


commands: list[click.Command] = [bias_diagram]
