"""Forms of the area tree, office kind and office pages, and the translated names of area kinds.

Field rules only (required, lengths, formats); which names, codes and offices may exist is
decided by `caseflow.areas.services`.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from caseflow.areas.models import PATH_SEGMENT, Area, AreaKind
from caseflow.forms import Form, not_aadhaar
from caseflow.i18n import locale_code
from caseflow.labels import AREA_KIND as KIND_LABELS


def area_label(area: Area) -> str:
    """An area in a select list: indented by depth, with its kind, and marked when inactive."""
    depth = len(area.path) // PATH_SEGMENT - 1
    label = _("%(name)s (%(kind)s)", name=area.name(locale_code()), kind=KIND_LABELS[area.kind])
    if not area.active:
        label = _("%(area)s – inactive", area=label)
    return "— " * depth + label


# Lists and select boxes of areas stop here: below are tens of thousands of panchayats and
# wards and hundreds of thousands of settlements, shown one parent at a time on the area page.
TREE_KINDS = (AreaKind.STATE, AreaKind.DISTRICT, AreaKind.BLOCK, AreaKind.URBAN_BODY)

LANGUAGE_CHOICES = [("hi", "हिन्दी"), ("en", "English")]

# Codes end up in case references ("SEH/2026/000123") and file names: no slashes or spaces.
# Codes start with a letter, so no code can be a number (an Aadhaar number least of all).
_AREA_CODE = Regexp(r"^([A-Z][A-Z0-9-]{1,11})?$",
                    message=_l("Use 2–12 capital letters, digits or hyphens, starting with a letter."))
_MACHINE_CODE = Regexp(r"^[a-z][a-z0-9_]*$",
                       message=_l("Use lower-case letters, digits and underscores, starting with a letter."))
_PHONE_MESSAGE = _l("Enter a phone number of digits only, optionally starting with +.")
_PHONE = Regexp(r"^\+?[0-9][0-9 -]{5,16}$", message=_PHONE_MESSAGE)


def _phone_digits(form, field):
    """6–11 digits, or up to 13 after a + and country code: never twelve bare digits, the length
    of an Aadhaar number (a 12-digit value written with + is still checked by the Aadhaar rule)."""
    if not field.data:
        return
    digits = sum(c.isdigit() for c in field.data)
    if not (8 <= digits <= 13 if field.data.startswith("+") else 6 <= digits <= 11):
        raise ValidationError(_PHONE_MESSAGE)
_EMAIL = Regexp(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", message=_l("Enter a valid e-mail address."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class _AreaFields(Form):
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("District code"),
        filters=[_upper],
        validators=[_AREA_CODE, not_aadhaar],  # not Optional: that would skip validate_code's "a district needs one"
        description=_l("Starts every case reference of the district, e.g. SEH/2026/000123."),
    )


class AreaEditForm(_AreaFields):
    active = BooleanField(_l("Active"))

    def __init__(self, *args, needs_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_code = needs_code

    def validate_code(self, field):
        if self.needs_code and not field.data:
            raise ValidationError(_l("A district needs a code."))


class AreaCreateForm(_AreaFields):
    kind = SelectField(_l("Kind"))

    def validate_code(self, field):
        if self.kind.data == AreaKind.DISTRICT.value and not field.data:
            raise ValidationError(_l("A district needs a code."))


class OfficeKindForm(Form):
    code = StringField(_l("Code"), filters=[_lower], validators=[DataRequired(), Length(max=40), _MACHINE_CODE, not_aadhaar])
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    elected = BooleanField(
        _l("Elected local head (sarpanch, parshad)"),
        description=_l("Bias reports name elected heads, and escalation skips an accused head."),
    )


class OfficeKindEditForm(OfficeKindForm):
    code = None  # the code is what seed data and exports refer to; it never changes


class AreaPickForm(Form):
    """The office list's area filter: a GET form, so no CSRF token is needed."""

    class Meta:
        csrf = False

    area = SelectField(_l("Area"), coerce=int, validators=[Optional()])


class OfficeForm(Form):
    kind_id = SelectField(_l("Office kind"), coerce=int)
    holder_name = StringField(
        _l("Holder's name"),
        filters=[_strip],
        validators=[Optional(), Length(max=120)],
        description=_l("Leave empty while the post is vacant. A different name starts a new holder."),
    )
    holder_phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=15), _PHONE, _phone_digits, not_aadhaar])
    holder_email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=254), _EMAIL, not_aadhaar])
    address = TextAreaField(_l("Postal address"), filters=[_strip], validators=[Optional(), Length(max=1000)])
    language = SelectField(_l("Language of letters"), choices=LANGUAGE_CHOICES)

    def fields(self) -> dict:
        """The office's fields; blank means "none", stored as NULL so a vacant post compares equal next time."""
        return {
            "kind_id": self.kind_id.data,
            "holder_name": self.holder_name.data or None,
            "holder_phone": self.holder_phone.data or None,
            "holder_email": self.holder_email.data or None,
            "address": self.address.data or None,
            "language": self.language.data,
        }
