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
typed so nothing is lost. Services never commit; views never write audit entries.
"""
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, current_app, flash, make_response, render_template
from flask_login import current_user
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
    except Refused as exc:
        db.session.rollback()
        for message in exc.messages:
            if message:
                flash(str(message), "error")
        abort(make_response(refused()))
    except BaseException:
        db.session.rollback()
        raise
    return result



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
