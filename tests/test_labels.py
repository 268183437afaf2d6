"""Every code a person can read has a Hindi and an English label (caseflow/labels.py), and the
timeline and the audit page show those labels, never the codes.

The audit actions and data keys are found by reading the source: every `record(...)` call's
action (string literals, both branches of a conditional, module constants, and the one
f-string family `bias.<trigger>`) and the keys of the data it passes.
"""
import ast
import enum
import importlib
import pkgutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import caseflow
from caseflow import labels
from caseflow.audit.services import record
from caseflow.auth.services import set_locale
from caseflow.bias import workflow as bias_workflow
from caseflow.cases import workflow as case_workflow
from caseflow.cases.models import Attention, Case, CaseEvent, EventKind
from caseflow.extensions import db
from tests.conftest import text_of

SOURCE = Path(caseflow.__file__).resolve().parent
# f-string actions, and the codes they expand to.
ACTION_FAMILIES = {"bias.{trigger}": [f"bias.{t}" for t in bias_workflow.TRIGGERS]}


def model_enums() -> list[type[enum.Enum]]:
    found = []
    for info in pkgutil.walk_packages([str(SOURCE)], "caseflow."):
        if not info.name.endswith(".models"):
            continue
        module = importlib.import_module(info.name)
        found += [value for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == info.name]
    return found


def all_labels() -> dict[str, object]:
    """Every label, named by its table and code."""
    tables = {f"BY_ENUM[{name}]": table for name, table in labels.BY_ENUM.items()}
    tables.update({name: getattr(labels, name) for name in (
        "CASE_STEP_DONE", "BIAS_STEP_DONE", "BIAS_KIND_PHRASE", "FINDING_PHRASE", "RELATION_PHRASE",
        "AUDIT_ACTION", "AUDIT_OBJECT", "AUDIT_KEY")})
    return {f"{name}[{getattr(code, 'name', code)}]": text for name, table in tables.items()
            for code, text in table.items()}


# --- reading the source for record(...) calls --------------------------------------------------------


def _is_record(node) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record" and bool(node.args)


def _actions(node, constants: dict, where: str) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _actions(node.body, constants, where) + _actions(node.orelse, constants, where)
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                          for part in node.values)
        assert pattern in ACTION_FAMILIES, f"{where}: add the codes of the action f-string {pattern!r} to this test"
        return ACTION_FAMILIES[pattern]
    raise AssertionError(f"{where}: cannot tell the audit action of {ast.unparse(node)!r}")


def _data_keys(call: ast.Call, function, where: str) -> set[str]:
    """The keys of the data a record() call passes: a dict literal, or a local dict built up."""
    data = next((kw.value for kw in call.keywords if kw.arg == "data"), None)
    if data is None:
        return set()
    if isinstance(data, ast.Dict):
        return {k.value for k in data.keys if isinstance(k, ast.Constant)}
    assert isinstance(data, ast.Name) and function is not None, f"{where}: data={ast.unparse(data)} is not readable"
    keys = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id == data.id for t in node.targets):
            keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and getattr(node.value, "id", None) == data.id:
            keys.add(node.slice.value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update"
                and getattr(node.func.value, "id", None) == data.id):
            keys |= {kw.arg for kw in node.keywords}
    return keys


def recorded() -> tuple[dict[str, str], dict[str, str]]:
    """{action: where} and {data key: where} of every record() call in caseflow/."""
    actions, keys = {}, {}
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for t in node.targets if isinstance(t, ast.Name)}
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in ast.walk(tree):
            if not _is_record(node):
                continue
            where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
            function = min((f for f in functions if f.lineno <= node.lineno <= f.end_lineno),
                           key=lambda f: f.end_lineno - f.lineno, default=None)
            for action in _actions(node.args[0], constants, where):
                actions.setdefault(action, where)
            for key in _data_keys(node, function, where):
                keys.setdefault(key, where)
    return actions, keys


def record_constants(root: Path = SOURCE, *, keys_only: bool = False) -> set[str]:
    """Every string constant inside the data of a record() call under `root` (codes like "throttled",
    and the keys of a literal dict); with `keys_only`, the keys of literal dicts alone."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            data = next((kw.value for kw in node.keywords if kw.arg == "data"), None) if _is_record(node) else None
            if data is None:
                continue
            if keys_only:
                found |= {k.value for d in ast.walk(data) if isinstance(d, ast.Dict)
                          for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            else:
                found |= {c.value for c in ast.walk(data) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


# --- the tables ------------------------------------------------------------------------------------


def test_the_source_scan_finds_the_actions_it_should():
    actions, keys = recorded()
    # A scan that found nothing would pass every test below.
    assert {"case.transition", "letter.superseded", "letter.printed", "sweep.started", "export.csv", "access.refused",
            "user.updated", "user.disabled", "bias.take_over"} <= set(actions)
    assert {"from_level", "skipped_levels", "sha256", "args", "letter_id"} <= set(keys)


def test_every_model_enum_member_has_a_label():
    enums = model_enums()
    assert {EventKind, Attention} <= set(enums) and len(enums) >= 15
    missing = [f"{cls.__name__}.{member.name}" for cls in enums for member in cls
               if member not in labels.BY_ENUM.get(cls.__name__, {})]
    assert not missing, f"add labels to caseflow/labels.py for {missing}"


def test_every_step_of_both_machines_tells_itself_on_the_timeline():
    assert set(case_workflow.TRIGGERS) <= set(labels.CASE_STEP_DONE)
    assert {"file", *bias_workflow.TRIGGERS} <= set(labels.BIAS_STEP_DONE)


def test_every_audit_action_the_code_writes_has_a_label():
    actions, _ = recorded()
    missing = {action: where for action, where in actions.items() if action not in labels.AUDIT_ACTION}
    assert not missing, f"add labels to caseflow/labels.py AUDIT_ACTION for {missing}"


def test_every_audit_data_key_the_code_writes_has_a_label_or_is_hidden():
    _, keys = recorded()
    missing = {key: where for key, where in keys.items()
               if key not in labels.AUDIT_KEY and key not in labels.AUDIT_HIDDEN_KEYS}
    assert not missing, f"add labels to caseflow/labels.py AUDIT_KEY for {missing}"


def test_every_label_has_its_own_hindi(app):
    with app.test_request_context():
        texts = all_labels()
        with force_locale("en"):
            english = {name: str(text) for name, text in texts.items()}
        with force_locale("hi"):
            hindi = {name: str(text) for name, text in texts.items()}
    assert len(texts) > 150
    untranslated = sorted(name for name in texts if not hindi[name].strip() or hindi[name] == english[name])
    assert not untranslated, f"no Hindi in the catalogue for {untranslated}"


def test_label_reads_members_and_stored_codes():
    assert labels.label(None) == ""
    assert labels.label(Attention.STALLED_AT_TOP) is labels.ATTENTION[Attention.STALLED_AT_TOP]
    assert labels.label("needs_configuration", "Attention") is labels.ATTENTION[Attention.NEEDS_CONFIGURATION]
    assert labels.label("gone_now", "Attention") == "gone_now"  # old data with a code since removed
    with pytest.raises(KeyError):
        labels.label(enum.Enum("Unlabelled", "X").X)


# --- the pages -------------------------------------------------------------------------------------


@pytest.fixture
def hindi_supervisor(app, world):
    with app.app_context():
        user = db.session.get(type(world.supervisor), world.supervisor.id)
        set_locale(user, "hi", actor=None)
        db.session.commit()
    return world.supervisor


def _timeline(page: str) -> str:
    return text_of_html(page.split('class="timeline"', 1)[1].split("</ol>", 1)[0])


def text_of_html(html: str) -> str:
    class Page:
        def get_data(self, as_text):
            return html

    return text_of(Page())


def test_the_timeline_shows_every_event_kind_by_its_label(app, world, client, auth, hindi_supervisor):
    with app.app_context():
        case = world.case(status="escalated")
        for kind, details in ((EventKind.LETTER, {"letter_id": 1}), (EventKind.SENT_BACK, {"from_level": 2, "to_level": 1}),
                              (EventKind.ATTENTION, {"attention": Attention.STALLED_AT_TOP.value})):
            db.session.add(CaseEvent(case_id=case.id, kind=kind, level=1, office_id=world.secretary.id, details=details))
        db.session.commit()
        kinds = set(db.session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case.id)))
        case_id = case.id
    assert kinds == set(EventKind) - {EventKind.FOLLOW_UP, EventKind.ASSIGNMENT}
    auth.login(hindi_supervisor)
    timeline = _timeline(client.get(f"/cases/{case_id}").get_data(as_text=True))
    with app.test_request_context(), force_locale("hi"):
        wanted = [str(labels.EVENT_KIND[k]) for k in (EventKind.CREATED, EventKind.LETTER, EventKind.SENT_BACK,
                                                      EventKind.ATTENTION)]
        wanted += [str(labels.ATTENTION[Attention.STALLED_AT_TOP]), str(labels.CASE_STEP_DONE["escalate"])]
    for text in wanted:
        assert text in timeline
    for code in [k.value for k in EventKind] + ["stalled_at_top", "escalate", "None"]:
        assert code not in timeline, f"the timeline shows the code {code!r}"


def test_the_audit_page_shows_every_action_by_its_hindi_label(app, world, client, auth, hindi_supervisor):
    with app.app_context():
        case = world.case(status="submitted")
        case = db.session.get(Case, case.id)
        for action in labels.AUDIT_ACTION:
            record(action, actor=None, obj=case, data={"attention": "stalled_at_top", "from_level": 2, "to_level": 1})
        db.session.commit()
        case_id = case.id
    auth.login(hindi_supervisor)
    page = client.get(f"/audit/cases/{case_id}")
    assert page.status_code == 200
    shown = text_of(page)
    with app.test_request_context(), force_locale("hi"):
        wanted = [str(text) for text in labels.AUDIT_ACTION.values()]
        wanted += [str(labels.ATTENTION[Attention.STALLED_AT_TOP]), str(labels.AUDIT_KEY["from_level"])]
    for text in wanted:
        assert text in shown
    for code in [*labels.AUDIT_ACTION, "stalled_at_top", "from_level"]:
        assert code not in shown, f"the audit page shows the code {code!r}"
