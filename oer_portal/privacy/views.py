"""Privacy pages: the account's privacy page (download my data, delete my account) and the
public privacy statement."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from oer_portal.core.errors import ValidationError
from oer_portal.core.types import utcnow
from oer_portal.privacy import erasure, export
from oer_portal.privacy.forms import DeleteAccountForm, ExportForm

bp = Blueprint("privacy", __name__)


def _render(delete_form: DeleteAccountForm | None = None) -> str:
    return render_template(
        "privacy/account.html", export_form=ExportForm(formdata=None),
        delete_form=delete_form or DeleteAccountForm(formdata=None),
        consequences=erasure.consequences(current_user))


@bp.route("/account/privacy")
@login_required
def account() -> str:
    return _render()


@bp.route("/account/privacy/export", methods=["POST"])
@login_required
def download() -> Response:
    """All the user's personal data as a JSON attachment (the CSRF check guards the POST)."""
    document = export.personal_data(current_user)
    name = f"oer-portal-data-{utcnow().date().isoformat()}.json"
    response = Response(json.dumps(document, ensure_ascii=False, indent=2),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/privacy/delete", methods=["POST"])
@login_required
def delete() -> str | Response:
    """Delete the account after the password; the person is logged out at once."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            erasure.delete_account(current_user, form.password.data,
                                   erasure.Credit(form.credit.data))
        except ValidationError as error:
            form.password.errors.append(error.message)
        else:
            locale = session.get("locale")
            logout_user()
            session.clear()
            if locale:
                session["locale"] = locale
            flash(_("Your account has been deleted. Thank you for what you shared."),
                  "success")
            return redirect(url_for("pages.home"))
    return _render(form)


@bp.route("/privacy")
def statement() -> str:
    """What the portal stores, why, how long, and how to use one's rights."""
    return render_template("privacy/statement.html")
