"""A script-neutral search key for names, so "Ram" finds "राम" and the other way round.

Devanagari is transliterated with indic_transliteration (ITRANS), then both scripts are
folded the same way: lower case, long vowels shortened, common spelling variants merged and
every non-initial short "a" dropped.
"""
import re
import unicodedata

from indic_transliteration import sanscript

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_FOLDS = [
    (re.compile(r"aa|ee|ii|oo|uu"), lambda m: {"aa": "a", "ee": "i", "ii": "i", "oo": "u", "uu": "u"}[m.group()]),
    (re.compile(r"sh"), lambda m: "s"),
    (re.compile(r"w"), lambda m: "v"),
    (re.compile(r"ph"), lambda m: "f"),
    (re.compile(r"z"), lambda m: "j"),
    (re.compile(r"([a-z])\1+"), lambda m: m.group(1)),
]


def _fold_word(word: str) -> str:
    for pattern, repl in _FOLDS:
        word = pattern.sub(repl, word)
    # The short "a" is written or dropped at will in Latin spellings of Hindi names
    # ("Kamla", "Kamala"), so it is not part of the key except at the start of a word.
    return word[:1] + word[1:].replace("a", "")


def name_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    if _DEVANAGARI.search(text):
        text = sanscript.transliterate(text, sanscript.DEVANAGARI, sanscript.ITRANS)
        # ITRANS marks: drop the nasalisation and visarga signs, fold case-coded vowels.
        text = text.replace(".N", "n").replace("M", "n").replace("H", "").replace("~N", "n")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z]+", text)
    return " ".join(_fold_word(w) for w in words)
