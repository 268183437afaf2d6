"""Checks, before serving, that the system libraries WeasyPrint loads are installed.

Without them WeasyPrint fails with an obscure OSError at the first letter; this says which
`apt-get install` line fixes it. Run as `python -m caseflow.syscheck`.
"""
import ctypes.util
import sys

# (library soname stem, Debian package)
REQUIRED = [
    ("pango-1.0", "libpango-1.0-0"),
    ("pangoft2-1.0", "libpangoft2-1.0-0"),
    ("harfbuzz-subset", "libharfbuzz-subset0"),
]


def missing_packages() -> list[str]:
    return [package for lib, package in REQUIRED if ctypes.util.find_library(lib) is None]


def main() -> int:
    missing = missing_packages()
    if missing:
        print("caseflow needs system libraries for its PDF letters that are not installed.", file=sys.stderr)
        print(f"Install them with:\n\n    sudo apt-get install -y {' '.join(missing)}\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
