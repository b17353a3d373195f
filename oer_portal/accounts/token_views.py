"""The profile's API tokens page: list, create (the token is shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from oer_portal.accounts import tokens
from oer_portal.accounts.forms import TokenForm
from oer_portal.core.errors import ValidationError

bp = Blueprint("tokens", __name__)


def _render(form: TokenForm, new_token: str | None = None, status: int = 200
            ) -> tuple[str, int, dict[str, str]]:
    page = render_template("accounts/tokens.html", form=form, new_token=new_token,
                           tokens=tokens.tokens_of(current_user), revoke_form=FlaskForm())
    # The page that shows a token once must not be kept by the browser or a proxy.
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index() -> tuple[str, int, dict[str, str]]:
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, plaintext = tokens.issue(
                current_user, name=form.name.data, scope=tokens.Scope(form.scope.data),
                expires_in_days=int(form.lifetime.data))
        except ValidationError as error:
            form.name.errors.append(error.message)
        else:
            return _render(TokenForm(formdata=None), new_token=plaintext, status=201)
    return _render(form, status=422 if form.errors else 200)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> Response:
    form = FlaskForm()
    if form.validate_on_submit():
        tokens.revoke(current_user, token_id)
        flash(_("The token has been revoked; programs using it are refused from now on."),
              "success")
    else:
        flash(_("This form has expired. Please send it again."), "error")
    return redirect(url_for("tokens.index"))
