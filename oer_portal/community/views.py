"""Rating pages: the rating form's POST, and the form the material page's rating panel
(``panels.py``) shows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.community import service
from oer_portal.community.forms import RatingForm
from oer_portal.core.errors import error_response
from oer_portal.extensions import limiter
from oer_portal.materials.web import material_url

bp = Blueprint("community", __name__)

#: Moderate: enough for someone changing their mind a few times, too little for a script.
#: ``RATING_LIMIT`` in the configuration overrides it.
DEFAULT_RATING_LIMIT = "30 per minute"


def _rating_limit() -> str:
    return str(current_app.config.get("RATING_LIMIT", DEFAULT_RATING_LIMIT))


def _per_user() -> str:
    """Count per account, not per address: a school shares one address among many pupils."""
    return f"rating-user:{current_user.get_user_id()}"


@bp.route("/materials/<int:material_id>/rating", methods=["GET"])
def rating_page(material_id: int) -> Response:
    """The form posts here; a GET (say, after logging in from an expired session) goes to
    the material's page, where the form is."""
    return redirect(url_for("materials.show", material_id=material_id), 303)


@bp.route("/materials/<int:material_id>/rating", methods=["POST"])
@login_required
@limiter.limit(_rating_limit, key_func=_per_user)
def rate(material_id: int) -> Response | tuple[Any, int]:
    """Set the user's rating, or remove it when the "remove" button was pressed.

    Invalid stars get a 400 page that says why: the radio buttons are ``required``, so only a
    hand-made request gets there, and the material page stays free of error states.
    """
    form = RatingForm()
    if form.remove.data:
        change = service.remove_rating(current_user, material_id)
        flash(_("Your rating is removed.") if change.changed
              else _("You had not rated this material."), "success")
        return redirect(material_url(change.material), 303)
    if not form.validate():
        return error_response(400, _("Choose a number of stars from 1 to 5."))
    stars = int(form.stars.data)
    change = service.rate(current_user, material_id, stars)
    flash(ngettext("Thank you! You gave this material %(num)d star.",
                   "Thank you! You gave this material %(num)d stars.", stars), "success")
    return redirect(material_url(change.material), 303)


@bp.app_template_global("rating_form")
def rating_form(own: int | None) -> RatingForm:
    """The rating panel's form with the visitor's own stars chosen (never the request's
    data: the material page is a GET)."""
    return RatingForm(formdata=None, stars=own)
