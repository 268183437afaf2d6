"""Form fields shared by every domain: text that can never carry a full Aadhaar number.

Every free-text field is built with `text_field`/`textarea_field`, whose filters strip the
value and mask any 12-digit run before validation, so a full number typed into any box is
neither stored nor echoed back when the form is shown again with errors.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField as _DateField
from wtforms import FieldList, FormField, StringField, TextAreaField
from wtforms import IntegerField as _IntegerField
from wtforms.validators import Length, Optional, ValidationError

from caseflow.identity import IdentityError, aadhaar_last4, normalise_mobile, scrub_aadhaar
from caseflow.inputs import DB_INT_MAX, DB_INT_MIN, date_in_range
from caseflow.wtforms_i18n import translations


class Form(FlaskForm):
    """The base of every caseflow form: WTForms' own messages come out in the user's language,
    and no field hands a view a date or an integer the database or date arithmetic cannot take."""

    class Meta:
        def get_translations(self, form):

            return translations

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _leaves(self):
            problem = _out_of_range(field.data)
            if problem is not None:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


DATE_OUT_OF_RANGE = _l("Enter a date between 01/01/1900 and 31/12/2199.")
NUMBER_OUT_OF_RANGE = _l("That number is too large.")


def _leaves(form):
    for field in form:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from _leaves(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield field


def _out_of_range(value):
    if isinstance(value, date) and not date_in_range(value):
        return DATE_OUT_OF_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and not DB_INT_MIN <= value <= DB_INT_MAX:
        return NUMBER_OUT_OF_RANGE
    return None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _clean_text(value):
    return scrub_aadhaar(_strip(value)) or None if isinstance(value, str) else value


def text_field(label, *validators, max_length: int = 200, **kwargs) -> StringField:
    return StringField(label, validators=[*validators, Length(max=max_length)], filters=[_clean_text], **kwargs)


def textarea_field(label, *validators, max_length: int = 4000, **kwargs) -> TextAreaField:
    return TextAreaField(label, validators=[*validators, Length(max=max_length)], filters=[_clean_text], **kwargs)


class AadhaarLast4Field(StringField):
    """Accepts the last 4 digits, or a full 12-digit number which it cuts to the last 4 at once."""

    def process_formdata(self, valuelist):
        self.data = None
        self.cut = False
        if not valuelist:
            return
        raw = valuelist[0] or ""
        try:
            self.data = aadhaar_last4(raw)
            self.cut = len("".join(c for c in raw if c.isdigit())) == 12
        except IdentityError:
            self.data = None
            raise ValueError(_l("Enter only the last 4 digits of the Aadhaar number.")) from None


class MobileField(StringField):
    """An Indian mobile number, stored as its 10 digits."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        raw = valuelist[0]
        try:
            self.data = normalise_mobile(raw)
        except IdentityError:
            self.data = scrub_aadhaar(raw.strip())
            raise ValueError(_l("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9.")) from None


class _ScrubbedEcho:
    """A field whose re-rendered value (after a parse error, WTForms echoes the raw input) is
    masked, so a full Aadhaar number typed into a date or number box is not sent back."""

    def _value(self):
        return scrub_aadhaar(super()._value()) or ""


class DateField(_ScrubbedEcho, _DateField):
    pass


class IntegerField(_ScrubbedEcho, _IntegerField):
    pass


def optional_text(label, max_length: int = 200, **kwargs) -> StringField:
    return text_field(label, Optional(), max_length=max_length, **kwargs)


def not_future(today_fn):
    def check(form, field):
        if field.data and field.data > today_fn():
            raise ValidationError(_l("A date cannot be in the future."))

    return check
