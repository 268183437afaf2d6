"""Creating and editing schemes and their escalation ladders.

Both verbs check their rules first (unique scheme codes; a ladder's levels) and raise before
changing anything, so a refused call leaves the scheme as it was.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow.areas.models import OfficeKind
from caseflow.audit.services import changed_fields, record
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.schemes.models import LadderLevel, Scheme

# Cases sit above schemes in the import graph (a case belongs to a scheme), so the one
# question asked about them here goes to the table, not to the model.
_cases = sa.table("cases", sa.column("scheme_id"), sa.column("level"))


class SchemeError(Refused):
    pass


class LadderError(SchemeError):
    pass


def save_scheme(scheme: Scheme | None = None, *, actor, **fields) -> Scheme:
    """Create a scheme (no `scheme`) or change the given fields of one."""
    code = fields.get("code", scheme.code if scheme is not None else None)
    others = [] if scheme is None or scheme.id is None else [Scheme.id != scheme.id]
    if db.session.scalar(sa.select(Scheme.id).where(Scheme.code == code, *others).limit(1)) is not None:
        raise SchemeError(_l("Another scheme already has that code."))
    if scheme is None:
        scheme = Scheme(**fields)
        db.session.add(scheme)
    else:
        for key, value in fields.items():
            setattr(scheme, key, value)
    # The code is typed by an administrator: the entry names the scheme by its id, never by text.
    record("scheme.updated" if scheme.id else "scheme.created", actor=actor, obj=scheme,
           data={"fields": changed_fields(scheme, *fields)})
    db.session.flush()
    return scheme


def _check_ladder(scheme: Scheme, levels: list[tuple[int, int]]) -> None:
    if not levels:
        raise LadderError(_l("A ladder needs at least one level."))
    kinds = [kind_id for kind_id, _ in levels]
    if len(set(kinds)) != len(kinds):
        raise LadderError(_l("The same office kind appears twice in the ladder."))
    known = set(db.session.scalars(sa.select(OfficeKind.id).where(OfficeKind.id.in_(kinds))))
    if known != set(kinds):
        raise LadderError(_l("The ladder names an office kind that does not exist."))
    if any(days is None or days < 1 for _, days in levels):
        raise LadderError(_l("Every level needs a time limit of at least one working day."))
    # Cases already at a level keep their number; a shorter ladder would leave them above
    # the top, where they can no longer be escalated.
    highest = db.session.scalar(sa.select(sa.func.max(_cases.c.level)).where(_cases.c.scheme_id == scheme.id)) or 0
    if highest > len(levels):
        raise LadderError(_l("Some cases of this scheme are at level %(n)d; the ladder needs at least that many levels.",
                             n=highest))


def set_ladder(scheme: Scheme, levels: list[tuple[int, int]], *, actor) -> Scheme:
    """Replace the ladder with `levels`: (office kind id, time limit in working days), bottom first."""
    _check_ladder(scheme, levels)
    existing = {lv.level: lv for lv in scheme.levels}
    for number, (kind_id, days) in enumerate(levels, start=1):
        level = existing.pop(number, None)
        if level is None:
            level = LadderLevel(level=number)
            scheme.levels.append(level)
        level.office_kind_id, level.time_limit_days = kind_id, days
    for level in existing.values():
        scheme.levels.remove(level)
    record("scheme.ladder_set", actor=actor, obj=scheme,
           data={"levels": [[kind_id, days] for kind_id, days in levels]})
    db.session.flush()
    return scheme
