"""Per-worker caches of the queue page, each kept only while the data it was built from is
unchanged (caseflow.marks)."""
import sqlalchemy as sa
from markupsafe import Markup

from caseflow.areas.models import Area, AreaKind
from caseflow.extensions import db
from caseflow.marks import cacheable, database_key, marks
from caseflow.scope import visible

# A worker serves few scopes; the bound only stops a pathological one from growing forever.
_MAX_ENTRIES = 512
_settlement_options: dict[tuple, tuple[int, Markup]] = {}


def settlement_options(user, locale: str, selected: int | None) -> Markup:
    """The <option>s of the settlement filter for `user`'s scope, by name, `selected` marked.

    A state-wide scope has 7,500 settlements: read and escaped once per worker while no area
    changes (the 'areas' mark), not on every page.
    """
    key = (tuple(sorted(a.id for a in user.areas)), user.role, locale, database_key())
    mark = marks().get("areas")
    cached = _settlement_options.get(key)
    if cached is None or cached[0] != mark:
        name = Area.name_hi if locale == "hi" else Area.name_en
        rows = db.session.execute(
            sa.select(Area.id, name).where(Area.kind == AreaKind.SETTLEMENT, visible(user, Area)).order_by(name)
        ).all()
        html = Markup("").join(Markup('<option value="{}">{}</option>').format(i, n) for i, n in rows)
        cached = (mark, html)
        if cacheable("areas"):
            if len(_settlement_options) >= _MAX_ENTRIES:
                _settlement_options.clear()
            _settlement_options[key] = cached
    html = cached[1]
    if selected:
        needle = f'<option value="{int(selected)}">'
        # Markup.replace would escape the new text: replace in the plain string, which is already safe.
        html = Markup(str(html).replace(needle, f'<option value="{int(selected)}" selected>', 1))
    return html


