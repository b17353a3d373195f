"""``/admin/tasks``: the jobs that failed for good in a worker, to retry or dismiss
(administrators)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core import jobs
from oer_portal.tasks import service

bp = Blueprint("tasks_admin", __name__, url_prefix="/admin/tasks")

#: What each job does, for the administrator (the job's own name is shown beside it).
JOB_LABELS = {
    "materials.derive": _l("Text and thumbnail of a file"),
    "search.drain": _l("Search index update"),
    "notifications.email": _l("E-mail of a notification"),
    "mail.send": _l("Account e-mail"),
    "media.fetch_remote": _l("Other sites' images"),
    "collections.harvest": _l("Harvest of a collection"),
    "collections.harvest_due": _l("Scheduled harvests"),
    "materials.check_links": _l("Link check"),
    "maintenance.derive_missing": _l("Missing file texts and thumbnails"),
    "maintenance.storage_gc": _l("File store clean-up"),
    "maintenance.prune_sessions": _l("Expired login sessions"),
    "maintenance.purge_unconfirmed": _l("Unconfirmed accounts"),
}


@bp.route("", methods=["GET"])
@login_required
def index() -> str:
    rows = service.failures(current_user)
    return render_template("tasks/admin.html", failures=rows, can_retry=service.can_retry,
                           queued=jobs.queued(), labels=JOB_LABELS)


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
