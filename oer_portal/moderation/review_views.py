"""The review screen of one request, its decisions and its conversation (a blueprint nested
in the moderation blueprint: ``/moderation/reviews/<id>``).

The same decision form is posted from the review screen, the lesson page and the diff page;
``back`` names where it came from so the answer returns there.  A decision that cannot be
made (a comment missing, the request moved on) shows the review screen with the
moderator's ticks and words kept, whichever page it came from: that screen has everything
needed to decide again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from oer_portal.core.errors import Conflict, ValidationError
from oer_portal.materials import policy as material_policy
from oer_portal.materials.metadata import VersionFields, vocabularies
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest
from oer_portal.materials.web import PageLinks, material_url
from oer_portal.moderation import conversation, panels, review
from oer_portal.moderation.forms import CommentForm, DecisionForm
from oer_portal.moderation.review import Decision

bp = Blueprint("reviews", __name__, url_prefix="/reviews")



def _confirmation(decision: Decision, number: int) -> str:
    if decision == Decision.APPROVE:
        return _("Approved: version %(n)d is now published.", n=number)
    if decision == Decision.REQUEST_CHANGES:
        return _("Sent back to the author with your comment: their next version continues "
                 "this review.")
    return _("Rejected: the author sees your reason.")


@bp.app_template_global("review_on_diff")
def review_on_diff(material: Material, version: MaterialVersion
                   ) -> panels.ReviewPanel | None:
    """The decisions for the diff page of ``version``: a moderator comparing the version
    under review gets them there too (the diff view passes no panels, and ``materials``
    cannot import this feature, so its template asks for them by this name)."""
    if not material_policy.is_staff(current_user) \
            or material_policy.is_author(current_user, material):
        return None
    panel = panels.review_panel_for(current_user, material, version)
    if panel is None or not panel.shows_reviewed_version:
        return None
    return panel


@bp.route("/<int:review_id>")
def screen(review_id: int) -> str | Response:
    """The review screen, for moderators and admins; an author who follows a link to it
    (a notification) reads the conversation on their material's page instead."""
    found = conversation.request_for(current_user, review_id)
    if not material_policy.is_staff(current_user):
        return redirect(material_url(found.material, _anchor="review"))
    return _render_screen(review_id, DecisionForm(formdata=None))


def _render_screen(review_id: int, form: DecisionForm, error: str | None = None,
                   comment_error: str | None = None, comment: str = "") -> str:
    shown = review.review_screen(current_user, review_id, PageLinks(), str(get_locale()))
    mode = "inline" if request.args.get("view") == "inline" else "side"
    return render_template("moderation/review.html", screen=shown, mode=mode, form=form,
                           error=error, comment_error=comment_error, comment=comment,
                           fields=VersionFields.of(shown.version), vocab=vocabularies())


@bp.route("/<int:review_id>/decision", methods=["POST"])
def decide(review_id: int) -> str | Response | tuple[str, int]:
    """Approve, request changes or reject: the version named in the form, or nothing."""
    form = DecisionForm()
    decision = form.chosen()
    if decision is None or not form.validate_on_submit():
        abort(400)
    try:
        decided = review.decide(current_user, review_id, decision, form.reviewed_version_id(),
                                form.checklist.data or (), form.comment.data or "")
    except Conflict as error:
        return _render_screen(review_id, form, error=error.message), 409
    except ValidationError as error:
        return _render_screen(review_id, form, error=error.message), 422
    flash(_confirmation(decision, decided.version.number), "success")
    if form.back.data == "review":
        return redirect(url_for("moderation.queue"))
    return redirect(_back_to(decided, form.back.data))


@bp.route("/<int:review_id>/comments", methods=["POST"])
def comment(review_id: int) -> str | Response | tuple[str, int]:
    """A comment or a reply, by an author or a moderator."""
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        conversation.add_comment(current_user, review_id, form.body.data or "", form.parent())
    except ValidationError as error:
        if form.back.data == "review" and material_policy.is_staff(current_user):
            return _render_screen(review_id, DecisionForm(formdata=None),
                                  comment_error=error.message,
                                  comment=form.body.data or ""), 422
        flash(error.message, "error")
    else:
        flash(_("Your comment has been added."), "success")
    found = conversation.request_for(current_user, review_id)
    if form.back.data == "review":
        return redirect(url_for("moderation.reviews.screen", review_id=review_id,
                                _anchor="conversation"))
    return redirect(_back_to(found, form.back.data, anchor="conversation"))


def _back_to(found: ReviewRequest, back: str | None, anchor: str = "review") -> str:
    """The page a form came from: the version under review's own address, or the
    material's page."""
    if back == "version":
        return url_for("materials.show_version", material_id=found.material_id,
                       number=found.version.number, _anchor=anchor)
    return material_url(found.material, _anchor=anchor)
