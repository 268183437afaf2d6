"""The commit boundary of a request: one helper every view that changes state goes through.

A view loads, checks access, validates its form, then hands the service call to `commit`:

    event = commit(lambda: services.log_follow_up(case, current_user, ...),
                   refused=lambda: _render_case(case, followup=form, status=422),
                   back=url_for("cases.show", case_id=case.id), unsent=form.response.data)
    flash(_("Follow-up saved."), "success")
    return redirect(...)

`commit` runs the call, commits once and returns its result. A `Refused` rolls back, flashes
its messages and ends the request with `refused()`; a `Stale` (or a version conflict found at
flush or commit) rolls back and ends it with the 409 "reload" page, which shows what the user
typed so nothing is lost. The database refusing a write (a unique name taken meanwhile, a
value out of the column's range) is answered like a `Refused`, never a 500.
Services never commit; views never write audit entries.
"""
import re
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, current_app, flash, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.identity import mask_aadhaar

T = TypeVar("T")


def stale_page(back: str | None, unsent: str | None = None, *, what=None):
    """The 409 page: nothing was saved; a link back to reload; what the user typed, to copy."""
    db.session.rollback()
    # Shown, never stored: the flush guard does not see it, so it is masked here.
    return render_template("errors/stale.html", back=back, unsent=mask_aadhaar(unsent) or None, what=what), 409


def commit(call: Callable[[], T], *, refused: Callable[[], object], back: str | None,
           unsent: str | None = None, what=None) -> T:
    """Run one service call and commit; or roll back and end the request with the right answer."""
    try:
        result = call()
        db.session.commit()
    except (Stale, StaleDataError):
        abort(make_response(stale_page(back, unsent, what=what)))
    except (IntegrityError, DataError) as exc:
        if _about_the_audit_trail(exc):
            db.session.rollback()
            raise  # the trail refusing its own entry is the server's fault, and a 500
        _refuse(exc, refused)
    except Refused as exc:
        _refuse(exc, refused)
    except BaseException:
        db.session.rollback()
        raise
    return result


def _refuse(exc: Exception, refused: Callable[[], object]):
    db.session.rollback()
    for message in _messages(exc):
        if message:
            flash(str(message), "error")
    abort(make_response(refused()))


# The database's own refusals, when the form's checks could not see them coming: a unique name
# taken by a save committed a moment earlier, a value the column cannot hold.
CONFLICT = _l("This could not be saved: it clashes with something saved at the same moment (a name or code "
              "already taken, for example). Nothing was saved; check and try again.")
UNSTORABLE = _l("This could not be saved: a value is too long or out of range. Nothing was saved.")


def _about_the_audit_trail(exc) -> bool:
    """The chain's own tables: a hash or sequence clash there is no user's doing."""
    return re.search(r"\baudit_(entries|head)\b", getattr(exc, "statement", None) or "") is not None


def _messages(exc: Exception) -> list:
    if isinstance(exc, IntegrityError | DataError):
        # The kind only: the database's message quotes the values (`Key (code)=(…) already exists`).
        current_app.logger.warning("the database refused a write: %s", type(getattr(exc, "orig", exc)).__name__)
    if isinstance(exc, IntegrityError):
        return [CONFLICT]
    if isinstance(exc, DataError):
        return [UNSTORABLE]
    return exc.messages


def admin_required(view):
    """Anonymous visitors go to the login page; signed-in users who are not administrators get 403.

    Here, below the domains, so each domain's administrator pages can use it.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
