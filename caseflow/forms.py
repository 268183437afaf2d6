"""Form fields shared by every domain, and the form base that keeps full Aadhaar numbers out.

Storage is guarded once for all, at flush (`caseflow.textguard`). A `Form` applies the same
rule as soon as the request is read, so that a service checks what will be stored (a name that
must be unique, a holder that changed) and nothing is echoed: every text field of every `Form`
is masked by a filter, except the references built with `reference_field` (or given the
`not_aadhaar` validator), which keep what was typed and refuse a full number with a message
next to the box. Every field is also rendered through `mask_aadhaar`, so a number typed into a
date or number box that failed to parse is not sent back either.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField as _DateField
from wtforms import FieldList, FormField, PasswordField, StringField, TextAreaField
from wtforms import IntegerField as _IntegerField
from wtforms.validators import Length, Optional, ValidationError

from caseflow.identity import IdentityError, aadhaar_last4, holds_aadhaar, mask_aadhaar, normalise_mobile
from caseflow.inputs import DB_INT_MAX, DB_INT_MIN, date_in_range
from caseflow.wtforms_i18n import translations


class Form(FlaskForm):
    """The base of every caseflow form: WTForms' own messages come out in the user's language,
    no field is ever rendered with a full Aadhaar number in it, and no field hands a view a date
    or an integer the database or date arithmetic cannot take."""

    class Meta:
        def get_translations(self, form):

            return translations

        def bind_field(self, form, unbound_field, options):
            cls = unbound_field.field_class
            if issubclass(cls, StringField) and not issubclass(cls, PasswordField) \
                    and not_aadhaar not in (unbound_field.kwargs.get("validators") or ()):
                options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()), mask_aadhaar]}
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field, render_kw):
            html = super().render_field(field, render_kw)
            masked = mask_aadhaar(str(html))
            return html if masked == str(html) else Markup(masked)

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
    return _strip(value) or None if isinstance(value, str) else value


def not_aadhaar(form, field):
    """A reference number must be kept as typed, so one holding a full Aadhaar number is refused."""
    if isinstance(field.data, str) and holds_aadhaar(field.data):
        raise ValidationError(_l("This is a full Aadhaar number. Enter the reference number itself; "
                                 "an Aadhaar number is kept only as its last 4 digits."))


def text_field(label, *validators, max_length: int = 200, **kwargs) -> StringField:
    return StringField(label, validators=[*validators, Length(max=max_length)], filters=[_clean_text], **kwargs)


def reference_field(label, *validators, max_length: int = 60, **kwargs) -> StringField:
    """A structured reference (application, sanction, inward number…): kept exactly as typed."""
    return text_field(label, *validators, not_aadhaar, max_length=max_length, **kwargs)


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
        digits = sum(c.isdigit() for c in raw)
        try:
            self.data = aadhaar_last4(raw)
            self.cut = digits == 12
        except IdentityError as exc:
            self.data = None
            # Twelve digits that fail the rule are a typing mistake: say so, not "4 digits only".
            raise ValueError(exc.messages[0] if digits == 12 else
                             _l("Enter only the last 4 digits of the Aadhaar number.")) from None


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
            self.data = raw.strip()  # echoed masked, like every field of a Form
            raise ValueError(_l("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9.")) from None


# Re-exported so every form imports its fields from one place.
DateField = _DateField
IntegerField = _IntegerField


def optional_text(label, max_length: int = 200, **kwargs) -> StringField:
    return text_field(label, Optional(), max_length=max_length, **kwargs)


def not_future(today_fn):
    def check(form, field):
        if field.data and field.data > today_fn():
            raise ValidationError(_l("A date cannot be in the future."))

    return check
