"""Identity-number and phone-number handling shared by every input path.

Aadhaar numbers are reduced to their last four digits here, before anything else sees them:
forms call `aadhaar_last4` on the raw value and `scrub_aadhaar` on free text, so a full
12-digit number typed into any field is never stored, logged or echoed back.
"""
import re

from flask_babel import lazy_gettext as _l

from caseflow.exceptions import Refused

# 12 digits, optionally grouped 4-4-4 with spaces, dots or dashes, not inside a longer number.
_AADHAAR_IN_TEXT = re.compile(r"(?<!\d)(\d{4})[ .-]?(\d{4})[ .-]?(\d{4})(?!\d)")
_NON_DIGITS = re.compile(r"\D")


class IdentityError(Refused):
    pass


def aadhaar_last4(raw: str | None) -> str | None:
    """'1234 5678 9012' -> '9012'; '9012' -> '9012'; '' -> None. Anything else is an error."""
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if not digits:
        return None
    if len(digits) in (4, 12):
        return digits[-4:]
    raise IdentityError(_l("Enter the last 4 digits of the Aadhaar number."))


def scrub_aadhaar(text: str | None) -> str | None:
    """Mask every 12-digit run in free text to 'XXXX XXXX 1234'."""
    if not text:
        return text
    return _AADHAAR_IN_TEXT.sub(lambda m: f"XXXX XXXX {m.group(3)}", text)


def normalise_mobile(raw: str | None) -> str | None:
    """An Indian mobile number as its 10 digits: '+91 98765-43210' -> '9876543210'."""
    if raw is None or not raw.strip():
        return None
    digits = _NON_DIGITS.sub("", raw)
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] not in "6789":
        raise IdentityError(_l("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9."))
    return digits


def format_mobile(mobile: str | None) -> str:
    return f"+91 {mobile[:5]} {mobile[5:]}" if mobile else ""
