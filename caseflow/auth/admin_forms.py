"""Forms of the user administration pages, and the translated names of roles.

Field rules only; who may change which account (nobody locks themselves out, usernames are
unique, passwords long enough) is decided by `caseflow.auth.services`.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from caseflow.areas.forms import LANGUAGE_CHOICES
from caseflow.auth.forms import email_field
from caseflow.auth.models import Role
from caseflow.auth.services import MIN_PASSWORD_LENGTH
from caseflow.forms import Form, not_aadhaar
from caseflow.labels import ROLE as ROLE_LABELS

_USERNAME = Regexp(r"^[a-z0-9._-]{3,64}$", message=_l("Use 3–64 lower-case letters, digits, dots, hyphens or underscores."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class _UserFields(Form):
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
    areas = SelectMultipleField(
        _l("Areas"),
        coerce=int,
        description=_l("The user sees cases in these areas and everything below them."),
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    email = email_field()

    def validate_areas(self, field):
        if self.role.data != Role.ADMIN.value and not field.data:
            raise ValidationError(_l("A supervisor or in-charge needs at least one area."))


class UserCreateForm(_UserFields):
    username = StringField(_l("Username"), filters=[_lower], validators=[DataRequired(), _USERNAME, not_aadhaar])
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


class UserAreaForm(Form):
    username = StringField(_l("Username"), filters=[_lower], validators=[DataRequired(), Length(max=64)])
