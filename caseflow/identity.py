"""The Aadhaar rule, and the mobile-number handling shared by every input path.

A full Aadhaar number is twelve digits of any script (read after NFKC: Devanagari, Bengali,
fullwidth, superscript digits…), written with any run of separators between digits (every
Unicode space, format and control character, every dash and the minus sign, dots, slashes,
underscores), not part of a longer run of adjacent digits, starting with 2–9 and ending with a
valid Verhoeff check digit, the rule UIDAI numbers follow. Most other 12-digit numbers (a
complaint number `CMH-18112026-7788`, a reference that fails the check digit) are not one.

`mask_aadhaar` turns each such number in free text into `XXXX XXXX 1234`; `holds_aadhaar`
tells a structured reference field that it must refuse its value. Both are applied to every
text column at flush by `caseflow.textguard`; forms and pages use them for what is never
stored (a re-rendered form, the queue search kept in the session, a letter's HTML).
"""
import re
import unicodedata

from flask_babel import lazy_gettext as _l

from caseflow.exceptions import Refused


class IdentityError(Refused):
    pass


# --- Verhoeff --------------------------------------------------------------------------------

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_valid(digits: str) -> bool:
    """True if the ASCII digit string ends with its correct Verhoeff check digit."""
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def verhoeff_digit(digits: str) -> str:
    """The check digit to append to the ASCII digit string `digits`."""
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[(i + 1) % 8][int(digit)]]
    return str(_INV[check])


def is_aadhaar_digits(digits: str) -> bool:
    """Twelve ASCII digits that could be an Aadhaar number: first digit 2–9, Verhoeff valid."""
    return len(digits) == 12 and digits[0] not in "01" and verhoeff_valid(digits)


# --- finding numbers in text -------------------------------------------------------------------


def _separator_class() -> str:
    """A regex class of every separator, read once from Unicode: spaces, line breaks, control
    and format characters (zero-width space, soft hyphen…), dashes, the minus signs, dots,
    slashes, underscores. (NFKC has already turned fullwidth and compatibility forms into these.)"""
    found = []
    for code in [*range(0x20000), *range(0xE0000, 0xE0080)]:
        ch = chr(code)
        if ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cc", "Cf", "Pd") or ch in _MARKS:
            found.append(ch)
    return "".join(map(re.escape, found))


# Dots, slashes, underscores and minus signs that are not Unicode dashes.
_MARKS = set("._/\\\u00b7\u2022\u2024\u2027\u2044\u2215\u2212\u2796\u30fb\u2219\u2218\u02d7")
_SEPARATORS = _separator_class()
# A digit is any script's decimal digit (Unicode Nd: Devanagari, Bengali, Gujarati, Tamil…),
# read after NFKC, which turns superscript, circled and fullwidth digits into ASCII ones.
# Every window of twelve digits that starts and ends at the edge of a run of adjacent digits;
# zero-width, so windows that overlap (four groups of four) are all found.
_WINDOW = re.compile(rf"(?<!\d)(?=(\d(?:[{_SEPARATORS}]*\d){{11}})(?!\d))")
_DIGIT_CHAR = re.compile(r"\d")
_ASCII_DIGITS = b"0123456789"
_EMPTY = ()


def _digit_value(ch: str) -> str:
    value = unicodedata.decimal(ch, None)
    return str(unicodedata.digit(ch) if value is None else value)


def _normal(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _numbers(text: str):
    """(start, end, ASCII digits) of every Aadhaar number in `text` (already NFKC)."""
    # The cheap test first, as most text has no twelve digits at all (about 1 µs).
    if text.isascii():
        if len(text) - len(text.encode().translate(None, _ASCII_DIGITS)) < 12:
            return _EMPTY
    elif len(_DIGIT_CHAR.findall(text)) < 12:
        return _EMPTY
    found = []
    for match in _WINDOW.finditer(text):
        start, end = match.span(1)
        window = match.group(1)
        digits = window if window.isascii() and len(window) == 12 else "".join(
            _digit_value(ch) for ch in _DIGIT_CHAR.findall(window))
        if not is_aadhaar_digits(digits):
            continue
        # "+91 98765 43210" is a mobile number with India's country code, not an identity number.
        if digits[:2] == "91" and digits[2] in "6789" and start and text[start - 1] == "+":
            continue
        found.append((start, end, digits))
    return found


def holds_aadhaar(text: str | None) -> bool:
    """Whether `text` holds a full Aadhaar number in any spelling."""
    return bool(text) and isinstance(text, str) and bool(_numbers(_normal(text)))


def mask_aadhaar(text):
    """Every full Aadhaar number in `text` as 'XXXX XXXX 1234'; anything else unchanged.

    Only text that held a number comes back changed (and NFKC-normalised). Masking repeats
    until nothing is left, so the last four digits shown can never start a new number with
    what follows them.
    """
    # (Not "fewer than 12 characters" for all text: NFKC turns one character into up to three.)
    if not text or not isinstance(text, str) or (len(text) < 12 and text.isascii()):
        return text
    normal = _normal(text)
    numbers = _numbers(normal)
    if not numbers:
        return text
    while numbers:
        parts, at = [], 0
        for start, end, digits in numbers:
            if start < at:  # overlaps the window just masked: already gone
                continue
            parts.append(normal[at:start])
            parts.append(f"XXXX XXXX {digits[-4:]}")
            at = end
        parts.append(normal[at:])
        normal = "".join(parts)
        numbers = _numbers(normal)
    return normal


# The name every caller knows; free text is masked, never refused.
scrub_aadhaar = mask_aadhaar


def aadhaar_last4(raw: str | None) -> str | None:
    """The dedicated Aadhaar field: '4829 1736 5409' -> '5409'; '5409' -> '5409'; '' -> None.

    Four digits, or a full number that passes the rule (any script; separators and other
    characters, such as a typed 'XXXX', are ignored as before). A 12-digit number that fails
    the rule is a typing mistake, refused rather than cut to four wrong digits. Anything else
    is an error.
    """
    if raw is None:
        return None
    normal = _normal(raw)
    found = _DIGIT_CHAR.findall(normal)
    if not found:
        return None
    digits = "".join(_digit_value(ch) for ch in found)
    if len(digits) == 4:
        return digits
    if len(digits) == 12:
        if is_aadhaar_digits(digits):
            return digits[-4:]
        raise IdentityError(_l("This is not a valid Aadhaar number: check it, or enter only its last 4 digits."))
    raise IdentityError(_l("Enter the last 4 digits of the Aadhaar number."))


# --- mobile numbers -----------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")


def normalise_mobile(raw: str | None) -> str | None:
    """An Indian mobile number as its 10 digits: '+91 98765-43210' -> '9876543210'."""
    if raw is None or not raw.strip():
        return None
    digits = _NON_DIGITS.sub("", _normal(raw))
    if not digits.isascii():
        digits = "".join(_digit_value(ch) for ch in digits)
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] not in "6789":
        raise IdentityError(_l("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9."))
    return digits


def format_mobile(mobile: str | None) -> str:
    return f"+91 {mobile[:5]} {mobile[5:]}" if mobile else ""
