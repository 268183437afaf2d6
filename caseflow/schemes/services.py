"""Creating and editing schemes and their ladders."""
from flask_babel import lazy_gettext as _l

from caseflow.audit.services import changed_fields, record
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.schemes.models import LadderLevel, Scheme


class LadderError(Refused):
    pass


def save_scheme(scheme: Scheme | None = None, **fields) -> Scheme:
    if scheme is None:
        scheme = Scheme(**fields)
        db.session.add(scheme)
    else:
        for key, value in fields.items():
            setattr(scheme, key, value)
    record("scheme.updated" if scheme.id else "scheme.created", obj=scheme,
           data={"code": scheme.code, "fields": changed_fields(scheme, *fields)})
    db.session.flush()
    return scheme


def set_ladder(scheme: Scheme, levels: list[tuple[int, int]]) -> Scheme:
    """Replace the ladder with `levels`: (office kind id, time limit in working days), bottom first.

    Cases already at a level keep their number; a shorter ladder leaves them above the top,
    where they can no longer be escalated, which is refused here to keep cases routable.
    """
    if not levels:
        raise LadderError(_l("A ladder needs at least one level."))
    kinds = [kind_id for kind_id, _ in levels]
    if len(set(kinds)) != len(kinds):
        raise LadderError(_l("The same office kind appears twice in the ladder."))
    from caseflow.cases.models import Case

    highest = db.session.query(db.func.max(Case.level)).filter(Case.scheme_id == scheme.id).scalar() or 0
    if highest > len(levels):
        raise LadderError(_l("Some cases of this scheme are at level %(n)d; the ladder needs at least that many levels.", n=highest))
    existing = {lv.level: lv for lv in scheme.levels}
    for number, (kind_id, days) in enumerate(levels, start=1):
        level = existing.pop(number, None)
        if level is None:
            level = LadderLevel(level=number)
            scheme.levels.append(level)
        level.office_kind_id, level.time_limit_days = kind_id, days
    for level in existing.values():
        scheme.levels.remove(level)
    record("scheme.ladder_set", obj=scheme, data={"levels": [[kind_id, days] for kind_id, days in levels]})
    db.session.flush()
    return scheme
