"""Pages of the letters domain."""
from flask import Blueprint

bp = Blueprint("letters", __name__)


def case_panel(case, user) -> dict:
    """What the case page shows from this domain (template: templates/letters/_case_panel.html)."""
    return {}
