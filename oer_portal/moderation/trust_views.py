"""Trusted teachers and the post-review list (a blueprint nested in the moderation
blueprint: ``/moderation/trusted``, ``/moderation/post-review``).  Moderators and admins
only: the services refuse anyone else (403, audited as ``access.denied``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts import trust
from oer_portal.core.errors import Conflict, ValidationError
from oer_portal.moderation import post_review
from oer_portal.moderation.forms import PostReviewForm, TrustForm

bp = Blueprint("trust", __name__)


@bp.route("/trusted")
@login_required
def trusted() -> str:
    """The trusted teachers, and a search for teachers to trust (``find``: not ``q``, which
    the header's search box would show)."""
    query = (request.args.get("find") or "").strip()
    return render_template("moderation/trusted.html",
                           trusted=trust.trusted_teachers(current_user), query=query,
                           found=trust.find_users(current_user, query) if query else None,
                           max_note=trust.MAX_NOTE_LENGTH)


def _back_to_trusted(form: TrustForm) -> Response:
    query = (form.find.data or "").strip()
    return redirect(url_for("moderation.trust.trusted", find=query or None), 303)


@bp.route("/trusted/grant", methods=["POST"])
@login_required
def grant() -> Response:
    form = TrustForm()
    user_id = form.chosen_user()
    if not form.validate_on_submit() or user_id is None:
        abort(400)
    try:
        row = trust.grant(current_user, user_id, form.note.data or "")
        flash(_("%(name)s is now trusted: their submissions are published at once and "
                "listed for post-review.", name=row.user.display_name), "success")
    except ValidationError as error:
        flash(error.message, "error")
    return _back_to_trusted(form)


@bp.route("/trusted/revoke", methods=["POST"])
@login_required
def revoke() -> Response:
    form = TrustForm()
    user_id = form.chosen_user()
    if not form.validate_on_submit() or user_id is None:
        abort(400)
    try:
        trust.revoke(current_user, user_id, form.note.data or "")
        flash(_("Trust revoked: this teacher's next submissions wait in the review queue "
                "again."), "success")
    except ValidationError as error:
        flash(error.message, "error")
    return _back_to_trusted(form)


@bp.route("/post-review")
@login_required
def post_review_list() -> str:
    """Versions published at once by trusted teachers, waiting for a moderator's look."""
    return render_template("moderation/post_review.html",
                           items=post_review.waiting(current_user))


@bp.route("/post-review/<int:review_id>/seen", methods=["POST"])
@login_required
def seen(review_id: int) -> Response:
    form = PostReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        post_review.mark_reviewed(current_user, review_id, form.reviewed_version_id(),
                                  form.comment.data or "")
        flash(_("Marked as seen: the publication is fine."), "success")
    except (Conflict, ValidationError) as error:
        flash(error.message, "error")
    return redirect(url_for("moderation.trust.post_review_list"), 303)


@bp.route("/post-review/<int:review_id>/changes", methods=["POST"])
@login_required
def request_changes(review_id: int) -> Response:
    form = PostReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        post_review.request_changes(current_user, review_id, form.reviewed_version_id(),
                                    form.comment.data or "")
        flash(_("Sent to the author with your comment; the material stays published, and "
                "their next version continues this review."), "success")
    except (Conflict, ValidationError) as error:
        flash(error.message, "error")
    return redirect(url_for("moderation.trust.post_review_list"), 303)
