"""The pages of e-mail confirmation (issue 16): "check your inbox", the page a confirmation
link opens, and "send the link again".  The rules are in ``accounts/confirmation.py``."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from oer_portal.accounts import confirmation, service
from oer_portal.accounts.forms import ConfirmAddressForm, ResendConfirmationForm
from oer_portal.core import mail
from oer_portal.extensions import limiter

bp = Blueprint("confirmation", __name__)


def request_locale() -> str:
    """The interface language of this request: the language of a new account's e-mail."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _typed_email_key() -> str:
    """Rate-limit key of the address typed in a form: counted alike whether or not it has
    an account, so the limit says nothing about accounts."""
    return "typed-email:" + service.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/account/register/sent")
def sent() -> str:
    """The one answer to every registration and every "send again": check your inbox."""
    return render_template("accounts/check_inbox.html", form=ResendConfirmationForm())


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | Response | tuple[str, int]:
    """Opening the link shows a button (changes nothing); pressing it confirms the address
    and leads to the login page.  A link that is not valid or has expired gets a page that
    says so and offers a new one (400)."""
    form = ConfirmAddressForm()
    try:
        if request.method == "POST":
            if not form.validate_on_submit():
                return redirect(url_for("confirmation.confirm", token=token))
            user = confirmation.confirm(token)
        else:
            confirmation.user_of_token(token)
    except confirmation.LinkRefused as refused:
        return render_template("accounts/confirm_refused.html", message=refused.message,
                               expired=refused.expired, form=ResendConfirmationForm()), 400
    if request.method == "GET":
        return render_template("accounts/confirm.html", form=form)
    flash(_("Your e-mail address is confirmed. You can log in now."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    if service.pending_teacher_request(user) is not None:
        # A new teacher continues on the dashboard, which says where the request stands.
        return redirect(url_for("accounts.login", next=url_for("materials.dashboard")))
    return redirect(url_for("accounts.login"))


@bp.route("/account/confirm/resend", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CONFIRMATION_RESEND_LIMIT_PER_ADDRESS"],
               methods=["POST"])
@limiter.limit(lambda: current_app.config["CONFIRMATION_RESEND_LIMIT_PER_EMAIL"],
               key_func=_typed_email_key, methods=["POST"])
def resend() -> str | Response:
    """Send the confirmation link again; the same answer for every address."""
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        letters = confirmation.send_again(form.email.data, request_locale())
        response = redirect(url_for("confirmation.sent"))
        mail.send_after_answer(response, letters)
        return response
    return render_template("accounts/resend_confirmation.html", form=form)
