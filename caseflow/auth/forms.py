"""Login, password, language and reminder settings forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

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


# The shape of an address, not its existence: whether mail arrives is the SMTP server's business.
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.org."))


def _blank_to_none(value):
    value = value.strip() if isinstance(value, str) else value
    return value or None


def email_field():
    return EmailField(_l("E-mail address"), filters=[_blank_to_none], validators=[Optional(), Length(max=254), EMAIL],
                      description=_l("Reminders are sent here."))


class RemindersForm(Form):
    email = email_field()
    digests = BooleanField(_l("Send me reminders by e-mail (in-charges: daily; supervisors: weekly)"))
