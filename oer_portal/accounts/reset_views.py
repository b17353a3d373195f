"""Forgot your password: ask for a link by e-mail, then choose a new password with it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from oer_portal.accounts import reset
from oer_portal.accounts.reset_forms import ForgotPasswordForm, ResetPasswordForm
from oer_portal.core import mail
from oer_portal.core.errors import FieldError, ValidationError
from oer_portal.core.web import absolute_url
from oer_portal.extensions import limiter

bp = Blueprint("reset", __name__)


def _link(token: str) -> str:
    """The link in the mail: on ``PORTAL_URL``, never on the Host header of the request."""
    return absolute_url("reset.choose", token=token) or url_for("reset.choose", token=token)


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot() -> str | Response:
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        letter = reset.request_reset(form.email.data, _link)
        response = redirect(url_for("reset.sent"))
        mail.send_after_answer(response, [letter] if letter is not None else [])
        return response
    return render_template("accounts/forgot.html", form=form)


@bp.route("/account/forgot/sent")
def sent() -> str:
    return render_template("accounts/forgot_sent.html")


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def choose(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password with the link's token; then log in (every session ended)."""
    try:
        reset.user_for_token(token)
    except ValidationError as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(token, form.new_password.data)
        except FieldError as error:
            form.new_password.errors.append(error.message)
        except ValidationError as error:
            return render_template("accounts/reset_invalid.html", message=error.message), 400
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password has been changed and you have been logged out everywhere. "
                    "Log in with your new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)
