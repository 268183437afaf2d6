"""Pages of the bias domain."""
from flask import Blueprint

bp = Blueprint("bias", __name__)


def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/bias/_case_panel.html)."""
    return {}
