"""Forms for the administrator pages, and the translated labels of roles and area kinds."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm  # a ladder row: a plain sub-form, no CSRF of its own
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from caseflow.areas.models import AreaKind
from caseflow.auth.models import Role
from caseflow.auth.services import MIN_PASSWORD_LENGTH
from caseflow.forms import Form
from caseflow.labels import AREA_KIND as KIND_LABELS  # noqa: F401 (re-exported for the views)
from caseflow.labels import ROLE as ROLE_LABELS

LANGUAGE_CHOICES = [("hi", "हिन्दी"), ("en", "English")]
LADDER_ROWS = 6

# Codes end up in case references ("SEH/2026/000123") and file names: no slashes or spaces.
_AREA_CODE = Regexp(r"^([A-Z0-9-]{2,12})?$", message=_l("Use 2–12 capital letters, digits or hyphens."))
_MACHINE_CODE = Regexp(r"^[a-z0-9_]+$", message=_l("Use lower-case letters, digits and underscores only."))
_SCHEME_CODE = Regexp(r"^[A-Z0-9_-]+$", message=_l("Use capital letters, digits, hyphens or underscores only."))
_USERNAME = Regexp(r"^[a-z0-9._-]{3,64}$", message=_l("Use 3–64 lower-case letters, digits, dots, hyphens or underscores."))
_PHONE = Regexp(r"^\+?[0-9][0-9 -]{5,14}$", message=_l("Enter a phone number of digits only, optionally starting with +."))
_EMAIL = Regexp(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", message=_l("Enter a valid e-mail address."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _lines(value):
    """One document per line; blank lines and stray spaces are not documents."""
    if not isinstance(value, str):
        return value
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


class DeleteForm(Form):
    """No fields: carries the CSRF token of a delete button."""


class _UserFields(Form):
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
    areas = SelectMultipleField(
        _l("Areas"),
        coerce=int,
        description=_l("The user sees cases in these areas and everything below them."),
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)

    def validate_areas(self, field):
        if self.role.data != Role.ADMIN.value and not field.data:
            raise ValidationError(_l("A supervisor or in-charge needs at least one area."))


class UserCreateForm(_UserFields):
    username = StringField(_l("Username"), filters=[_lower], validators=[DataRequired(), _USERNAME])
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (may sign in)"))


class PasswordResetForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )


class _AreaFields(Form):
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("District code"),
        filters=[_upper],
        validators=[_AREA_CODE],  # not Optional: that would skip validate_code's "a district needs one"
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


class UserAreaForm(Form):
    username = StringField(_l("Username"), filters=[_lower], validators=[DataRequired(), Length(max=64)])


class OfficeKindForm(Form):
    code = StringField(_l("Code"), filters=[_lower], validators=[DataRequired(), Length(max=40), _MACHINE_CODE])
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
    holder_phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), Length(max=15), _PHONE])
    holder_email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=254), _EMAIL])
    address = TextAreaField(_l("Postal address"), filters=[_strip], validators=[Optional(), Length(max=1000)])
    language = SelectField(_l("Language of letters"), choices=LANGUAGE_CHOICES)


class SchemeForm(Form):
    code = StringField(_l("Code"), filters=[_upper], validators=[DataRequired(), Length(max=20), _SCHEME_CODE])
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    department = StringField(_l("Department"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    proof_of_delivery = TextAreaField(
        _l("Proof of delivery"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000)],
        description=_l("What shows the benefit arrived, e.g. sanction order number or first pension credit date."),
    )
    documents_required = TextAreaField(
        _l("Documents an application needs"),
        filters=[_lines],
        validators=[Length(max=4000)],
        description=_l("One document per line."),
    )
    active = BooleanField(_l("Active (new cases may be opened)"))


class LadderRowForm(SubForm):
    office_kind = SelectField(_l("Office kind"), coerce=int, default=0)
    days = IntegerField(
        _l("Time limit (working days)"),
        validators=[Optional(), NumberRange(min=1, max=365, message=_l("Between 1 and 365 working days."))],
    )


class LadderForm(Form):
    rows = FieldList(FormField(LadderRowForm), min_entries=LADDER_ROWS)

    def set_kind_choices(self, choices: list[tuple[int, str]]) -> None:
        for row in self.rows:
            row.office_kind.choices = [(0, "—")] + choices

    def validate_rows(self, field):
        seen = set()
        for row in field.entries:
            kind_id, days = row.office_kind.data or 0, row.days.data
            if row.office_kind.errors or row.days.errors:
                continue
            if kind_id and days is None:
                row.days.errors.append(_l("Give the time limit of this level."))
            elif days is not None and not kind_id:
                row.office_kind.errors.append(_l("Choose the office of this level."))
            elif kind_id and kind_id in seen:
                row.office_kind.errors.append(_l("This office kind is already an earlier level."))
            seen.add(kind_id)
        if any(row.office_kind.errors or row.days.errors for row in field.entries):
            raise ValidationError(_l("Correct the marked rows."))
        if not self.levels():
            raise ValidationError(_l("A ladder needs at least one level."))

    def levels(self) -> list[tuple[int, int]]:
        """Filled rows in order; blank rows in between are ignored."""
        return [(row.office_kind.data, row.days.data) for row in self.rows if row.office_kind.data]


class HolidayForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date."))])
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
