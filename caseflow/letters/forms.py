"""Forms of the letters domain. Each carries the version of the letter (or case) the user saw.

Several letters share a page (the register, the case page), so every form takes a prefix
naming its letter: labels and ids stay unique and each POST reads only its own fields.
"""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, DataRequired

from caseflow.cases.forms import VersionedForm
from caseflow.db import today
from caseflow.forms import DateField, not_future, optional_text, reference_field
from caseflow.labels import DISPATCH_MODE as DISPATCH_MODE_LABELS
from caseflow.labels import LETTER_STATUS as STATUS_LABELS  # noqa: F401 (re-exported for the views)

# Where a letter form sends the user back to: a name, never a URL (no open redirects).
BACK_TO = ("case", "register")


class _LetterForm(VersionedForm):
    back = HiddenField(default="register", validators=[AnyOf(BACK_TO)])


class DraftForm(VersionedForm):
    """Draft a letter to the office now responsible; the version is the case's."""


class DispatchForm(_LetterForm):
    mode = SelectField(_l("Sent by"), choices=list(DISPATCH_MODE_LABELS.items()),
                       validators=[DataRequired()])
    dispatched_on = DateField(_l("Date sent"), default=today, validators=[DataRequired(), not_future(today)])
    note = optional_text(_l("Note (e.g. postal receipt number)"), max_length=120)


class AcknowledgeForm(_LetterForm):
    inward_number = reference_field(_l("Inward number"), DataRequired(), max_length=60,
                               description=_l("The number the receiving office gave the letter."))
    ack_date = DateField(_l("Date received"), default=today, validators=[DataRequired(), not_future(today)])


def dispatch_form(letter, formdata=None, back: str = "register") -> DispatchForm:
    form = DispatchForm(formdata=formdata, prefix=f"dispatch-{letter.id}", version=letter.version)
    if formdata is None:
        form.back.data = back
    return form


def acknowledge_form(letter, formdata=None, back: str = "register") -> AcknowledgeForm:
    form = AcknowledgeForm(formdata=formdata, prefix=f"ack-{letter.id}", version=letter.version)
    if formdata is None:
        form.back.data = back
    return form
