"""`make run`'s system check: which WeasyPrint libraries are missing decides what it does (install
them as root with apt-get, or print the one line to run). apt-get is never really run here."""
import io
import subprocess

import pytest

from caseflow import syscheck

ALL = ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"]


class Machine:
    """Libraries present on a pretend machine; a pretend apt-get that installs packages into it."""

    def __init__(self, missing=(), installs=True, fails=None):
        libs = {package: lib for lib, package in syscheck.REQUIRED}
        self.present = {lib for package, lib in libs.items() if package not in missing}
        self.libs, self.installs, self.fails, self.ran = libs, installs, fails, []

    def find_library(self, lib):
        return f"lib{lib}.so" if lib in self.present else None

    def run(self, command, env):
        self.ran.append(command)
        assert env["DEBIAN_FRONTEND"] == "noninteractive"
        if command[:2] == ["apt-get", self.fails]:
            return subprocess.CompletedProcess(command, 100)
        if command[:2] == ["apt-get", "install"] and self.installs:
            self.present |= {self.libs[p] for p in command if p in self.libs}
        return subprocess.CompletedProcess(command, 0)

    def check(self, *, root, apt):
        out = io.StringIO()
        code = syscheck.main(find_library=self.find_library, root=root, apt=apt, run=self.run, out=out)
        return code, out.getvalue()


def test_missing_packages_names_the_debian_package_of_each_absent_library():
    assert syscheck.missing_packages(Machine(missing=["libharfbuzz-subset0"]).find_library) == ["libharfbuzz-subset0"]
    assert syscheck.missing_packages(Machine(missing=ALL).find_library) == ALL
    assert syscheck.missing_packages(Machine().find_library) == []


@pytest.mark.parametrize(("root", "apt"), [(True, True), (True, False), (False, True), (False, False)])
def test_nothing_missing_means_nothing_done_and_nothing_said(root, apt):
    machine = Machine()
    assert machine.check(root=root, apt=apt) == (0, "")
    assert machine.ran == []


def test_root_with_apt_installs_exactly_the_missing_packages_and_says_so():
    machine = Machine(missing=["libpango-1.0-0", "libharfbuzz-subset0"])
    code, said = machine.check(root=True, apt=True)
    assert code == 0
    assert machine.ran == [["apt-get", "update", "-qq"],
                           ["apt-get", "install", "-y", "-qq", "libpango-1.0-0", "libharfbuzz-subset0"]]
    assert "installing" in said and "libpango-1.0-0 libharfbuzz-subset0" in said and "installed" in said
    assert syscheck.missing_packages(machine.find_library) == []


@pytest.mark.parametrize(("root", "apt", "line"), [
    (False, True, "    sudo apt-get install -y libpangoft2-1.0-0 libharfbuzz-subset0"),
    (False, False, "    sudo apt-get install -y libpangoft2-1.0-0 libharfbuzz-subset0"),
    (True, False, "    apt-get install -y libpangoft2-1.0-0 libharfbuzz-subset0"),
])
def test_without_root_or_apt_it_stops_with_the_line_to_run(root, apt, line):
    machine = Machine(missing=["libpangoft2-1.0-0", "libharfbuzz-subset0"])
    code, said = machine.check(root=root, apt=apt)
    assert code == 1 and machine.ran == []
    assert line in said.splitlines()


@pytest.mark.parametrize("failing", ["update", "install"])
def test_a_failing_apt_get_stops_with_the_line_to_run(failing):
    machine = Machine(missing=["libpango-1.0-0"], fails=failing)
    code, said = machine.check(root=True, apt=True)
    assert code == 1
    assert machine.ran[-1][1] == failing  # nothing run after the failure
    assert "    apt-get install -y libpango-1.0-0" in said.splitlines()


def test_packages_installed_but_libraries_still_absent_is_a_failure():
    machine = Machine(missing=ALL, installs=False)
    code, said = machine.check(root=True, apt=True)
    assert code == 1 and len(machine.ran) == 2
    assert f"    apt-get install -y {' '.join(ALL)}" in said.splitlines()


def test_the_plan_itself():
    assert syscheck.plan([], root=True, apt=True) == syscheck.Plan((), None)
    assert syscheck.plan(["libpango-1.0-0"], root=False, apt=True) == syscheck.Plan(
        (), "sudo apt-get install -y libpango-1.0-0")
    assert syscheck.plan(["libpango-1.0-0"], root=True, apt=True).commands[-1] == (
        "apt-get", "install", "-y", "-qq", "libpango-1.0-0")
