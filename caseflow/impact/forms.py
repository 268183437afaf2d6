"""Forms of consent to publicity and of stories."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, InputRequired

from caseflow.forms import Form, textarea_field
from caseflow.impact.services import STORY_LIMIT
from caseflow.labels import CONSENT_FORM


class ConsentForm(Form):
    given_as = SelectField(_l("How the consent was given"), choices=list(CONSENT_FORM.items()),
                           validators=[DataRequired()])
    note = textarea_field(_l("Note (who witnessed it, where the signed form is kept)"), max_length=500)
    understood = BooleanField(
        _l("The person understands their name, their story and these figures may be posted in public, "
           "and that they can withdraw at any time."),
        validators=[InputRequired(message=_l("Confirm that the person understood what they agree to."))])


class WithdrawForm(Form):
    pass


class StoryForm(Form):
    text = textarea_field(_l("Story"), DataRequired(), max_length=STORY_LIMIT,
                          description=_l("A few sentences for the public: what changed for the household. "
                                         "No mobile, Aadhaar or other numbers."))
