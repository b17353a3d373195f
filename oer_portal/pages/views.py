"""Home page, the language switch and the help page on licences."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from oer_portal.accounts import service as accounts
from oer_portal.core.errors import ValidationError
from oer_portal.core.urls import safe_next
from oer_portal.licences import registry
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials.metadata import vocabularies
from oer_portal.pages.home import home_page

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> str:
    """Search, ways in by level and subject, and the newest materials (``pages/home.py``)."""
    locale = str(get_locale())
    return render_template("pages/home.html", home=home_page(locale), vocab=vocabularies(),
                           locale=locale)


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Switch the interface language for this session and, when logged in, for the account."""
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationError()
    session["locale"] = locale
    if current_user.is_authenticated:
        accounts.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next"), url_for("pages.home")))


@bp.route("/help/licences")
def licences() -> str:
    """The offered licences explained, and what a remix of two sources may carry.

    The table is asked of the compatibility engine itself, so the page cannot contradict
    what the remix form allows.
    """
    offered = registry.OFFERED
    table = [(row, [allowed_licences_for_adaptation([row, column]) for column in offered])
             for row in offered]
    return render_template("pages/licences.html", offered=offered, table=table,
                           locale=str(get_locale()))
