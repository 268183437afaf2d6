"""Forms for opening a case, for each lifecycle step, and for follow-ups.

Every form that changes a case carries the version the user saw, so a change made by
someone else in between is detected instead of overwritten.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired, InputRequired, Optional

from caseflow.cases.models import CloseReason
from caseflow.cases.workflow import may_override_confirmation
from caseflow.db import today
from caseflow.evidence.forms import caption_field, file_field
from caseflow.forms import DateField, Form, not_future, reference_field, text_field, textarea_field
from caseflow.labels import CHANNEL as CHANNEL_LABELS
from caseflow.labels import CLOSE_REASON as CLOSE_REASON_LABELS


class VersionedForm(Form):
    version = HiddenField(validators=[InputRequired()])

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class OpenCaseForm(Form):
    scheme = SelectField(_l("Scheme"), coerce=int, validators=[DataRequired()])
    note = textarea_field(_l("Note"), Optional(), max_length=2000)
    confirm_duplicate = BooleanField(_l("Open another case anyway"))


class FollowUpForm(VersionedForm):
    office = SelectField(_l("Office contacted"), coerce=int, validate_choice=True)
    channel = SelectField(_l("Contacted by"), choices=list(CHANNEL_LABELS.items()),
                          validators=[DataRequired()])
    response = textarea_field(_l("What they said"), DataRequired(), max_length=4000)
    promised_date = DateField(_l("Date promised for action"), validators=[Optional()],
                              description=_l("A promised date becomes the next due date."))
    file = file_field(_l("Photo or PDF (optional)"))
    caption = caption_field()


class VerifyForm(VersionedForm):
    reason = textarea_field(_l("Note"), Optional(), max_length=2000)


class SubmitForm(VersionedForm):
    application_ref = reference_field(_l("Application reference"), DataRequired(), max_length=60)
    application_date = DateField(_l("Application date"), validators=[DataRequired(), not_future(today)])
    grievance_ref = reference_field(_l("CM Helpline / CPGRAMS number"), Optional(), max_length=60)


class ReasonForm(VersionedForm):
    reason = textarea_field(_l("Reason"), DataRequired(), max_length=2000)


class EscalateForm(VersionedForm):
    reason = textarea_field(_l("Reason"), Optional(), max_length=2000,
                            description=_l("Required when the due date has not passed yet."))


class SendBackForm(VersionedForm):
    reason = textarea_field(_l("Reason"), DataRequired(), max_length=2000,
                            description=_l("Why the level below should decide this case. The case gets a fresh "
                                           "time limit there."))


class SanctionForm(VersionedForm):
    sanction_ref = reference_field(_l("Sanction order number"), DataRequired(), max_length=60)
    sanction_date = DateField(_l("Sanction date"), validators=[DataRequired(), not_future(today)])


class DeliverForm(VersionedForm):
    proof_of_delivery = text_field(_l("Proof of delivery"), DataRequired(), max_length=200)
    delivered_on = DateField(_l("Delivered on"), validators=[DataRequired(), not_future(today)])
    beneficiary_confirmed = BooleanField(_l("The beneficiary confirmed receipt"))
    override_reason = textarea_field(_l("Supervisor override: why confirmation is not needed"), Optional(),
                                     max_length=2000)
    proof_file = file_field(_l("Proof file: a photo or PDF of the proof of delivery"))


class CloseForm(VersionedForm):
    close_reason = SelectField(_l("Reason for closing"),
                               choices=[("", "—")] + list(CLOSE_REASON_LABELS.items()),
                               validators=[DataRequired()])
    reason = textarea_field(_l("Note"), Optional(), max_length=2000)


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Assign to in-charge"), coerce=int, validators=[DataRequired()])


STEP_FORMS = {
    "verify": VerifyForm,
    "submit": SubmitForm,
    "escalate": EscalateForm,
    "sanction": SanctionForm,
    "reject": ReasonForm,
    "appeal": ReasonForm,
    "send_back": SendBackForm,
    "deliver": DeliverForm,
    "close": CloseForm,
    "reopen": ReasonForm,
}


def step_form(trigger: str, actor, **kwargs) -> VersionedForm:
    """The form of one step, with only the fields this actor may fill in: the override of the
    beneficiary's confirmation is a supervisor's, so an in-charge never sees it."""
    form = STEP_FORMS[trigger](**kwargs)
    if trigger == "deliver" and not may_override_confirmation(actor):
        del form.override_reason
    return form


def step_data(trigger: str, form: VersionedForm) -> dict:
    """The form's fields as the plain dict the workflow and services take."""
    data = {name: field.data for name, field in form._fields.items()
            if name not in ("version", "csrf_token", "proof_file")}
    if "proof_file" in form._fields:
        # The machine needs to know only whether a file came with the step (a scheme may require
        # one); the view attaches it to the step's event.
        data["proof_file"] = form.proof_file.prepared is not None
    if trigger == "close" and data.get("close_reason"):
        data["close_reason"] = CloseReason(data["close_reason"])
    return data
