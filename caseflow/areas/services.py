"""Changes to the area tree, office kinds and offices, and finding the office responsible for a place.

Every change checks its rules first (where an area may sit, unique names and codes, one office
of a kind per area) and raises `AreaError` before touching anything, so a refused call changes
nothing. The database constraints behind the same rules still decide a race between two
administrators: the loser's transaction fails and is rolled back whole.
"""
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import CHILD_KINDS, Area, AreaKind, Office, OfficeKind, path_ids, path_segment
from caseflow.audit.services import changed_fields, record
from caseflow.db import utcnow
from caseflow.exceptions import Refused
from caseflow.extensions import db

_OFFICE_KIND_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class AreaError(Refused):
    pass


def _exists(*where) -> bool:
    return db.session.execute(sa.select(sa.literal(1)).where(*where).limit(1)).first() is not None


def _check_names(parent_id: int | None, name_en: str, code: str | None, *, kind: AreaKind,
                 exclude_id: int | None = None) -> None:
    """Sibling names are unique ignoring case (the constraint only sees exact case); codes are unique."""
    others = [] if exclude_id is None else [Area.id != exclude_id]
    if _exists(Area.parent_id == parent_id, sa.func.lower(Area.name_en) == name_en.lower(), *others):
        raise AreaError(_l("An area of that name already exists here."))
    if kind is AreaKind.DISTRICT and not code:
        raise AreaError(_l("A district needs a code."))
    if code and _exists(Area.code == code, *others):
        raise AreaError(_l("Another area already has that code."))


def create_area(*, kind: AreaKind, name_en: str, name_hi: str, parent: Area | None = None, code: str | None = None,
                actor) -> Area:
    """Add an area under `parent` (a state has none). Only a district keeps a code: it starts case references."""
    if parent is None and kind is not AreaKind.STATE:
        raise AreaError(_l("Only a state may be the root of the tree."))
    if parent is not None and kind not in CHILD_KINDS[parent.kind]:
        raise AreaError(_l("A %(kind)s cannot sit under a %(parent)s.", kind=kind.value, parent=parent.kind.value))
    name_en, name_hi = name_en.strip(), name_hi.strip()
    code = (code or None) if kind is AreaKind.DISTRICT else None
    _check_names(parent.id if parent else None, name_en, code, kind=kind)
    area = Area(kind=kind, name_en=name_en, name_hi=name_hi, parent=parent, code=code)
    db.session.add(area)
    db.session.flush()  # the path needs the id
    area.path = (parent.path if parent else "") + path_segment(area.id)
    record("area.created", actor=actor, obj=area, data={"kind": kind, "parent_id": parent.id if parent else None})
    db.session.flush()
    return area


def rename_area(area: Area, *, name_en: str, name_hi: str, code: str | None, active: bool, actor) -> Area:
    """Correct an area's names, its code (districts only) or whether it is in use."""
    name_en, name_hi = name_en.strip(), name_hi.strip()
    code = (code or None) if area.kind is AreaKind.DISTRICT else area.code
    _check_names(area.parent_id, name_en, code, kind=area.kind, exclude_id=area.id)
    area.name_en, area.name_hi, area.active, area.code = name_en, name_hi, active, code
    record("area.updated", actor=actor, obj=area,
           data={"fields": changed_fields(area, "name_en", "name_hi", "code", "active")})
    db.session.flush()
    return area


def create_office_kind(*, code: str, name_en: str, name_hi: str, elected: bool = False, actor) -> OfficeKind:
    # Letters first, whatever the caller: a code is an identifier, never a number someone typed.
    if not _OFFICE_KIND_CODE.fullmatch(code or ""):
        raise AreaError(_l("Use lower-case letters, digits and underscores, starting with a letter."))
    if _exists(OfficeKind.code == code):
        raise AreaError(_l("Another office kind already has that code."))
    kind = OfficeKind(code=code, name_en=name_en.strip(), name_hi=name_hi.strip(), elected=elected)
    db.session.add(kind)
    db.session.flush()
    # The code is typed by an administrator: the entry names the kind by its id, never by text.
    record("office_kind.created", actor=actor, obj=kind, data={"elected": elected})
    return kind


def update_office_kind(kind: OfficeKind, *, name_en: str, name_hi: str, elected: bool, actor) -> OfficeKind:
    """Correct a kind's names or elected flag; the code stays, it is what seed data refers to."""
    kind.name_en, kind.name_hi, kind.elected = name_en.strip(), name_hi.strip(), elected
    record("office_kind.updated", actor=actor, obj=kind,
           data={"fields": changed_fields(kind, "name_en", "name_hi", "elected")})
    db.session.flush()
    return kind


def save_office(office: Office | None = None, *, actor, **fields) -> Office:
    """Create an office or update it; a new holder name restarts `holder_since`.

    An area has at most one office of each kind: that is how a ladder level finds its office.
    """
    area_id = fields.get("area_id", office.area_id if office is not None else None)
    kind_id = fields.get("kind_id", office.kind_id if office is not None else None)
    others = [] if office is None else [Office.id != office.id]
    if _exists(Office.area_id == area_id, Office.kind_id == kind_id, *others):
        raise AreaError(_l("This area already has an office of that kind."))
    if office is None:
        office = Office(**fields)
        db.session.add(office)
    else:
        if "holder_name" in fields and fields["holder_name"] != office.holder_name:
            office.holder_since = utcnow()
        for key, value in fields.items():
            setattr(office, key, value)
    # Whether the holder changed, never who they are.
    record("office.updated" if office.id else "office.created", actor=actor, obj=office, data={
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
