"""Pages of the audit domain."""
from flask import Blueprint

bp = Blueprint("audit", __name__)


def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/audit/_case_panel.html)."""
    return {}
