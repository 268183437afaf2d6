"""Audit trail pages: a supervisor reads the trail of any case, beneficiary, bias report or
letter in their areas.

Only entries whose own area path lies in the reader's scope are shown (`scope.visible` on the
entry, not only on the object), so a supervisor never reads what happened outside their areas.
In-charges are refused (403) for objects in their scope and get the usual 404 outside it;
administrators configure and read no trails.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseflow import labels
from caseflow.areas.models import Office
from caseflow.audit.models import AuditEntry
from caseflow.auth.models import Role, User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.bias.models import BiasReport
from caseflow.cases import panels
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.i18n import locale_code
from caseflow.letters.models import Letter
from caseflow.scope import CASE_ROLES, load_or_404, visible

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 100
# Object types whose rows carry an area path, so their trail can be scoped.
TRAIL_MODELS = {"cases": Case, "beneficiaries": Beneficiary, "bias_reports": BiasReport, "letters": Letter}
TRAIL_TYPES = tuple(TRAIL_MODELS)

# How a value in an entry's data reads, by key (and for `status` and `kind`, by the object's type).
VALUE_ENUMS = {"attention": "Attention", "channel": "Channel", "mode": "DispatchMode", "finding": "Finding",
               "accused_role": "AccusedRole", "role": "Role"}
TYPED_VALUE_ENUMS = {
    ("status", "cases"): "CaseStatus",
    ("status", "bias_reports"): "ReviewStatus",
    ("status", "letters"): "LetterStatus",
    ("kind", "letters"): "LetterKind",
    ("kind", "bias_reports"): "BiasKind",
    ("kind", "areas"): "AreaKind",
}
STEP_LABELS = {"cases": labels.CASE_STEP_DONE, "bias_reports": labels.BIAS_STEP_DONE}


def action_label(action: str) -> str:
    return str(labels.audit_action(action))


def _code_text(key: str, object_type: str | None, value) -> str:
    enum_name = TYPED_VALUE_ENUMS.get((key, object_type)) or VALUE_ENUMS.get(key)
    if enum_name is None or not isinstance(value, str):
        return _value_text(value)
    return str(labels.label(value, enum_name))


def _step_text(entry: AuditEntry) -> str | None:
    data = entry.data or {}
    if "from" not in data and "to" not in data:
        return None
    step = data.get("trigger")
    if step:
        step = str(STEP_LABELS.get(entry.object_type, {}).get(step, step))
    moved = " → ".join(_code_text("status", entry.object_type, data.get(end)) for end in ("from", "to"))
    return f"{step}: {moved}" if step else moved


def _value_text(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{labels.AUDIT_KEY.get(k, k)} {_value_text(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def describe(entry: AuditEntry, names: dict[int, str], offices: dict[int, str]) -> list[str]:
    """Short lines telling what the entry's data says: ids, codes and field names only."""
    lines = []
    step = _step_text(entry)
    if step:
        lines.append(step)
    for key, value in sorted((entry.data or {}).items()):
        if key in labels.AUDIT_HIDDEN_KEYS or value in (None, [], {}):
            continue
        if key == "assignee_id":
            text = _value_text(names.get(value, value))
        elif key == "office_id":
            text = _value_text(offices.get(value, value))
        else:
            text = _code_text(key, entry.object_type, value)
        lines.append(f"{labels.AUDIT_KEY.get(key, key)}: {text}")
    return lines


def _office_titles(entries) -> dict[int, str]:
    ids = {e.data.get("office_id") for e in entries if isinstance((e.data or {}).get("office_id"), int)}
    if not ids:
        return {}
    locale = locale_code()
    return {o.id: o.title(locale) for o in db.session.scalars(sa.select(Office).where(Office.id.in_(ids)))}


def _targets(object_type: str, obj) -> list[tuple[str, list[str]]]:
    """The object, and for a case also its letters and bias reports: one trail tells its whole story."""
    targets = [(object_type, [str(obj.id)])]
    if object_type == "cases":
        for related in ("letters", "bias_reports"):
            model = TRAIL_MODELS[related]
            ids = db.session.scalars(sa.select(model.id).where(model.case_id == obj.id)).all()
            if ids:
                targets.append((related, [str(i) for i in ids]))
    return targets


def _back_link(object_type: str, obj) -> str | None:
    if object_type == "cases":
        return url_for("cases.show", case_id=obj.id)
    if object_type == "beneficiaries":
        return url_for("beneficiaries.show", beneficiary_id=obj.id)
    if object_type in ("letters", "bias_reports"):
        return url_for("cases.show", case_id=obj.case_id)
    return None


def _title(object_type: str, obj) -> str:
    if object_type == "cases":
        return _("Audit trail of case %(ref)s", ref=obj.reference)
    if object_type == "letters":
        return _("Audit trail of letter %(ref)s", ref=obj.reference)
    if object_type == "bias_reports":
        return _("Audit trail of bias report %(id)d", id=obj.id)
    # A beneficiary's name is personal data: the page title and the browser history keep the id.
    return _("Audit trail of beneficiary %(id)d", id=obj.id)


@bp.get(f"/<any({', '.join(TRAIL_TYPES)}):object_type>/<int:object_id>")
@login_required
def trail(object_type: str, object_id: int):
    if current_user.role not in CASE_ROLES:
        abort(403)
    # Scope first: an in-charge learns nothing about objects outside their areas (the usual 404).
    obj = load_or_404(TRAIL_MODELS[object_type], object_id, current_user)
    if current_user.role is not Role.SUPERVISOR:
        abort(403)
    before = request.args.get("before", type=int)
    match = sa.or_(*(sa.and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(ids))
                     for kind, ids in _targets(object_type, obj)))
    query = sa.select(AuditEntry).where(match, visible(current_user, AuditEntry))
    if before:
        query = query.where(AuditEntry.seq < before)
    entries = db.session.scalars(query.order_by(AuditEntry.seq.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    user_ids = {e.actor_id for e in entries} | {
        e.data.get("assignee_id") for e in entries if isinstance((e.data or {}).get("assignee_id"), int)}
    user_ids.discard(None)
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
                 ) if user_ids else {}
    offices = _office_titles(entries)
    rows = [{
        "entry": e,
        "actor": names.get(e.actor_id) if e.actor_id else None,
        "label": action_label(e.action),
        "object": labels.AUDIT_OBJECT.get(e.object_type, e.object_type),
        "lines": describe(e, names, offices),
        "related": e.object_type != object_type,
    } for e in entries]
    older = url_for(".trail", object_type=object_type, object_id=object_id, before=entries[-1].seq) if more else None
    return render_template("audit/trail.html", title=_title(object_type, obj), rows=rows, older=older,
                           newest=url_for(".trail", object_type=object_type, object_id=object_id) if before else None,
                           back=_back_link(object_type, obj))


@panels.register(bp, "audit", order=40)
def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/audit/_case_panel.html)."""
    if user.role is not Role.SUPERVISOR:
        return {}
    return {"trail_url": url_for("audit.trail", object_type="cases", object_id=case.id)}
