"""Changes to the area tree and offices, and finding the office responsible for a place."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import CHILD_KINDS, Area, AreaKind, Office, OfficeKind, path_ids, path_segment
from caseflow.audit.services import changed_fields, record
from caseflow.exceptions import Refused
from caseflow.extensions import db


class AreaError(Refused):
    pass


def create_area(*, kind: AreaKind, name_en: str, name_hi: str, parent: Area | None = None, code: str | None = None) -> Area:
    if parent is None and kind is not AreaKind.STATE:
        raise AreaError(_l("Only a state may be the root of the tree."))
    if parent is not None and kind not in CHILD_KINDS[parent.kind]:
        raise AreaError(_l("A %(kind)s cannot sit under a %(parent)s.", kind=kind.value, parent=parent.kind.value))
    area = Area(kind=kind, name_en=name_en.strip(), name_hi=name_hi.strip(), parent=parent, code=code or None)
    db.session.add(area)
    db.session.flush()  # the path needs the id
    area.path = (parent.path if parent else "") + path_segment(area.id)
    record("area.created", obj=area, data={"kind": kind, "parent_id": parent.id if parent else None})
    db.session.flush()
    return area


def rename_area(area: Area, *, name_en: str, name_hi: str, code: str | None, active: bool) -> Area:
    area.name_en, area.name_hi, area.active = name_en.strip(), name_hi.strip(), active
    if area.kind is AreaKind.DISTRICT:
        area.code = code
    record("area.updated", obj=area, data={"fields": changed_fields(area, "name_en", "name_hi", "code", "active")})
    db.session.flush()
    return area


def create_office_kind(*, code: str, name_en: str, name_hi: str, elected: bool = False) -> OfficeKind:
    kind = OfficeKind(code=code, name_en=name_en, name_hi=name_hi, elected=elected)
    db.session.add(kind)
    db.session.flush()
    record("office_kind.created", obj=kind, data={"code": code, "elected": elected})
    return kind


def save_office(office: Office | None = None, **fields) -> Office:
    """Create an office or update it; a new holder name restarts `holder_since`."""
    if office is None:
        office = Office(**fields)
        db.session.add(office)
    else:
        if fields.get("holder_name") != office.holder_name:
            from caseflow.db import utcnow

            office.holder_since = utcnow()
        for key, value in fields.items():
            setattr(office, key, value)
    # Whether the holder changed, never who they are.
    record("office.updated" if office.id else "office.created", obj=office, data={
        "area_id": office.area_id, "kind_id": office.kind_id, "fields": changed_fields(office, *fields),
        "holder_changed": "holder_name" in changed_fields(office, "holder_name"), "vacant": office.holder_name is None})
    db.session.flush()
    return office


def resolve_office(area_path: str, office_kind_id: int) -> Office | None:
    """The nearest office of this kind at or above the place: walk up the tree, deepest first."""
    ancestor_ids = path_ids(area_path)
    offices = db.session.scalars(
        sa.select(Office).where(Office.kind_id == office_kind_id, Office.area_id.in_(ancestor_ids))
    ).all()
    if not offices:
        return None
    depth = {area_id: i for i, area_id in enumerate(ancestor_ids)}
    return max(offices, key=lambda o: depth[o.area_id])


def district_of(area: Area) -> Area:
    district_id = area.district_id
    if district_id is None:
        raise AreaError(_l("The area is not inside a district."))
    return db.session.get(Area, district_id)


def update_office_kind(kind: OfficeKind, *, name_en: str, name_hi: str, elected: bool) -> OfficeKind:
    """Correct a kind's names or elected flag; the code stays, it is what seed data refers to."""
    kind.name_en, kind.name_hi, kind.elected = name_en.strip(), name_hi.strip(), elected
    record("office_kind.updated", obj=kind, data={"fields": changed_fields(kind, "name_en", "name_hi", "elected")})
    db.session.flush()
    return kind
