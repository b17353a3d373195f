"""The moderators' review queue: the filtered list, its one-click decisions and the claims
("Ik pak deze op"), which the review screen posts too."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts import policy as account_policy
from oer_portal.core.errors import Conflict, ValidationError
from oer_portal.core.numbers import parse_id
from oer_portal.materials.forms import RejectForm
from oer_portal.materials.metadata import vocabularies
from oer_portal.moderation import (
    access_views,
    audit_log,
    claims,
    dashboard_views,
    review_views,
    service,
    trust_views,
)

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.route("/")
@login_required
def queue() -> str:
    filters, problems = service.parse_filters(request.args)
    page = service.queue(current_user, filters, problems)
    return render_template("moderation/queue.html", queue=page, filters=page.filters,
                           vocab=vocabularies(), reject_form=RejectForm(),
                           choices=service.filter_choices(str(get_locale())),
                           back_query=page.filters.args())


def _back_to_queue() -> Response:
    """To the queue with the filters the form came from (only the queue's own parameters,
    read again from the form: never an address the form names)."""
    filters, _problems = service.parse_filters(request.form)
    return redirect(url_for("moderation.queue", **filters.args()))


@bp.route("/reviews/<int:review_id>/approve", methods=["POST"])
@login_required
def approve(review_id: int) -> Response:
    try:
        service.approve(current_user, review_id, parse_id(request.form.get("version_id")))
        flash(_("Approved: the version is now published."), "success")
    except (ValidationError, Conflict) as error:
        flash(error.message, "error")
    return _back_to_queue()


@bp.route("/reviews/<int:review_id>/reject", methods=["POST"])
@login_required
def reject(review_id: int) -> Response:
    form = RejectForm()
    try:
        service.reject(current_user, review_id, parse_id(request.form.get("version_id")),
                       form.reason.data or "")
        flash(_("Rejected: the author sees your reason."), "success")
    except (ValidationError, Conflict) as error:
        flash(error.message, "error")
    return _back_to_queue()


def _after_claim(review_id: int) -> Response:
    """Back to where the claim was made: the review screen, the lesson page or the queue."""
    back = request.form.get("back")
    if back == "review":
        return redirect(url_for("moderation.reviews.screen", review_id=review_id))
    material_id = parse_id(request.form.get("material_id"))
    if back == "material" and material_id is not None:
        return redirect(url_for("materials.show", material_id=material_id))
    return _back_to_queue()


@bp.route("/reviews/<int:review_id>/claim", methods=["POST"])
@login_required
def claim(review_id: int) -> Response:
    """"Ik pak deze op", from the queue or the review screen; an admin's ``take_over``
    takes another moderator's claim explicitly."""
    try:
        if request.form.get("take_over"):
            taken = claims.take_over(current_user, review_id)
        else:
            taken = claims.claim(current_user, review_id)
        flash(_("You have taken this review on until %(until)s; other moderators see that "
                "you are working on it.", until=_short(taken.until)), "success")
    except Conflict as error:
        flash(error.message, "error")
    return _after_claim(review_id)


@bp.route("/reviews/<int:review_id>/release", methods=["POST"])
@login_required
def release(review_id: int) -> Response:
    try:
        claims.release(current_user, review_id)
        flash(_("Released: another moderator may take this review on."), "success")
    except Conflict as error:
        flash(error.message, "error")
    return _after_claim(review_id)


def _short(moment: datetime) -> str:
    return format_datetime(moment, "short")


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

# Trusted teachers and the post-review list; the dashboard's numbers.
bp.register_blueprint(trust_views.bp)
bp.register_blueprint(dashboard_views.bp)
# Who reaches what: the access table, for moderators and admins.
bp.register_blueprint(access_views.bp)
