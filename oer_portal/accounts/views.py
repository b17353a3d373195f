"""Account pages: register, log in and out, password, profile, teacher-role request."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from oer_portal.accounts import policy, service
from oer_portal.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    TeacherRequestForm,
)
from oer_portal.core.errors import ValidationError
from oer_portal.core.urls import safe_next
from oer_portal.extensions import limiter

bp = Blueprint("accounts", __name__)


def _start_session(user: service.User, remember: bool = False) -> None:
    """A fresh session for ``user``: nothing of the anonymous session survives but the language."""
    locale = session.get("locale")
    session.clear()
    if user.locale is None and locale:
        user.locale = locale
    login_user(user, remember=remember)


def _login_account_key() -> str:
    return "login-account:" + service.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/account/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_ADDRESS"], methods=["POST"])
def register() -> str | Response:
    """Create a student account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register(form.email.data, form.display_name.data, form.password.data)
        except ValidationError as error:
            form.email.errors.append(error.message)
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name),
                  "success")
            return redirect(url_for("pages.home"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=lambda _response: bool(g.get("login_failed")),
)
def login() -> str | Response:
    """Log in; only failed attempts count towards the per-account limit."""
    next_url = safe_next(request.values.get("next"), url_for("pages.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(next_url)
        g.login_failed = True
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("accounts/login.html", form=form, next_url=next_url)


@bp.route("/account/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out everywhere: the session token changes, so every copy of the cookie is void."""
    service.log_out_everywhere(current_user)
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You are logged out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data,
                                    form.new_password.data)
        except ValidationError as error:
            form.current_password.errors.append(error.message)
        else:
            _start_session(current_user._get_current_object())
            flash(_("Your password has been changed. Other devices have been logged out."),
                  "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile() -> str | Response:
    form = ProfileForm(obj=current_user, locale=str(get_locale()))
    if form.validate_on_submit():
        try:
            service.update_profile(current_user, form.display_name.data, form.locale.data)
        except ValidationError as error:
            form.display_name.errors.append(error.message)
        else:
            session["locale"] = form.locale.data
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/users/<int:user_id>")
def public_profile(user_id: int) -> str:
    """What everyone may see of a user: the display name, the teacher role, since when."""
    user = service.get_user(user_id)
    return render_template("accounts/public_profile.html", user=user,
                           is_teacher=policy.is_teacher(user))


@bp.route("/account/teacher-request", methods=["GET", "POST"])
@login_required
def teacher_request() -> str | Response:
    """Ask for the teacher role, or see what became of the last request."""
    form = TeacherRequestForm()
    if form.validate_on_submit():
        try:
            service.request_teacher_role(current_user, form.school.data, form.motivation.data)
        except ValidationError as error:
            form.motivation.errors.append(error.message)
        else:
            flash(_("Your request has been sent. An administrator will decide on it."),
                  "success")
            return redirect(url_for("accounts.teacher_request"))
    return render_template(
        "accounts/teacher_request.html",
        form=form,
        latest=service.latest_teacher_request(current_user),
        can_request=policy.can_request_teacher_role(current_user),
    )
