"""Rating pages: the rating form's POST, and the rating panel of the material page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import Actor
from oer_portal.community import policy, service
from oer_portal.community.forms import RatingForm
from oer_portal.core.errors import error_response
from oer_portal.extensions import limiter
from oer_portal.materials.models import Material, MaterialVersion

bp = Blueprint("community", __name__)

#: Moderate: enough for someone changing their mind a few times, too little for a script.
#: ``RATING_LIMIT`` in the configuration overrides it.
DEFAULT_RATING_LIMIT = "30 per minute"


def _rating_limit() -> str:
    return str(current_app.config.get("RATING_LIMIT", DEFAULT_RATING_LIMIT))


def _per_user() -> str:
    """Count per account, not per address: a school shares one address among many pupils."""
    return f"rating-user:{current_user.get_user_id()}"


def _material_page(material: Material) -> str:
    return url_for("materials.show", material_id=material.id, slug=material.slug)


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
        return redirect(_material_page(change.material), 303)
    if not form.validate():
        return error_response(400, _("Choose a number of stars from 1 to 5."))
    stars = int(form.stars.data)
    change = service.rate(current_user, material_id, stars)
    flash(ngettext("Thank you! You gave this material %(num)d star.",
                   "Thank you! You gave this material %(num)d stars.", stars), "success")
    return redirect(_material_page(change.material), 303)


def material_page_panel(actor: Actor, material: Material, version: MaterialVersion,
                        permalink: bool = False) -> dict[str, Any] | None:
    """What ``community/_rating.html`` needs, for ``materials.views._render_version``.

    ``None`` (no panel) unless the page shows the version the public sees now of a material
    that can be rated: a draft, a pending version, an earlier version's permalink or a
    withdrawn material has no rating to show.  One indexed query: the summary and the
    user's own rating together.
    """
    if not policy.is_rateable(material) or version.id != material.published_version_id:
        return None
    summary, own = service.summary_and_own(material.id, actor)
    may_rate = policy.can_rate(actor, material)
    form = RatingForm(formdata=None, stars=own) if may_rate else None
    return {
        "summary": summary,
        "average": None if summary.average is None
        else format_decimal(summary.average, format="0.0"),
        "filled": int(summary.average + 0.5) if summary.average is not None else 0,
        "own": own,
        "can_rate": may_rate,
        "form": form,
        "action": url_for("community.rate", material_id=material.id),
        "login_url": None if actor.is_authenticated
        else url_for("accounts.login", next=_material_page(material)),
        "permalink": permalink,
    }
