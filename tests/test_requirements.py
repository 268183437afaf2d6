"""The two pinned dependency sets (README "Dependencies"): requirements.txt is what the server
needs and all `make run` installs, requirements-dev.txt adds tests and tools. Checks that the
compiled files match their .in lists and that caseflow runs with the runtime set alone."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Pulled in by the transliteration library the name key no longer uses; nothing may bring them back.
GONE = ["indic_transliteration", "pydantic", "typer", "rich", "tqdm", "toml", "roman"]


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~!; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def direct(path: str) -> set[str]:
    lines = (line.split("#")[0].strip() for line in (ROOT / path).read_text().splitlines())
    return {_name(line) for line in lines if line and not line.startswith("-")}


def pins(path: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / path).read_text(), re.MULTILINE)
    return {_name(name): version for name, version in found}


def test_every_direct_dependency_is_pinned_in_its_own_set():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert direct("requirements.in") <= runtime.keys()
    assert direct("requirements-dev.in") <= dev.keys()
    assert not direct("requirements-dev.in") & runtime.keys(), "a test or tool package in the runtime set"


def test_a_package_in_both_sets_has_one_version():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert {n: (runtime[n], dev[n]) for n in runtime.keys() & dev.keys() if runtime[n] != dev[n]} == {}


def test_weasyprint_is_pinned_to_the_version_the_text_layer_was_written_against():
    from caseflow.letters.textlayer import WEASYPRINT_VERSION

    assert pins("requirements.txt")["weasyprint"] == WEASYPRINT_VERSION


def test_caseflow_imports_and_starts_without_any_development_package(tmp_path):
    """Every caseflow module imports, and the app serves a page, with the packages only
    requirements-dev.txt installs made unimportable (as on a server installed by `make run`)."""
    dev_only = sorted(pins("requirements-dev.txt").keys() - pins("requirements.txt").keys())
    script = f"""
import importlib, importlib.metadata, pkgutil, sys
dists = {dev_only!r}
for top, owners in importlib.metadata.packages_distributions().items():
    if any(o.lower().replace("_", "-") in dists for o in owners):
        sys.modules[top] = None
for name in {GONE!r}:
    sys.modules[name] = None
import caseflow
for module in pkgutil.walk_packages(caseflow.__path__, "caseflow."):
    importlib.import_module(module.name)
app = caseflow.create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / 'runtime.db'}", "TESTING": True,
                            "SECRET_KEY": "x", "SERVER_NAME": "localhost"}})
assert app.test_client().get("/login").status_code == 200
blocked = sorted(top for top, m in sys.modules.items() if m is None and "." not in top)
print("blocked", blocked)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # The blocking really happened (a test that blocks nothing proves nothing).
    assert "'pytest'" in result.stdout and "'playwright'" in result.stdout and "'regex'" in result.stdout
