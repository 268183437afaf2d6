"""The README stays true to the code: its lifecycle diagram is the generated one."""
from pathlib import Path

from caseflow.cases.workflow import mermaid_diagram
from caseflow.cli import readme_with_diagram

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lifecycle_diagram_is_generated_from_the_transition_table():
    text = README.read_text()
    assert readme_with_diagram(text, mermaid_diagram()) == text, "run `make diagram` to refresh the README"


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
