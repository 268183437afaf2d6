"""Pages of the escalation domain."""
from flask import Blueprint

bp = Blueprint("escalation", __name__)


def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/escalation/_case_panel.html)."""
    return {}
