"""CASEFLOW_LOG_FORMAT=json: every log line caseflow writes becomes one JSON object.

The same records as the plain format, through the same filter (caseflow.inputs.LOG_FILTER: no
exception messages, no query strings), so JSON changes the shape of a line, never what it may
hold. A record written during a request also names the request's endpoint and method (never
its path: a path carries ids, and what a client typed).
"""
import logging

from flask import Flask, has_request_context, request
from flask.logging import default_handler, wsgi_errors_stream
from pythonjsonlogger.json import JsonFormatter

from caseflow.inputs import LOG_FILTER

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RequestFields(logging.Filter):
    """Adds `endpoint` and `method` to a record written while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.endpoint = request.url_rule.endpoint if request.url_rule is not None else None
            record.method = request.method
        return True


REQUEST_FIELDS = RequestFields()


def json_formatter() -> JsonFormatter:
    return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False)


# One handler for the process, on the root logger, writing where Flask's own handler writes
# (the WSGI error stream: gunicorn's error log, or stderr): caseflow's loggers, the development
# server's request lines and any library's warnings all come out as JSON, through the filter.
JSON_HANDLER = logging.StreamHandler(wsgi_errors_stream)
JSON_HANDLER.setFormatter(json_formatter())
JSON_HANDLER.addFilter(LOG_FILTER)
JSON_HANDLER.addFilter(REQUEST_FIELDS)


def init_app(app: Flask) -> None:
    if app.config.get("LOG_FORMAT", "text") != "json":
        return
    root = logging.getLogger()
    if JSON_HANDLER not in root.handlers:
        root.addHandler(JSON_HANDLER)
    # Flask's plain handler would write each caseflow line a second time, as text.
    app.logger.removeHandler(default_handler)
    werkzeug = logging.getLogger("werkzeug")
    if werkzeug.level == logging.NOTSET:
        werkzeug.setLevel(logging.INFO)  # request lines are INFO; the root logger passes WARNING up
