"""The imports between caseflow's packages go one way: no package imports one that (directly or
through others) imports it back.

Each direct child of caseflow/ is a node (a domain package such as `cases`, or a module such
as `scope`); an edge is any import, at any depth of a module, from one node to another. The
application factory (caseflow/__init__.py) is left out: it is the composition root that
imports every domain to register its blueprint. Where a lower domain must learn something
from a higher one it offers a hook (case panels, routing's blockers, the step_taken signal,
letter context providers) that the higher one fills.
"""
import ast
from collections import defaultdict
from pathlib import Path

import caseflow

ROOT = Path(caseflow.__file__).resolve().parent


def nodes() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()} | {
        p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        parts = node.module.split(".")
        if parts[0] != "caseflow":
            return []
        return [alias.name for alias in node.names] if len(parts) == 1 else [parts[1]]
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[1] for alias in node.names if alias.name.startswith("caseflow.")]
    return []


def import_graph() -> dict[str, dict[str, str]]:
    """{node: {imported node: "file:line" of one such import}}."""
    known = nodes()
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        source = parts[0] if len(parts) > 1 else path.stem
        if source == "__init__" or "translations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node):
                if target in known and target != source:
                    graph[source].setdefault(target, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_package_import_graph_has_no_cycle():
    graph = import_graph()
    assert {"cases", "letters", "bias", "escalation"} <= set(graph), "the graph reader found too little"
    cycle = find_cycle(graph)
    where = [f"{a} → {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)] if cycle else []
    assert cycle is None, "import cycle between caseflow packages:\n" + "\n".join(where)


def test_the_layers_that_matter_point_the_right_way():
    graph = import_graph()
    # The chain every service writes to is below every domain; the trail pages are above them.
    assert not set(graph["audit"]) & {"cases", "letters", "bias", "escalation", "beneficiaries"}
    assert {"cases", "letters", "bias"} <= set(graph["trails"])
    # Cases know nothing of the domains built on them; those plug into its hooks.
    assert not set(graph["cases"]) & {"letters", "bias", "escalation", "trails"}
    assert "cases" in graph["letters"] and "letters" in graph["bias"] and "cases" in graph["escalation"]
    # Labels and the step-machine engine sit below every domain.
    assert not set(graph.get("labels", {})) - {"db", "extensions"}
    assert set(graph.get("machine", {})) <= {"exceptions"}


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}}) is None
