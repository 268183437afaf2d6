"""Login, logout, the account page (reminder settings), password change and the language switch."""
import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from caseflow.auth import services
from caseflow.auth.forms import LanguageForm, LoginForm, PasswordForm, RemindersForm
from caseflow.auth.models import Role
from caseflow.extensions import login_manager
from caseflow.web import commit

bp = Blueprint("auth", __name__)
log = logging.getLogger("caseflow.auth")

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(token: str):
    return services.load_session_user(token)


def current_token() -> str | None:
    """The token of this request's session (what Flask-Login keeps as the user id)."""
    return session.get("_user_id")


def sign_in(user, token: str) -> None:
    """Put a session started by the services (`start_session`) into this browser's cookie."""
    user.session_token = token
    login_user(user)


def home_for(user) -> str:
    """Administrators configure; in-charges and supervisors start their day on Today."""
    if user.role is Role.ADMIN:
        return url_for("admin.index")
    return url_for("today.index")


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        # Committed whatever the outcome: failures count towards the back-off and are audited.
        result = commit(lambda: services.authenticate(form.username.data, form.password.data,
                                                      request.remote_addr or "-"),
                        refused=lambda: (render_template("auth/login.html", form=form), 401), back=None)
        if result.user is not None:
            session.clear()
            sign_in(result.user, result.token)
            log.info("login user_id=%s", result.user.id)
            return redirect(home_for(result.user))
        if result.wait_seconds:
            flash(_("Too many failed attempts. Try again in %(seconds)d seconds.", seconds=result.wait_seconds), "error")
            status = 429
        else:
            log.info("failed login")
            flash(_("Wrong username or password."), "error")
            status = 401
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    token = current_token()
    commit(lambda: services.sign_out(current_user._get_current_object(), token),
           refused=lambda: redirect(url_for("auth.login")), back=None)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = RemindersForm(data={"email": user.email, "digests": user.digests})

    def render_form(status: int = 200):
        return render_template("auth/account.html", form=form), status

    if not form.validate_on_submit():
        return render_form(422 if form.errors else 200)
    commit(lambda: services.set_reminders(user, email=form.email.data, digests=form.digests.data, actor=user),
           refused=lambda: render_form(422), back=None)
    flash(_("Reminder settings saved."), "success")
    return redirect(url_for("auth.account"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()

    def render_form():
        return render_template("auth/password.html", form=form)

    if form.validate_on_submit():
        user = current_user._get_current_object()
        # Committed whatever the outcome: a wrong current password counts towards the back-off.
        checked = commit(lambda: services.check_current_password(user, form.current.data, request.remote_addr or "-"),
                         refused=render_form, back=None)
        if checked.wait_seconds:
            flash(_("Too many failed attempts. Try again in %(seconds)d seconds.", seconds=checked.wait_seconds),
                  "error")
            return render_form(), 429
        if checked.user is None:
            flash(_("The current password is wrong."), "error")
            return render_form(), 422

        def change():
            services.set_password(user, form.new.data, actor=user)  # ends every session of the account
            return services.start_session(user)

        # This device carries on with a fresh token: the old cookie, and any copy of it, is dead.
        sign_in(user, commit(change, refused=render_form, back=None))
        flash(_("Password changed. Other sessions have been signed out."), "success")
        return redirect(home_for(user))
    return render_form()


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        lang = form.lang.data
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            commit(lambda: services.set_locale(user, lang, actor=user),
                   refused=lambda: redirect(url_for("auth.index")), back=None)
        else:
            session["lang"] = lang
    target = request.referrer or ""
    if not target.startswith(request.host_url):
        target = url_for("auth.index")
    return redirect(target)


@bp.app_context_processor
def _language_form():
    # formdata=None: this form only shows; reading the request here would re-raise a 413 inside its error page.
    return {"language_form": LanguageForm(formdata=None, lang=current_app.config["BABEL_DEFAULT_LOCALE"])}
