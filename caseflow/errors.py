"""Error pages: translated, with no detail that could leak data (no tracebacks, no input echo)."""
from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from caseflow.audit.web import record_refusal
from caseflow.extensions import db
from caseflow.inputs import too_large_message

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you submitted a form, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this page.")),
    404: (_l("Not found"), _l("There is no such page, or it is outside your areas.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("Please wait a little and try again.")),
    500: (_l("Something went wrong"), _l("The error was recorded. Nothing you sent was saved; please try again.")),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code not in MESSAGES or exc.code < 400:
            return exc
        if exc.code in (403, 404):
            record_refusal(exc.code)
        title, message = MESSAGES[exc.code]
        message = getattr(exc, "user_message", None) or message  # caseflow.inputs.BadInput says what was wrong
        if exc.code == 413:
            message = too_large_message() or message
        return render_template("errors/error.html", title=title, message=message), exc.code

    @app.errorhandler(500)
    def _server_error(exc):

        db.session.rollback()
        title, message = MESSAGES[500]
        return render_template("errors/error.html", title=title, message=message), 500
