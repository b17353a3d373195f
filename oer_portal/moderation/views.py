"""The moderators' review queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts import policy as account_policy
from oer_portal.core.errors import ValidationError
from oer_portal.materials.forms import RejectForm
from oer_portal.moderation import audit_log, review_views, service

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.route("/")
@login_required
def queue() -> str:
    return render_template("moderation/queue.html", requests=service.queue(current_user),
                           reject_form=RejectForm())


@bp.route("/reviews/<int:review_id>/approve", methods=["POST"])
@login_required
def approve(review_id: int) -> Response:
    try:
        service.approve(current_user, review_id)
        flash(_("Approved: the version is now published."), "success")
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(url_for("moderation.queue"))


@bp.route("/reviews/<int:review_id>/reject", methods=["POST"])
@login_required
def reject(review_id: int) -> Response:
    form = RejectForm()
    try:
        service.reject(current_user, review_id, form.reason.data or "")
        flash(_("Rejected: the author sees your reason."), "success")
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(url_for("moderation.queue"))


@bp.route("/audit")
@login_required
def audit() -> str:
    """The audit log, newest first, filtered and paginated by the query string (GET only:
    reading it changes nothing)."""
    query = audit_log.parse_query(request.args)
    page = audit_log.audit_page(current_user, query, get_timezone())
    # ``audit_query``: ``query`` is the header's search box.
    return render_template("moderation/audit.html", page=page, audit_query=query,
                           filters=query.filters(),
                           links_users=account_policy.can_manage_roles(current_user),
                           links_teacher_requests=account_policy.can_decide_teacher_requests(
                               current_user))


# The review screen and the conversation (``review_views``) live beside the queue, under
# its address; importing them registers the review's panels on the material page and the
# dashboard too (``moderation/panels.py``).
bp.register_blueprint(review_views.bp)
