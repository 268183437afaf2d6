"""Registering beneficiaries and finding possible duplicates."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import Area, AreaKind
from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.beneficiaries.names import name_key
from caseflow.db import utcnow
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.identity import aadhaar_last4, normalise_mobile
from caseflow.scope import path_in_scope, visible

_STRIPPED = ("name", "relative_name", "address", "consent_note", "ration_card_no")


class BeneficiaryError(Refused):
    pass


def _clean(fields: dict) -> dict:
    fields = dict(fields)
    for key in _STRIPPED:
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip() or None
    if "aadhaar" in fields:
        fields["aadhaar_last4"] = aadhaar_last4(fields.pop("aadhaar"))
    if "mobile" in fields:
        fields["mobile"] = normalise_mobile(fields["mobile"])
    return fields


def register(actor: User, settlement: Area, **fields) -> Beneficiary:
    if settlement.kind is not AreaKind.SETTLEMENT:
        raise BeneficiaryError(_l("Choose the settlement where the beneficiary lives."))
    if not path_in_scope(actor, settlement.path):
        raise BeneficiaryError(_l("The settlement is outside your areas."))
    fields = _clean(fields)
    if not fields.get("name"):
        raise BeneficiaryError(_l("A name is required."))
    person = Beneficiary(
        settlement=settlement,
        area_path=settlement.path,
        name_key=name_key(fields["name"]),
        consent_recorded_by_id=actor.id,
        consent_recorded_at=utcnow(),
        **fields,
    )
    db.session.add(person)
    db.session.flush()
    record("beneficiary.registered", actor=actor, obj=person, data={"settlement_id": settlement.id})
    return person


def possible_duplicates(actor: User, name: str, settlement_id: int, mobile: str | None) -> list[Beneficiary]:
    """People in my scope who look like the one being registered (same mobile, or same name and place)."""
    same_place = sa.and_(Beneficiary.settlement_id == settlement_id, Beneficiary.name_key == name_key(name))
    match = sa.or_(same_place, Beneficiary.mobile == mobile) if mobile else same_place
    return db.session.scalars(
        sa.select(Beneficiary).where(visible(actor, Beneficiary), match).limit(5)
    ).all()
