"""Login, password and language forms."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from caseflow.auth.services import MIN_PASSWORD_LENGTH
from caseflow.forms import Form, text_field


class LoginForm(Form):
    username = text_field(_l("Username"), DataRequired(), max_length=64)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)])
    confirm = PasswordField(_l("Repeat new password"), validators=[EqualTo("new", message=_l("The passwords differ."))])


class LanguageForm(Form):
    lang = SelectField(_l("Language"), choices=[("hi", "हिन्दी"), ("en", "English")])
