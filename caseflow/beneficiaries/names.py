"""A script-neutral search key for names, so "Ram" finds "राम" and the other way round.

Devanagari is first spelled out in Latin letters with the table below, then both scripts are
folded the same way: lower case, long vowels shortened, common spelling variants merged and
every non-initial short "a" dropped.

The table is ours rather than a transliteration library's because a key needs only one rough
Latin spelling per letter (ट and त may both be "t"), not a reversible scheme; the library this
replaced (indic_transliteration) cost every worker about 0.3 s and 150 modules at import and
4.4 MB of memory. Its spellings are the lower-cased ITRANS ones that library produced, so most
stored keys stay as they were. They differ (and migration 7e5a11a0e006 recomputes them) where
ITRANS split a word or kept a letter untransliterated (ञ, ड़, ढ़, ॉ, ऑ, ॅ, ऍ), in names mixing
both scripts, and where pronunciation decides how a name is written in Latin: ज्ञ "gy", ख़ "kh", ग़ "gh", the nasal sign ं as "m" before प फ ब भ म
("Champa") and "ng" before ह ("Singh"); and in Latin "x" is "ks" ("Laxmi") and a final "y" after a
consonant is "i" ("Pinky").
"""
import re
import unicodedata

# Consonants without their inherent vowel.
_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n",
    "च": "ch", "छ": "ch", "ज": "j", "झ": "jh", "ञ": "n",
    "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n",
    "त": "t", "थ": "th", "द": "d", "ध": "dh", "न": "n", "ऩ": "n",
    "प": "p", "फ": "ph", "ब": "b", "भ": "bh", "म": "m",
    "य": "y", "र": "r", "ऱ": "r", "ल": "l", "ळ": "l", "ऴ": "zh", "व": "v",
    "श": "sh", "ष": "sh", "स": "s", "ह": "h",
}
# A consonant followed by the nukta sign: the sounds of Urdu and English loan words.
_WITH_NUKTA = {"क": "q", "ख": "kh", "ग": "gh", "ज": "z", "ड": "d", "ढ": "dh", "फ": "f", "य": "y"}
_VOWELS = {
    "अ": "a", "आ": "a", "इ": "i", "ई": "i", "उ": "u", "ऊ": "u", "ऋ": "ri", "ॠ": "ri", "ऌ": "li",
    "ॡ": "li", "ऍ": "e", "ऎ": "e", "ए": "e", "ऐ": "ai", "ऑ": "o", "ऒ": "o", "ओ": "o", "औ": "au",
    "ॐ": "on",
}
_VOWEL_SIGNS = {
    "ा": "a", "ि": "i", "ी": "i", "ु": "u", "ू": "u", "ृ": "ri", "ॄ": "ri", "ॢ": "li", "ॣ": "li",
    "ॅ": "e", "ॆ": "e", "े": "e", "ै": "ai", "ॉ": "o", "ॊ": "o", "ो": "o", "ौ": "au",
}
_VIRAMA = "्"
_NUKTA = "़"
_NASALS = "ंँ"  # anusvara and chandrabindu
_LABIALS = "पफबभम"
# Signs a Latin spelling never shows: visarga, avagraha, a stray nukta, zero-width (non-)joiners.
_SILENT = "ःऽ" + _NUKTA + "\u200c\u200d"
_GYA = "ज्ञ"

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_FOLDS = [
    (re.compile(r"x"), lambda m: "ks"),  # "Laxmi" is लक्ष्मी
    (re.compile(r"(?<=[b-df-hj-np-tv-z])y$"), lambda m: "i"),  # "Pinky" is पिंकी
    (re.compile(r"aa|ee|ii|oo|uu"), lambda m: {"aa": "a", "ee": "i", "ii": "i", "oo": "u", "uu": "u"}[m.group()]),
    (re.compile(r"sh"), lambda m: "s"),
    (re.compile(r"w"), lambda m: "v"),
    (re.compile(r"ph"), lambda m: "f"),
    (re.compile(r"z"), lambda m: "j"),
    (re.compile(r"([a-z])\1+"), lambda m: m.group(1)),
]


def _nasal(text: str, after: int) -> str:
    following = text[after:after + 1]
    if following and following in _LABIALS:
        return "m"
    return "ng" if following == "ह" else "n"


def romanise(text: str) -> str:
    """Devanagari letters spelled in lower-case Latin; every other character is kept as it is."""
    out: list[str] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if text.startswith(_GYA, i):
            out.append("gy")
            i += len(_GYA)
        elif char in _CONSONANTS:
            i += 1
            if i < end and text[i] == _NUKTA:
                out.append(_WITH_NUKTA.get(char, _CONSONANTS[char]))
                i += 1
            else:
                out.append(_CONSONANTS[char])
        else:
            if char in _VOWELS:
                out.append(_VOWELS[char])
            elif char in _VOWEL_SIGNS:
                out.append(_VOWEL_SIGNS[char])
            elif char in _NASALS:
                out.append(_nasal(text, i + 1))
            elif char not in _SILENT and char != _VIRAMA:
                out.append(char)
            i += 1
            continue
        # A consonant carries the vowel "a" unless a vowel sign or the virama follows it.
        following = text[i:i + 1]
        if following == _VIRAMA:
            i += 1
        elif following not in _VOWEL_SIGNS:
            out.append("a")
    return "".join(out)


def _fold_word(word: str) -> str:
    for pattern, repl in _FOLDS:
        word = pattern.sub(repl, word)
    # The short "a" is written or dropped at will in Latin spellings of Hindi names
    # ("Kamla", "Kamala"), so it is not part of the key except at the start of a word.
    return word[:1] + word[1:].replace("a", "")


def name_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    if _DEVANAGARI.search(text):
        text = romanise(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z]+", text)
    return " ".join(_fold_word(w) for w in words)


_VOWEL_RUN = re.compile(r"[aeiou]+")
_ASPIRATED = re.compile(r"(?<=[bcdgjkpt])h")

# A name's words are searched one by one (any order); longer names are cut so a pasted
# paragraph cannot make a person's row grow without bound.
MAX_NAME_TOKENS = 6


def skeleton(word_key: str) -> str:
    """A looser key of one folded word, for spelling slack beyond name_key's: the first letter
    and the consonants, aspiration dropped ("Sunita", "Sonita", "Suneeta" -> "snt";
    "Radha", "Rada" -> "rd"), so a vowel or an "h" written differently still finds the person."""
    if not word_key:
        return ""
    rest = _ASPIRATED.sub("", word_key[1:])
    rest = _VOWEL_RUN.sub("", rest)
    return re.sub(r"([a-z])\1+", r"\1", word_key[0] + rest)


def name_tokens(text: str) -> list[tuple[str, str]]:
    """(key, skeleton) of each word of a name, in order: the rows a person's name is found by."""
    return [(word, skeleton(word)) for word in name_key(text).split()[:MAX_NAME_TOKENS]]
