"""``/admin/tasks``: the jobs that failed for good in a worker, to retry or dismiss
(administrators)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core import jobs
from oer_portal.tasks import service

bp = Blueprint("tasks_admin", __name__, url_prefix="/admin/tasks")


@bp.route("", methods=["GET"])
@login_required
def index() -> str:
    rows = service.failures(current_user)
    return render_template("tasks/admin.html", failures=rows, can_retry=service.can_retry,
                           queued=jobs.queued())


@bp.route("/<int:failure_id>/retry", methods=["POST"])
@login_required
def retry(failure_id: int) -> Response:
    try:
        name = service.retry(current_user, failure_id)
    except service.NotRetryable:
        flash(_("This task cannot be run again: its details were not kept."), "error")
    else:
        if jobs.queued():
            flash(_("Task %(name)s queued again.", name=name), "success")
        else:
            flash(_("Task %(name)s run again.", name=name), "success")
    return redirect(url_for("tasks_admin.index"))


@bp.route("/<int:failure_id>/dismiss", methods=["POST"])
@login_required
def dismiss(failure_id: int) -> Response:
    name = service.dismiss(current_user, failure_id)
    flash(_("Failure of task %(name)s dismissed.", name=name), "success")
    return redirect(url_for("tasks_admin.index"))
