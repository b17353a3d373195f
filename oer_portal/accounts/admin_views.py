"""Admin pages: users and their roles, teacher-role requests."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts import service
from oer_portal.accounts.forms import DecisionForm, RoleChangeForm
from oer_portal.accounts.models import Role
from oer_portal.core.errors import ValidationError
from oer_portal.core.numbers import query_number

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


@bp.route("/users")
@login_required
def users() -> str:
    query = request.args.get("q", "")[:100]
    page = query_number("page", 1) or 1
    found = service.list_users(current_user, query, page, PER_PAGE)
    return render_template("admin/users.html", users=found[:PER_PAGE], query=query, page=page,
                           has_next=len(found) > PER_PAGE)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> str | Response:
    """One user's roles; each role is granted or revoked with its own button."""
    subject = service.user_for_role_admin(current_user, user_id)
    form = RoleChangeForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            if form.action.data == "grant":
                service.grant_role(current_user, subject.id, role)
                flash(_("Role granted."), "success")
            else:
                service.revoke_role(current_user, subject.id, role)
                flash(_("Role revoked."), "success")
        except ValidationError as error:
            flash(error.message, "error")
        return redirect(url_for("admin.user", user_id=subject.id))
    return render_template("admin/user.html", subject=subject, roles=list(Role), form=form)


@bp.route("/teacher-requests")
@login_required
def teacher_requests() -> str:
    pending = service.pending_teacher_requests(current_user)
    return render_template("admin/teacher_requests.html", requests=pending, form=DecisionForm())


@bp.route("/teacher-requests/<int:request_id>", methods=["POST"])
@login_required
def decide_teacher_request(request_id: int) -> Response:
    service.get_teacher_request(current_user, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The decision could not be saved: the note is too long."), "error")
    else:
        approve = bool(form.approve.data)
        try:
            service.decide_teacher_request(current_user, request_id, approve, form.note.data or "")
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("Request approved: the user is now a teacher.") if approve
                  else _("Request rejected."), "success")
    return redirect(url_for("admin.teacher_requests"))
