"""Account pages: register, log in and out, password, profile, teacher-role request."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field

from oer_portal.accounts import (
    confirmation,
    confirmation_views,
    devices,
    login_throttle,
    policy,
    service,
    sessions,
)
from oer_portal.accounts.forms import (
    ChangePasswordForm,
    EmailSettingsForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    TeacherRequestForm,
)
from oer_portal.accounts.models import TeacherRequest
from oer_portal.core import mail
from oer_portal.core.db import set_write_intent
from oer_portal.core.errors import ValidationError
from oer_portal.core.uow import READ_ONLY_METHODS, current_uow
from oer_portal.core.urls import safe_next
from oer_portal.extensions import limiter
from oer_portal.notifications import service as notifications
from oer_portal.notifications.models import NotificationKind

bp = Blueprint("accounts", __name__)

#: The session holds the decision a request claimed until a page shows it (as a flashed
#: message is held), so a redirect or a download cannot swallow it.
DECISION_NOTICE_KEY = "teacher_decision"


@bp.before_app_request
def _claim_teacher_decision() -> None:
    """Tell an applicant the decision on their teacher request on the next page they load.

    The session loader already said whether one waits (no extra query on any page). A GET
    runs a deferred transaction, so that readers never queue behind the writer; the one GET
    that claims a notice must write, so it restarts its transaction, which has done nothing
    but load the user, as a writer (``BEGIN IMMEDIATE`` on SQLite: it waits for the writer
    slot instead of failing on a snapshot another writer made stale). The unit of work's
    teardown restores the intent it set, whatever was set after it.
    """
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return  # files, and addresses that are not pages (their 404 would roll it back)
    request_id = current_user.unnoticed_decision_id
    if request_id is None:
        return
    if request.method in READ_ONLY_METHODS:
        current_uow().rollback()
        set_write_intent(True)
    if service.claim_decision_notice(current_user, request_id):
        session[DECISION_NOTICE_KEY] = request_id


def _teacher_decision_notice() -> TeacherRequest | None:
    """The decision to show in the header of this page; taken from the session, so once."""
    request_id = session.pop(DECISION_NOTICE_KEY, None)
    if not isinstance(request_id, int) or not current_user.is_authenticated:
        return None
    return service.decision_to_tell(current_user, request_id)


def _waiting_teacher_requests() -> int:
    """For the admins' header: how many teacher requests wait (others: no query)."""
    if not policy.can_decide_teacher_requests(current_user):
        return 0
    return service.waiting_teacher_request_count(current_user)


def _latest_teacher_request() -> TeacherRequest | None:
    """For the dashboard: where the user's own request stands."""
    if not current_user.is_authenticated:
        return None
    return service.latest_teacher_request(current_user)


@bp.app_context_processor
def _account_notices() -> dict[str, object]:
    """Functions, not values: only the templates that show them pay for their queries."""
    return {"teacher_decision_notice": _teacher_decision_notice,
            "waiting_teacher_requests": _waiting_teacher_requests,
            "latest_teacher_request": _latest_teacher_request}


def _start_session(user: service.User, remember: bool = False) -> None:
    """A fresh session for ``user``: nothing of the anonymous session survives but the
    language; a session row of its own (``accounts.sessions``) names this browser."""
    locale = session.get("locale")
    session.clear()
    if user.locale is None and locale:
        user.locale = locale
    sessions.start(user, request.headers.get("User-Agent"), remember)
    login_user(user, remember=remember)


@bp.route("/account/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_EMAIL"],
               key_func=confirmation_views._typed_email_key, methods=["POST"])
def register() -> str | Response:
    """Register (issue 16): whether or not the address has an account, the answer is the
    same redirect to "check your inbox"; the e-mail tells the address's owner the rest
    (``accounts/confirmation.py``).  A teacher's application is sent with the account."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        application = (service.TeacherApplication(form.school.data, form.motivation.data)
                       if form.is_teacher.data else None)
        try:
            letters = confirmation.register(form.email.data, form.display_name.data,
                                            form.password.data, application,
                                            confirmation_views.request_locale())
        except ValidationError as error:
            _field_of(form, error, form.email).errors.append(error.message)
        else:
            response = redirect(url_for("confirmation.sent"))
            mail.send_after_answer(response, letters)
            return response
    return render_template("accounts/register.html", form=form)


def _field_of(form: FlaskForm, error: ValidationError, default: Field) -> Field:
    """The field a service's refusal belongs to, so it is shown beside what was typed."""
    name = getattr(error, "field", None)
    return form[name] if name and name in form else default


@bp.route("/account/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def login() -> str | Response:
    """Log in; failures slow down the account's untrusted clients or the known browser
    that made them (``login_throttle``), never the owner's other known browsers."""
    next_url = safe_next(request.values.get("next"), url_for("pages.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        device = devices.presented(request, form.email.data)
        refusal = login_throttle.check(form.email.data, device)
        if refusal is not None:
            return _login_refused(form, next_url, refusal)
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except confirmation.AddressNotConfirmed as unconfirmed:
            return render_template("accounts/login.html", form=form, next_url=next_url,
                                   unconfirmed=ResendConfirmationForm(
                                       formdata=None, email=unconfirmed.email))
        if user is not None:
            login_throttle.succeeded(form.email.data, device)
            _start_session(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            response = redirect(next_url)
            devices.issue(response, request, form.email.data)
            return response
        login_throttle.failed(form.email.data, device)
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("accounts/login.html", form=form, next_url=next_url)


def _login_refused(form: LoginForm, next_url: str, refusal: login_throttle.Refusal
                   ) -> tuple[str, int, dict[str, str]]:
    """429 with Retry-After, the password unchecked, and what to do instead."""
    minutes = max(1, -(-refusal.retry_after // 60))
    form.password.errors.append(
        ngettext("Too many failed attempts to log in to this account. Please wait %(num)d "
                 "minute and try again, or reset your password.",
                 "Too many failed attempts to log in to this account. Please wait %(num)d "
                 "minutes and try again, or reset your password.", minutes))
    page = render_template("accounts/login.html", form=form, next_url=next_url)
    # Flask-Limiter would raise Retry-After to the per-address window's reset; this wait is
    # the account's (or the device's), so its headers stay off this one response.
    limiter.context.view_rate_limit = None
    return page, 429, {"Retry-After": str(refusal.retry_after)}


@bp.route("/account/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out this browser: its session row goes, so every copy of its cookie is void; the
    user's other sessions stay ("log out everywhere" is on the profile)."""
    sessions.end_current(current_user)
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
        remember = sessions.is_remembered(current_user)
        try:
            service.change_password(current_user, form.current_password.data,
                                    form.new_password.data)
        except ValidationError as error:
            form.current_password.errors.append(error.message)
        else:
            _start_session(current_user._get_current_object(), remember=remember)
            flash(_("Your password has been changed. Other devices have been logged out."),
                  "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile() -> str | Response:
    form = _profile_form()
    if form.validate_on_submit():
        try:
            service.update_profile(current_user, form.display_name.data, form.locale.data)
        except ValidationError as error:
            form.display_name.errors.append(error.message)
        else:
            session["locale"] = form.locale.data
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(form, _email_settings_form())


def _profile_form(**options: object) -> ProfileForm:
    """The profile form with the language in force chosen: the user's own ``locale`` is
    ``None`` until they pick one, and read from the user it would leave both unchosen."""
    return ProfileForm(display_name=current_user.display_name, locale=str(get_locale()),
                       **options)


def _email_settings_form() -> EmailSettingsForm:
    settings = notifications.email_settings(current_user.id)
    return EmailSettingsForm(formdata=None,
                             emailed=[kind.value for kind, on in settings.items() if on])


def _render_profile(form: ProfileForm, email_form: EmailSettingsForm) -> str:
    return render_template("accounts/profile.html", form=form, email_form=email_form)


@bp.route("/account/email-settings", methods=["POST"])
@login_required
def email_settings() -> str | Response:
    """Which notifications are also e-mailed (the inbox gets every one regardless)."""
    email_form = EmailSettingsForm()
    if email_form.validate_on_submit():
        notifications.save_email_settings(
            current_user.id, [NotificationKind(value) for value in email_form.emailed.data])
        flash(_("Your e-mail settings have been saved."), "success")
        return redirect(url_for("accounts.profile", _anchor="email-settings"))
    return _render_profile(_profile_form(formdata=None), email_form)


@bp.route("/account/teacher-request", methods=["GET", "POST"])
@login_required
def teacher_request() -> str | Response:
    """Ask for the teacher role, or see what became of the last request."""
    form = TeacherRequestForm()
    if form.validate_on_submit():
        try:
            service.request_teacher_role(current_user, form.school.data, form.motivation.data)
        except ValidationError as error:
            _field_of(form, error, form.motivation).errors.append(error.message)
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
