"""The web pages' fonts: the bundled Noto Sans Devanagari (and Noto Sans for the Latin), cut down
to the characters the pages use and compressed as WOFF2, so Hindi renders on a phone that has
no Devanagari font of its own; and the long-lived, fingerprinted URLs they are served under.

`python -m caseflow.webfonts` (`make fonts`) rebuilds caseflow/static/fonts/web/ from the TTFs
the letters use: one file per script, each named by a hash of its content, and fonts.css with
their @font-face rules (unicode-range, so an English page never downloads the Devanagari file,
and `font-display: swap`, so text shows at once in a system font while the file arrives). The
output is committed: a server never needs fontTools at start-up, and the same inputs and the
pinned fontTools give the same bytes.

A file whose name carries its hash can be cached for a year (`immutable`); so can a static file
asked for with `?v=` equal to the hash of its current content (`asset_url`), which is how the
pages link app.css and fonts.css. Anything else under /static keeps Flask's revalidation (ETag).
"""
import hashlib
import re
import sys
from pathlib import Path

from flask import Flask, current_app, request, url_for
from fontTools import subset as ft_subset

STATIC = Path(__file__).parent / "static"
SOURCE = STATIC / "fonts"
OUTPUT = SOURCE / "web"
YEAR = 365 * 24 * 3600

# Characters the pages show. Devanagari: the whole block (any name may hold any letter), the
# joiners and the dotted circle its shaping needs, the danda and the rupee sign. Latin: ASCII,
# Latin-1 (names, ×, ·, §), and the punctuation the catalogues use (– — ’ “ ” … › →).
DEVANAGARI = [(0x0900, 0x097F), (0x1CD0, 0x1CFF), (0xA8E0, 0xA8FF), (0x200B, 0x200D), (0x25CC, 0x25CC),
              (0x20B9, 0x20B9)]
LATIN = [(0x0020, 0x007E), (0x00A0, 0x00FF), (0x2010, 0x2027), (0x2030, 0x203A), (0x2190, 0x2193),
         (0x2212, 0x2212)]
FACES = (  # (output name, source TTF, ranges)
    ("devanagari", "NotoSansDevanagari-Regular.ttf", DEVANAGARI),
    ("latin", "NotoSans-Regular.ttf", LATIN),
)
FAMILY = "caseflow Noto"
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.woff2$")


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def _unicode_range(ranges) -> str:
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in ranges)


def subset(source: Path, ranges) -> bytes:
    """WOFF2 bytes of `source` cut to `ranges`, every OpenType layout feature kept (Devanagari
    conjuncts and matras are built by them), hinting dropped (phones do not use it)."""
    options = ft_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]  # keeps the copyright and licence records the OFL asks for
    options.notdef_outline = True
    font = ft_subset.load_font(str(source), options)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[u for a, b in ranges for u in range(a, b + 1)])
    subsetter.subset(font)
    out = OUTPUT / "_building.woff2"
    ft_subset.save_font(font, str(out), options)
    data = out.read_bytes()
    out.unlink()
    return data


def build() -> list[Path]:
    OUTPUT.mkdir(exist_ok=True)
    for old in OUTPUT.glob("*.woff2"):
        old.unlink()
    rules, written = [], []
    for name, source, ranges in FACES:
        data = subset(SOURCE / source, ranges)
        path = OUTPUT / f"{name}.{_hash(data)}.woff2"
        path.write_bytes(data)
        written.append(path)
        rules.append(
            "@font-face {\n"
            f'  font-family: "{FAMILY}"; font-style: normal; font-weight: 400; font-display: swap;\n'
            f'  src: url("{path.name}") format("woff2");\n'
            f"  unicode-range: {_unicode_range(ranges)};\n"
            "}\n")
    css = OUTPUT / "fonts.css"
    css.write_text("/* Written by `make fonts` (python -m caseflow.webfonts): do not edit. Noto fonts, SIL OFL "
                   "(../OFL.txt). */\n" + "".join(rules), encoding="utf-8")
    return [*written, css]


def font_files() -> dict[str, Path]:
    """The built WOFF2 file of each face, by name."""
    return {path.name.split(".")[0]: path for path in OUTPUT.glob("*.woff2")}


def init_app(app: Flask) -> None:
    fingerprints: dict[str, str] = {}

    @app.template_global()
    def asset_url(filename: str) -> str:
        """The URL of a static file with its content's hash: cacheable for a year, and a new URL
        the moment the file changes. Hashed once per process (the files ship with the release)."""
        if filename not in fingerprints or current_app.debug:
            fingerprints[filename] = _hash((STATIC / filename).read_bytes())
        return url_for("static", filename=filename, v=fingerprints[filename])

    @app.after_request
    def _cache_fingerprinted(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        if FINGERPRINTED.search(filename) or (version and fingerprints.get(filename) == version):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response


if __name__ == "__main__":
    for built in build():
        print(f"{built.relative_to(Path.cwd()) if built.is_relative_to(Path.cwd()) else built}: "
              f"{built.stat().st_size:,} bytes")
    sys.exit(0)
