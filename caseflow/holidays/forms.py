"""Forms of the calendar pages (holidays, working weeks). What may be saved is `holidays.services`' rule."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from caseflow.forms import Form


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class HolidayForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date."))])
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=120)])


class DeleteForm(Form):
    """The confirmation page's form: its CSRF token, and `confirm=yes`, which only that page's
    button sends, so no other form or stray request deletes a holiday in one tap."""
    confirm = HiddenField(validators=[AnyOf(["yes"])])


class _Checkboxes(SelectMultipleField):
    """A group of checkboxes; the choices are set by the view in the reader's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WorkWeekForm(Form):
    offs = _Checkboxes(_l("Days off every week"), coerce=int)
    saturdays = _Checkboxes(_l("Saturdays off in each month"), coerce=int)
