"""The PDF text layer of WeasyPrint letters: every Hindi word must come back out of pdftotext.

Renders tests/fixtures/hindi_sample.html (a letter with ~220 Devanagari words: pre-base ि,
reph, conjuncts, nukta, anusvara, chandrabindu, halant forms, Devanagari digits, and English)
with bare WeasyPrint and with caseflow.letters.textlayer, then reads both back with poppler.
No database is needed.
"""
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import weasyprint
from PIL import Image, ImageChops
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

import caseflow
from caseflow.letters import textlayer
from tests.textlayer_support import devanagari_words, html_text, word_roundtrip

SAMPLE = Path(__file__).parent / "fixtures" / "hindi_sample.html"
FONT_FILES = ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
SHIPPED_FONTS = Path(caseflow.__file__).parent / "static" / "fonts"
SYSTEM_FONTS = Path("/usr/share/fonts/truetype/noto")
FONT_DIR = SHIPPED_FONTS if all((SHIPPED_FONTS / name).is_file() for name in FONT_FILES) else SYSTEM_FONTS

# Words the issue names: pre-base ि, reph, conjuncts, nukta.
NAMED_WORDS = ("मिला", "कार्यालय", "प्रधानमंत्री", "निर्देश", "किया", "शिकायत", "ज़िला")


class FontsOnly(URLFetcher):
    """Serves the font directory's files and nothing else."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve()
        if parts.scheme != "file" or path.parent != FONT_DIR.resolve() or not path.is_file():
            raise ValueError(f"not a font of {FONT_DIR}")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": "font/ttf"})


FONT_CONFIG = FontConfiguration()


def render(html: str, *, fixed: bool, **options) -> bytes:
    was_fixed = textlayer.is_fixed()
    try:
        if fixed:
            textlayer.fix_text_layer()
        else:
            textlayer.restore_weasyprint()
        return weasyprint.HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=FontsOnly()).write_pdf(
            font_config=FONT_CONFIG, **options)
    finally:
        # Leave the process as the rest of the suite found it.
        if was_fixed:
            textlayer.fix_text_layer()
        else:
            textlayer.restore_weasyprint()


def pdftotext(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                            capture_output=True, text=True, check=True)
    assert result.stderr == ""  # poppler reports syntax errors in content streams here
    return result.stdout


@pytest.fixture(scope="module")
def sample():
    html = SAMPLE.read_text(encoding="utf-8")
    return {"html": html, "text": html_text(html),
            "bare": render(html, fixed=False), "fixed": render(html, fixed=True)}


def test_the_sample_is_a_real_test():
    words = devanagari_words(html_text(SAMPLE.read_text(encoding="utf-8")))
    assert len(words) >= 200
    for word in NAMED_WORDS + ("क्षेत्र", "त्रैमासिक", "ज्ञापन", "श्रीमती", "चाँद", "पश्चात्", "आँगनवाड़ी", "फ़रवरी", "हृदय", "अतः"):
        assert word in words


@pytest.mark.parametrize("layout", [False, True])
def test_every_hindi_word_round_trips(sample, tmp_path, layout):
    result = word_roundtrip(sample["text"], pdftotext(sample["fixed"], tmp_path, layout=layout))
    assert result.missing == []
    assert result.ratio == 1.0
    assert result.in_order == result.total


@pytest.mark.parametrize("layout", [False, True])
def test_bare_weasyprint_loses_words(sample, tmp_path, layout):
    # The measurement must be able to fail: WeasyPrint 70.0 alone loses about 30 % of the words.
    result = word_roundtrip(sample["text"], pdftotext(sample["bare"], tmp_path, layout=layout))
    assert result.ratio < 0.8


def test_named_words_extract_exactly(sample, tmp_path):
    fixed = devanagari_words(pdftotext(sample["fixed"], tmp_path))
    bare = devanagari_words(pdftotext(sample["bare"], tmp_path))
    for word in NAMED_WORDS:
        assert word in fixed
    assert "मिला" not in bare and "मला" in bare


def test_english_and_digits_are_unaffected(sample, tmp_path):
    def other_words(text):
        return [word for word in text.split() if word.isascii()]

    source = other_words(sample["text"])
    fixed = other_words(pdftotext(sample["fixed"], tmp_path))
    assert "Aadhaar" in source and "SHR/LTR/2026/00042" in source
    assert fixed == other_words(pdftotext(sample["bare"], tmp_path))
    assert [word for word in fixed if word in source] == source


def test_the_page_looks_exactly_the_same(sample, tmp_path):
    images = []
    for name in ("bare", "fixed"):
        (tmp_path / f"{name}.pdf").write_bytes(sample[name])
        subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-singlefile", "-png",
                        str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
        images.append(Image.open(tmp_path / f"{name}.png").convert("RGB"))
    assert images[0].size == images[1].size
    assert ImageChops.difference(*images).getbbox() is None


def test_fonts_are_embedded(sample, tmp_path):
    (tmp_path / "fixed.pdf").write_bytes(sample["fixed"])
    rows = subprocess.run(["pdffonts", str(tmp_path / "fixed.pdf")], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]
    names = {row.split()[0].split("+")[1] for row in rows}
    assert {"Letter-Devanagari", "Letter-Latin"} <= names
    for row in rows:
        assert row.split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, ToUnicode


@pytest.mark.parametrize("options", [{}, {"pdf_tags": True}])
def test_spans_are_well_formed(sample, options):
    # Every span opens and closes inside one text object, nested with the tagging's own marks.
    pdf = render(sample["html"], fixed=True, uncompressed_pdf=True, **options)
    stack, spans = [], 0
    for match in re.finditer(rb"(?m)(?:^|[\s>])(BT|ET|BDC|BMC|EMC)$", pdf):
        operator = match.group(1)
        if operator == b"BDC" and pdf.rfind(b"/ActualText", 0, match.start()) > pdf.rfind(b"\n", 0, match.start()):
            assert b"BT" in stack
            spans += 1
        if operator in (b"BT", b"BDC", b"BMC"):
            stack.append(operator)
        else:
            assert stack and (stack.pop() == b"BT") == (operator == b"ET")
    assert stack == []
    assert spans == pdf.count(b"/ActualText") > 100


def test_spans_carry_any_text_safely(tmp_path):
    # ActualText is written as hex, so a name cannot close the span or add operators.
    name = "राम (कुमार) \\ >> BDC ) EMC <script> शर्मिला"
    html = SAMPLE.read_text(encoding="utf-8").replace("सुनीता वर्मा", name.replace("<", "&lt;").replace(">", "&gt;"))
    text = pdftotext(render(html, fixed=True), tmp_path)
    assert name in text
    assert word_roundtrip(html_text(html), text).ratio == 1.0


@pytest.mark.parametrize("options", [{"pdf_tags": True}, {"pdf_variant": "pdf/a-3u"}, {"full_fonts": True}])
def test_other_pdf_options_keep_the_text(sample, tmp_path, options):
    result = word_roundtrip(sample["text"], pdftotext(render(sample["html"], fixed=True, **options), tmp_path))
    assert result.missing == []


def test_ellipsis_does_not_reveal_hidden_text(tmp_path):
    # Pango's "…" run covers the hidden characters; the text layer must not put them back.
    html = ('<style>@font-face { font-family: D; src: url(NotoSansDevanagari-Regular.ttf); }'
            'div { font-family: D; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 30mm; }'
            '</style><div>प्रधानमंत्री आवास योजना के अंतर्गत लंबित आवेदन गोपनीय</div>')
    text = pdftotext(render(html, fixed=True), tmp_path)
    assert "प्रधानमंत्री" in text and "…" in text
    assert "गोपनीय" not in text


def test_svg_text_is_fixed_too(tmp_path):
    html = ('<style>@font-face { font-family: D; src: url(NotoSansDevanagari-Regular.ttf); }</style>'
            '<svg width="300" height="40"><text x="5" y="25" font-family="D" font-size="14">सर्वेक्षण मिला</text></svg>')
    assert devanagari_words(pdftotext(render(html, fixed=True), tmp_path)) == ["सर्वेक्षण", "मिला"]


def test_fix_is_idempotent_and_reversible():
    was_fixed = textlayer.is_fixed()
    try:
        textlayer.fix_text_layer()
        textlayer.fix_text_layer()
        assert textlayer.is_fixed()
        textlayer.restore_weasyprint()
        assert not textlayer.is_fixed()
    finally:
        if was_fixed:
            textlayer.fix_text_layer()


@pytest.mark.parametrize("change", ["version", "source"])
def test_refuses_a_weasyprint_it_was_not_written_for(monkeypatch, change):
    was_fixed = textlayer.is_fixed()
    textlayer.restore_weasyprint()
    try:
        if change == "version":
            monkeypatch.setattr(weasyprint, "__version__", "71.0")
        else:
            monkeypatch.setattr(textlayer, "DRAW_TEXT_SHA256", "0" * 64)
        with pytest.raises(textlayer.UnsupportedWeasyPrint):
            textlayer.fix_text_layer()
        assert not textlayer.is_fixed()
    finally:
        monkeypatch.undo()
        if was_fixed:
            textlayer.fix_text_layer()


def test_word_comparison():
    assert devanagari_words("मिला, Office; ज़िला।\u200dकार्य-योजना १२") == ["मिला", "ज़िला", "कार्य", "योजना", "१२"]
    # NFC: the precomposed U+095B ज़ is the same word as ज + nukta.
    assert word_roundtrip("\u095bिला", "ज\u093cिला").ratio == 1.0
    result = word_roundtrip("उसे पत्र मिला मिला", "मिला उसे मला")
    assert (result.total, result.found, result.in_order, result.missing) == (4, 2, 1, ["पत्र", "मिला"])
