"""Forms of the quarterly review: opening one, a spot check, the supervisor's notes and
assessment, the in-charge's response, and the signatures. Edits carry the review's version."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired, InputRequired, Optional

from caseflow.cases.forms import VersionedForm
from caseflow.forms import Form, textarea_field
from caseflow.labels import ASSESSMENT, CHECK_ANSWER
from caseflow.reviews.models import Assessment, CheckAnswer

ANSWERS = [(a.value, CHECK_ANSWER[a]) for a in (CheckAnswer.YES, CheckAnswer.NO, CheckAnswer.NOT_CHECKED)]


class OpenReviewForm(Form):
    # The in-charge is checked against the supervisor's region by the view (404 outside it).
    incharge = SelectField(_l("In-charge"), coerce=int, validate_choice=False, validators=[InputRequired()])
    quarter = SelectField(_l("Quarter"), validators=[DataRequired()])


class CheckForm(VersionedForm):
    reachable = RadioField(_l("Beneficiary reachable"), choices=ANSWERS, default="not_checked",
                           validators=[DataRequired()])
    received = RadioField(_l("Benefit really received"), choices=ANSWERS, default="not_checked",
                          validators=[DataRequired()])
    file_complete = RadioField(_l("File complete"), choices=ANSWERS, default="not_checked",
                               validators=[DataRequired()])
    note = textarea_field(_l("Note"), Optional(), max_length=2000)

    def answers(self) -> dict:
        return {name: CheckAnswer(getattr(self, name).data) for name in ("reachable", "received", "file_complete")}


class NotesForm(VersionedForm):
    notes = textarea_field(_l("Supervisor's notes"), Optional(), max_length=8000)
    assessment = SelectField(_l("Overall assessment"), validators=[Optional()],
                             choices=[("", "—")] + [(a.value, ASSESSMENT[a]) for a in Assessment])

    @property
    def chosen(self) -> Assessment | None:
        return Assessment(self.assessment.data) if self.assessment.data else None


class ResponseForm(VersionedForm):
    response = textarea_field(_l("Your response"), Optional(), max_length=8000)


class SignForm(VersionedForm):
    pass
