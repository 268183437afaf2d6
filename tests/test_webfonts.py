"""The web pages' bundled fonts: WOFF2 subsets of the Noto fonts that together stay under 100 KB,
cover every character the Hindi catalogue shows, are rebuilt byte for byte by `make fonts`, and
are served under fingerprinted URLs with a year-long cache."""
import io
import re
import unicodedata

from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from caseflow import webfonts
from tests.test_i18n import PO

BUDGET = 100 * 1024


def _cmap(path) -> set[int]:
    return set(TTFont(io.BytesIO(path.read_bytes())).getBestCmap())


def test_the_font_files_exist_are_woff2_and_together_under_100_kb():
    files = webfonts.font_files()
    assert sorted(files) == ["devanagari", "latin"]
    for path in files.values():
        data = path.read_bytes()
        assert data[:4] == b"wOF2", f"{path.name} is not WOFF2"
        assert TTFont(io.BytesIO(data)).flavor == "woff2"
        assert re.search(webfonts.FINGERPRINTED, path.name) and webfonts._hash(data) in path.name
    assert sum(path.stat().st_size for path in files.values()) < BUDGET


def test_the_fonts_cover_every_character_of_the_hindi_catalogue():
    covered = _cmap(webfonts.font_files()["devanagari"]) | _cmap(webfonts.font_files()["latin"])
    devanagari = _cmap(webfonts.font_files()["devanagari"])
    with PO.open("rb") as f:
        catalogue = read_po(f)
    shown = set()
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        shown.update(ch for text in strings for ch in text or "")
    assert sum(1 for ch in shown if "\u0900" <= ch <= "\u097f") > 40  # the catalogue really is Hindi
    missing = sorted(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in shown
                     if ord(ch) not in covered and not ch.isspace())
    assert missing == []
    assert [ch for ch in shown if "\u0900" <= ch <= "\u097f" and ord(ch) not in devanagari] == []


def test_make_fonts_rebuilds_the_same_bytes(tmp_path, monkeypatch):
    before = {path.name: path.read_bytes() for path in webfonts.OUTPUT.iterdir()}
    monkeypatch.setattr(webfonts, "OUTPUT", tmp_path)
    webfonts.build()
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_fonts_css_swaps_and_names_the_files_by_their_hash():
    css = (webfonts.OUTPUT / "fonts.css").read_text(encoding="utf-8")
    assert css.count("font-display: swap") == 2
    for path in webfonts.font_files().values():
        assert f'url("{path.name}") format("woff2")' in css


def test_fonts_and_assets_are_cached_for_a_year_and_revalidated_otherwise(app, client):
    for path in webfonts.font_files().values():
        r = client.get(f"/static/fonts/web/{path.name}")
        assert r.status_code == 200 and r.data == path.read_bytes()
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with app.test_request_context():
        css_url = app.jinja_env.globals["asset_url"]("fonts/web/fonts.css")
    assert re.fullmatch(r"/static/fonts/web/fonts\.css\?v=[0-9a-f]{10}", css_url)
    r = client.get(css_url)
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Without the fingerprint (or with a stale one) the browser must check back: ETag, no year.
    for url in ("/static/fonts/web/fonts.css", "/static/fonts/web/fonts.css?v=0000000000"):
        r = client.get(url)
        assert "immutable" not in r.headers.get("Cache-Control", "") and r.headers["ETag"]


def test_every_page_links_the_fonts_and_its_css_by_fingerprint(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" href="/static/fonts/web/fonts\.css\?v=[0-9a-f]{10}">', page)
    assert re.search(r'<link rel="stylesheet" href="/static/app\.css\?v=[0-9a-f]{10}">', page)
