"""Forms of the scheme and ladder pages.

Field rules only; the rules a ladder must keep (levels, office kinds, cases already high up)
are `caseflow.schemes.services.set_ladder`'s. The row checks here repeat the simple ones so
the message can sit on the row that is wrong.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms import Form as SubForm  # a ladder row: a plain sub-form, no CSRF of its own
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from caseflow.forms import Form, not_aadhaar
from caseflow.schemes.models import BenefitUnit

LADDER_ROWS = 6

# A letter first, so no code can be a number (an Aadhaar number least of all).
_SCHEME_CODE = Regexp(r"^[A-Z][A-Z0-9_-]*$",
                      message=_l("Use capital letters, digits, hyphens or underscores, starting with a letter."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _lines(value):
    """One document per line; blank lines and stray spaces are not documents."""
    if not isinstance(value, str):
        return value
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


class SchemeForm(Form):
    code = StringField(_l("Code"), filters=[_upper], validators=[DataRequired(), Length(max=20), _SCHEME_CODE, not_aadhaar])
    name_en = StringField(_l("Name in English"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    name_hi = StringField(_l("Name in Hindi"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    department = StringField(_l("Department"), filters=[_strip], validators=[DataRequired(), Length(max=160)])
    proof_of_delivery = TextAreaField(
        _l("Proof of delivery"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000)],
        description=_l("What shows the benefit arrived, e.g. sanction order number or first pension credit date."),
    )
    documents_required = TextAreaField(
        _l("Documents an application needs"),
        filters=[_lines],
        validators=[Length(max=4000)],
        description=_l("One document per line."),
    )
    active = BooleanField(_l("Active (new cases may be opened)"))
    proof_file_required = BooleanField(_l("Recording delivery needs a proof file (a photo or PDF)"))
    benefit_value = IntegerField(
        _l("Benefit value (₹, optional)"),
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message=_l("A whole number of rupees above 0."))],
        description=_l("What one household receives, e.g. 120000 one-time for a house, 600 per month for a pension. "
                       "The impact summary multiplies it by the households served."),
    )
    # Read only with a value: a scheme without one stores no unit whatever the select says.
    benefit_unit = SelectField(_l("Paid"), default=BenefitUnit.ONE_TIME.value,
                               coerce=lambda v: getattr(v, "value", v),
                               filters=[lambda v: BenefitUnit.ONE_TIME.value if v is None else v],  # column empty
                               choices=[(unit.value, unit.label) for unit in BenefitUnit])

    def fields(self) -> dict:
        fields = {name: getattr(self, name).data for name in (
            "code", "name_en", "name_hi", "department", "proof_of_delivery", "documents_required", "active",
            "proof_file_required", "benefit_value",
        )}
        fields["benefit_unit"] = BenefitUnit(self.benefit_unit.data) if self.benefit_value.data is not None else None
        return fields


class LadderRowForm(SubForm):
    office_kind = SelectField(_l("Office kind"), coerce=int, default=0)
    days = IntegerField(
        _l("Time limit (working days)"),
        validators=[Optional(), NumberRange(min=1, max=365, message=_l("Between 1 and 365 working days."))],
    )


class LadderForm(Form):
    rows = FieldList(FormField(LadderRowForm), min_entries=LADDER_ROWS)

    def set_kind_choices(self, choices: list[tuple[int, str]]) -> None:
        for row in self.rows:
            row.office_kind.choices = [(0, "—")] + choices

    def validate_rows(self, field):
        seen = set()
        for row in field.entries:
            kind_id, days = row.office_kind.data or 0, row.days.data
            if row.office_kind.errors or row.days.errors:
                continue
            if kind_id and days is None:
                row.days.errors.append(_l("Give the time limit of this level."))
            elif days is not None and not kind_id:
                row.office_kind.errors.append(_l("Choose the office of this level."))
            elif kind_id and kind_id in seen:
                row.office_kind.errors.append(_l("This office kind is already an earlier level."))
            seen.add(kind_id)
        if any(row.office_kind.errors or row.days.errors for row in field.entries):
            raise ValidationError(_l("Correct the marked rows."))
        if not self.levels():
            raise ValidationError(_l("A ladder needs at least one level."))

    def levels(self) -> list[tuple[int, int]]:
        """Filled rows in order; blank rows in between are ignored."""
        return [(row.office_kind.data, row.days.data) for row in self.rows if row.office_kind.data]
