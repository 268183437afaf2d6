"""What the server accepts from a request before any view sees it, and what it lets into its logs.

Every request, whatever route it reaches, passes here first:

- **Path ids.** The `int` URL converter takes ASCII digits within the database's integer range,
  so `/cases/482917365402` is the ordinary 404 rather than an overflow in the database.
- **Integer parameters.** `request.args.get(name, type=int)` (and the same on `request.form`)
  answers the default for anything that is not a plain integer in that range; cursors use
  `db_int`. A filter nobody could have meant is simply not applied.
- **Body size.** `MAX_CONTENT_LENGTH` (2 MB) bounds every request; a view marked
  `@accepts_files` (evidence uploads) takes a multipart body of `EVIDENCE_MAX_BYTES` plus room
  for its form fields, and a body over that gets a 413 that says how large a file may be.
- **Text.** A NUL byte, which PostgreSQL text cannot store, anywhere in the query string or the
  form (names or values) refuses the request with a 400 that says so, before any view runs.
  Malformed UTF-8 never reaches a view: Werkzeug decodes it to U+FFFD.
- **Dates.** Form dates outside `DATE_MIN`..`DATE_MAX` are refused by every form
  (`caseflow.forms.Form`); `date_in_range(…, filter=True)` bounds date parameters more widely.
- **Logs.** No SQL parameters (the engine's `hide_parameters`, in config.py), no exception
  messages (a traceback keeps its frames and exception types: a message can quote what a user
  typed, or a database row), no query strings in the development server's request lines, and
  the failing request named by its URL rule, not its path.
"""
import logging
import re
import traceback
from datetime import date

from flask import Flask, current_app, request
from flask.logging import default_handler
from flask.wrappers import Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`; ids and every integer column fit in it
DB_INT_MIN = -(2**31)
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2199, 12, 31)  # what a form accepts: a plausible date
# What a filter accepts: any date the day arithmetic around it (a day before, a day after, the
# time zone) cannot overflow; far dates are how one asks for "nothing before/after".
FILTER_DATE_MIN, FILTER_DATE_MAX = date(1000, 1, 1), date(9998, 12, 31)
_INTEGER = re.compile(r"-?[0-9]{1,10}")


def db_int(text) -> int:
    """`text` as an integer the database can hold; ValueError for anything else ('1_000', '٣', 2**40)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and _INTEGER.fullmatch(text.strip()):
        value = int(text.strip())
    else:
        raise ValueError("not an integer")
    if not DB_INT_MIN <= value <= DB_INT_MAX:
        raise ValueError("out of range")
    return value


def date_in_range(value: date | None, *, filter: bool = False) -> bool:
    low, high = (FILTER_DATE_MIN, FILTER_DATE_MAX) if filter else (DATE_MIN, DATE_MAX)
    return value is None or low <= value <= high


class BadInput(BadRequest):
    """A 400 whose page says what was wrong (never echoing the input)."""

    def __init__(self, message):
        super().__init__()
        self.user_message = message


class BoundedIds(IntegerConverter):
    """`<int:…>`: ASCII digits, 0 to the largest database integer; anything else is a 404."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class _Parameters(ImmutableMultiDict):
    """Query and form parameters whose `get(..., type=int)` only yields database integers."""

    def get(self, key, default=None, type=None):
        if type is not int:
            return super().get(key, default, type)
        try:
            return db_int(self[key])
        except (KeyError, ValueError):
            return default


class CaseflowRequest(Request):
    parameter_storage_class = _Parameters


NUL_REFUSED = _l("What you sent contains a character that cannot be stored (a NUL byte). "
                 "Remove it and try again; nothing was saved.")


def _refuse_nul() -> None:
    for params in (request.args, request.form):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadInput(NUL_REFUSED)


FORM_ALLOWANCE = 1_000_000  # an upload's body: the file plus its form's other fields


def accepts_files(view):
    """Mark a view that takes an uploaded file: its request body may be as large as a file may be."""
    view.accepts_files = True
    return view


def _accepts_files() -> bool:
    """A multipart body (only one can carry a file) sent to a view that takes files."""
    if request.mimetype != "multipart/form-data":
        return False
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "accepts_files", False)


def _raise_upload_limit() -> None:
    if _accepts_files():
        request.max_content_length = current_app.config["EVIDENCE_MAX_BYTES"] + FORM_ALLOWANCE


def too_large_message():
    """What a 413 says: on an upload, the largest file accepted."""
    if not _accepts_files():
        return None
    return _l("The file is larger than %(mb)s MB. Attach a smaller photo or PDF. Nothing was saved.",
              mb=f"{current_app.config['EVIDENCE_MAX_BYTES'] / 1_000_000:g}")


# --- logs ------------------------------------------------------------------------------------

_REQUEST_LINE = re.compile(r"^(\S+ [^?\s]*)\?\S*")


def bare_traceback(exc: BaseException) -> str:
    """The traceback's frames and exception types, without any exception's message."""
    lines = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = traceback.extract_tb(exc.__traceback__)
        block = ["Traceback (most recent call last):"]
        block += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        name = f"{type(exc).__module__}.{type(exc).__qualname__}"
        orig = getattr(exc, "orig", None)
        block.append(f"{name} (message withheld)" + (f" from {type(orig).__module__}.{type(orig).__qualname__}"
                                                     if orig is not None else ""))
        statement = getattr(exc, "statement", None)
        if isinstance(statement, str):
            # Bound parameters are not part of it, and hide_parameters keeps them out of the message.
            block.append(f"SQL: {statement}")
        lines = block + ([""] if lines else []) + lines
        exc = exc.__cause__ or exc.__context__
    return "\n".join(lines)


class NoPersonalData(logging.Filter):
    """Tracebacks without messages; request lines without query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = bare_traceback(record.exc_info[1])
            record.exc_info = None
        if record.name == "werkzeug" and isinstance(record.args, tuple):
            record.args = tuple(_REQUEST_LINE.sub(r"\1", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


LOG_FILTER = NoPersonalData()  # one instance: adding it again (every app of a process) is a no-op


def install_log_filter(*names: str) -> None:
    for name in names:
        logging.getLogger(name).addFilter(LOG_FILTER)
    default_handler.addFilter(LOG_FILTER)  # records of caseflow.* loggers pass through it too


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: the converter applies to rules as they are added."""
    app.url_map.converters["int"] = BoundedIds
    app.request_class = CaseflowRequest
    app.before_request(_raise_upload_limit)  # before anything reads the body
    app.before_request(_refuse_nul)

    def log_exception(exc_info) -> None:
        # Flask names the path, which can carry typed text (`/cases/1/do/<anything>`): the rule cannot.
        rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
        app.logger.error("Exception on %s [%s]", rule, request.method, exc_info=exc_info)

    app.log_exception = log_exception
    install_log_filter(app.logger.name, "werkzeug")
