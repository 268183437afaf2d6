"""The beneficiary registration form."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from caseflow.beneficiaries.models import Gender, LawfulBasis, Relation
from caseflow.forms import (
    AadhaarLast4Field,
    Form,
    IntegerField,
    MobileField,
    optional_text,
    reference_field,
    text_field,
    textarea_field,
)
from caseflow.labels import GENDER as GENDER_LABELS
from caseflow.labels import LAWFUL_BASIS as BASIS_LABELS
from caseflow.labels import RELATION as RELATION_LABELS


def _choices(labels, blank=False):
    return ([("", "—")] if blank else []) + list(labels.items())


class BeneficiaryForm(Form):
    name = text_field(_l("Name"), DataRequired(), max_length=120)
    relative_name = optional_text(_l("Father's / husband's name"), max_length=120)
    relation = SelectField(_l("Relation"), choices=_choices(RELATION_LABELS, blank=True), validators=[Optional()])
    gender = SelectField(_l("Gender"), choices=_choices(GENDER_LABELS), validators=[DataRequired()])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional(), NumberRange(1900, 2100)])
    mobile = MobileField(_l("Mobile number"), description=_l("10 digits; +91 is added for you."))
    settlement = SelectField(_l("Settlement"), coerce=int, validators=[DataRequired()])
    address = textarea_field(_l("Address"), Optional(), max_length=500)
    preferred_language = SelectField(_l("Preferred language"), choices=[("hi", "हिन्दी"), ("en", "English")])
    aadhaar = AadhaarLast4Field(
        _l("Aadhaar: last 4 digits only"),
        description=_l("Only the last 4 digits are kept. A full number is cut to its last 4 at once."),
    )
    ration_card_no = reference_field(_l("Ration card number"), Optional(), max_length=30)
    lawful_basis = SelectField(_l("Lawful basis for keeping this record"), choices=_choices(BASIS_LABELS),
                               validators=[DataRequired()])
    consent_note = textarea_field(_l("How consent was taken"), Optional(), max_length=1000)
    consent_given = BooleanField(_l("The person (or guardian) agreed to this record being kept"),
                                 validators=[DataRequired(message=_l("Consent must be recorded before registering."))])
    confirm_duplicate = BooleanField(_l("This is a different person; register anyway"))

    def service_fields(self) -> dict:
        return {
            "name": self.name.data,
            "relative_name": self.relative_name.data,
            "relation": Relation(self.relation.data) if self.relation.data else None,
            "gender": Gender(self.gender.data),
            "birth_year": self.birth_year.data,
            "mobile": self.mobile.data,
            "address": self.address.data,
            "preferred_language": self.preferred_language.data,
            "aadhaar_last4": self.aadhaar.data,
            "ration_card_no": self.ration_card_no.data,
            "lawful_basis": LawfulBasis(self.lawful_basis.data),
            "consent_note": self.consent_note.data,
        }
