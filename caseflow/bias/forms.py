"""Forms for filing a bias report, for each review step, for revealing the complainant and for
the pattern export. Review forms carry the version of the report the user saw."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField
from wtforms.validators import DataRequired, Optional

from caseflow.bias.models import Finding
from caseflow.cases.forms import VersionedForm
from caseflow.db import today
from caseflow.forms import DateField, Form, not_future, optional_text, textarea_field
from caseflow.labels import ACCUSED_ROLE as ROLE_LABELS
from caseflow.labels import BIAS_KIND as KIND_LABELS
from caseflow.labels import FINDING as FINDING_LABELS


class FileReportForm(Form):
    accused_role = SelectField(_l("Accused"), choices=list(ROLE_LABELS.items()),
                               validators=[DataRequired()])
    other_office = SelectField(_l("Office of the other official"), coerce=int, validate_choice=True,
                               description=_l("Only for “Other official”."))
    holder_name = optional_text(_l("Name of the official at the time"), max_length=120,
                                description=_l("Leave empty to take the holder on record for the post."))
    kind = SelectField(_l("Kind of bias"), choices=[("", "—")] + list(KIND_LABELS.items()),
                       validators=[DataRequired()])
    incident_date = DateField(_l("Date of the incident"), validators=[DataRequired(), not_future(today)])
    account = textarea_field(_l("What happened"), DataRequired(), max_length=8000)
    evidence_notes = textarea_field(_l("Evidence"), Optional(), max_length=4000)
    witnesses = textarea_field(_l("Witnesses"), Optional(), max_length=2000)
    complainant = RadioField(_l("Who complained"), default="beneficiary", validators=[DataRequired()],
                             choices=[("beneficiary", _l("The beneficiary")), ("other", _l("Someone else"))])
    complainant_name = optional_text(_l("Complainant's name"), max_length=120,
                                     description=_l("Only if someone else complained. Kept confidential."))
    complainant_relation = optional_text(_l("Relation to the beneficiary"), max_length=120)
    complainant_contact = optional_text(_l("Safe way to contact the complainant"), max_length=120)
    consent_to_be_named = BooleanField(
        _l("The complainant agrees to be named, for example in a referral letter"),
        description=_l("Without it a referral letter names neither the complainant nor, when the beneficiary "
                       "complained, the beneficiary or the case."))
    protection_concern = textarea_field(_l("Protection concern"), Optional(), max_length=2000,
                                        description=_l("Any risk of retaliation the complainant fears."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.complainant.data == "other" and not self.complainant_name.data:
            self.complainant_name.errors = [*self.complainant_name.errors,
                                            _l("Give the name of the person who complained.")]
            ok = False
        return ok


class TakeForm(VersionedForm):
    pass


class ReasonForm(VersionedForm):
    reason = textarea_field(_l("Reason"), DataRequired(), max_length=2000)


class NoteForm(VersionedForm):
    reason = textarea_field(_l("Note"), Optional(), max_length=2000)


class FindingForm(VersionedForm):
    finding = SelectField(_l("Finding"), choices=[("", "—")] + list(FINDING_LABELS.items()),
                          validators=[DataRequired()])
    reasons = textarea_field(_l("Reasons"), DataRequired(), max_length=8000,
                             description=_l("A referral letter quotes these reasons: do not name the complainant "
                                            "unless they agreed to be named."))
    referral_office = SelectField(_l("Refer to"), coerce=int, validate_choice=True,
                                  description=_l("Only for a referral: the higher authority the letter goes to."))


class RevealForm(Form):
    reason = textarea_field(_l("Why do you need to see who complained?"), DataRequired(), max_length=1000,
                            description=_l("Your name, the time and this reason are shown to the other supervisors."))


class ExportForm(Form):
    district = HiddenField()


STEP_FORMS = {
    "take": TakeForm,
    "take_over": ReasonForm,
    "record_finding": FindingForm,
    "confirm": NoteForm,
    "send_back": ReasonForm,
    "reopen": ReasonForm,
}


def review_data(trigger: str, form: VersionedForm) -> dict:
    """The form's fields as the plain dict the review machine and services take."""
    data = {name: field.data for name, field in form._fields.items() if name not in ("version", "csrf_token")}
    if trigger == "record_finding":
        data["finding"] = Finding(data["finding"]) if data.get("finding") else None
        data["referral_office_id"] = data.pop("referral_office", None) or None
    return data
