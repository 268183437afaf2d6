"""Expand/contract, checked: a migration's upgrade only adds (tables, nullable columns, indexes,
wider CHECKs), so the application of the release before keeps working while it runs. Dropping,
renaming, deleting rows and tightening (NOT NULL, a narrower CHECK) come a release later, once
no running server reads or writes the old shape (README "Upgrading").

The check reads each migration's source: every destructive operation outside `downgrade` must
be listed in ALLOWED with the reason it is safe (or why it was accepted when it was made).
"""
import ast
import re
from pathlib import Path

import pytest

from tests.test_migrations import script_directory

# Calls that take something away or tighten it, whatever object they are called on
# (op, batch_op, caseflow.schema_changes).
DESTRUCTIVE_CALLS = {"drop_table", "drop_column", "drop_constraint", "drop_index", "rename_table",
                     "set_not_null", "bulk_delete"}
# In SQL strings.
DESTRUCTIVE_SQL = {
    "DROP": re.compile(r"\bDROP\s+(TABLE|COLUMN|CONSTRAINT|INDEX|TRIGGER|FUNCTION)\b", re.I),
    "DELETE": re.compile(r"\bDELETE\s+FROM\b", re.I),
    "TRUNCATE": re.compile(r"\bTRUNCATE\b", re.I),
    "RENAME": re.compile(r"\bRENAME\b", re.I),
    "SET NOT NULL": re.compile(r"\bSET\s+NOT\s+NULL\b", re.I),
}

# (revision, operation): why it does not break the release before.
ALLOWED = {
    ("9a0e0e0e0005", "alter_column nullable=False"):
        "made before the rule: district_id is added, filled and made NOT NULL in one migration, so a "
        "server of the release before (which does not write district_id) fails to open cases once it "
        "runs. Stop the old servers before this one migration; every later release follows the rule.",
    ("9a0e0e0e0005", "set_not_null"): "the same NOT NULL on PostgreSQL (caseflow.schema_changes.set_not_null)",
    ("e5ca1a7e0003", "drop_constraint"):
        "ck_case_events_event_kind is replaced by a wider CHECK (two more kinds): every row the old "
        "release writes still passes",
    ("c0a1e5ce0006", "drop_constraint"):
        "the letters' status CHECKs are replaced by wider ones (the 'superseded' status): every row "
        "the old release writes still passes",
    ("5e551005e007", "DELETE"):
        "login_throttles holds only failed sign-in counts (minutes of back-off), not records; "
        "they are emptied because their key changed shape",
}


def _outside_downgrade(tree: ast.Module):
    """Every node of the module except the downgrade function's (and imports)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "downgrade":
            continue
        yield from ast.walk(node)


def destructive_operations(source: str) -> set[str]:
    found = set()
    for node in _outside_downgrade(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in DESTRUCTIVE_CALLS:
                found.add(name)
            elif name == "alter_column":
                for keyword in node.keywords:
                    if keyword.arg == "nullable" and isinstance(keyword.value, ast.Constant) \
                            and keyword.value.value is False:
                        found.add("alter_column nullable=False")
                    elif keyword.arg in ("new_column_name", "type_"):
                        found.add(f"alter_column {keyword.arg}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= {label for label, pattern in DESTRUCTIVE_SQL.items() if pattern.search(node.value)}
    return found


def _migrations():
    return sorted(script_directory().walk_revisions(), key=lambda revision: Path(revision.path).name)


@pytest.mark.parametrize("revision", _migrations(), ids=lambda revision: revision.revision)
def test_upgrade_only_expands_unless_the_reason_is_written_down(revision):
    found = destructive_operations(Path(revision.path).read_text())
    unexplained = sorted(op for op in found if (revision.revision, op) not in ALLOWED)
    assert not unexplained, (
        f"{Path(revision.path).name}: {unexplained} in upgrade() would break the release before while it "
        "runs. Add columns and tables now and remove or tighten in a later release; or, if it is safe, "
        "say why in ALLOWED.")


def test_every_allowed_exception_is_still_in_its_migration():
    found = {(revision.revision, op) for revision in _migrations()
             for op in destructive_operations(Path(revision.path).read_text())}
    assert set(ALLOWED) <= found, f"stale entries in ALLOWED: {sorted(set(ALLOWED) - found)}"


def test_the_scan_finds_what_a_contracting_migration_does():
    source = '''
def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("grievance_ref")
        batch_op.alter_column("office_id", nullable=False)
    op.execute("ALTER TABLE cases RENAME COLUMN level TO rung")
    op.execute("DELETE FROM counters")

def downgrade():
    op.drop_table("cases")
'''
    assert destructive_operations(source) == {"drop_column", "alter_column nullable=False", "RENAME", "DELETE"}
