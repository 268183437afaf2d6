"""How the PDF text layer's round trip is measured (docs/textlayer.md): the Devanagari words of a
letter's HTML against the words an extractor such as pdftotext gives back.

Only tests measure it, so it lives with them rather than in caseflow.letters.textlayer.
"""
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from typing import NamedTuple

import regex

_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_DEVANAGARI = regex.compile(r"\p{Devanagari}")
_FORMAT_CHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


class _TextCollector(HTMLParser):
    _HIDDEN = {"head", "style", "script", "title", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self._HIDDEN

    def handle_endtag(self, tag):
        self.hidden -= tag in self._HIDDEN and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML document's body, the words a reader of its PDF should get back."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join(collector.parts)


def devanagari_words(text: str) -> list[str]:
    """The words of `text` that contain Devanagari, in order.

    NFC-normalised; a word is a maximal run of letters, marks and digits (so punctuation,
    danda, hyphens and spaces separate words); zero-width and soft-hyphen characters are
    dropped first, as extractors differ in keeping them.
    """
    text = unicodedata.normalize("NFC", text.translate(_FORMAT_CHARS))
    return [word for word in _WORD.findall(text) if _DEVANAGARI.search(word)]


class Roundtrip(NamedTuple):
    total: int  # Devanagari words in the source
    found: int  # of them present in the extracted text, counted as a multiset
    in_order: int  # longest common subsequence of the two word sequences
    missing: list[str]  # source words not found (multiset difference), sorted

    @property
    def ratio(self) -> float:
        return self.found / self.total if self.total else 1.0

    @property
    def order_ratio(self) -> float:
        return self.in_order / self.total if self.total else 1.0


def word_roundtrip(source_text: str, extracted_text: str) -> Roundtrip:
    """How many Devanagari words of `source_text` come back out of `extracted_text`."""
    source, extracted = devanagari_words(source_text), devanagari_words(extracted_text)
    missing = Counter(source) - Counter(extracted)
    previous = [0] * (len(extracted) + 1)
    for word in source:
        current = [0]
        for j, other in enumerate(extracted):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    return Roundtrip(len(source), len(source) - sum(missing.values()), previous[-1], sorted(missing.elements()))
