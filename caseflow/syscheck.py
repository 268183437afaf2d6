"""Checks, before serving, that the system libraries WeasyPrint loads are installed, and installs
them when it can.

Without them WeasyPrint fails with an obscure OSError at the first letter. Run as root on a
machine with apt-get (a fresh Debian server or container), this installs the missing packages
itself and says so, so `make run` reaches a served page with no separate step; anywhere else it
stops with the one `apt-get install` line that fixes it, because installing system packages is
the administrator's decision. Run as `python -m caseflow.syscheck`.
"""
import ctypes.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

# (library soname stem, Debian package)
REQUIRED = [
    ("pango-1.0", "libpango-1.0-0"),
    ("pangoft2-1.0", "libpangoft2-1.0-0"),
    ("harfbuzz-subset", "libharfbuzz-subset0"),
]


# (program, Debian package): the impact card is rasterised by poppler's pdftoppm.
REQUIRED_PROGRAMS = [("pdftoppm", "poppler-utils")]


def missing_packages(find_library=ctypes.util.find_library, which=shutil.which) -> list[str]:
    return ([package for lib, package in REQUIRED if find_library(lib) is None]
            + [package for program, package in REQUIRED_PROGRAMS if which(program) is None])


@dataclass(frozen=True)
class Plan:
    commands: tuple[tuple[str, ...], ...]  # run in order; empty when there is nothing to do here
    advice: str | None  # the line a person has to run when we cannot (or did not manage to)


def plan(missing: list[str], *, root: bool, apt: bool) -> Plan:
    """What to do about `missing` packages, as root or not, with apt-get on the machine or not."""
    if not missing:
        return Plan((), None)
    advice = f"{'' if root else 'sudo '}apt-get install -y {' '.join(missing)}"
    if not (root and apt):
        return Plan((), advice)
    # A fresh machine has no package lists yet, so install alone would find nothing.
    return Plan((("apt-get", "update", "-qq"), ("apt-get", "install", "-y", "-qq", *missing)), advice)


def _tell_to_install(advice: str, out) -> None:
    print("caseflow needs system libraries for its PDF letters that are not installed.", file=out)
    print(f"Install them with:\n\n    {advice}\n", file=out)


def main(*, find_library=ctypes.util.find_library, root: bool | None = None, apt: bool | None = None,
         run=subprocess.run, out=None) -> int:
    out = out or sys.stderr
    missing = missing_packages(find_library)
    if not missing:
        return 0
    todo = plan(missing,
                root=os.geteuid() == 0 if root is None else root,
                apt=shutil.which("apt-get") is not None if apt is None else apt)
    if not todo.commands:
        _tell_to_install(todo.advice, out)
        return 1
    print(f"caseflow: installing the system libraries its PDF letters need: {' '.join(missing)}", file=out)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in todo.commands:
        if run(list(command), env=env).returncode != 0:
            print(f"caseflow: `{' '.join(command)}` failed.", file=out)
            _tell_to_install(todo.advice, out)
            return 1
    still = missing_packages(find_library)
    if still:
        _tell_to_install(plan(still, root=True, apt=True).advice, out)
        return 1
    print("caseflow: installed; continuing.", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
