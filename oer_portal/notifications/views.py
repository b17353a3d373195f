"""The inbox: ``/my/notifications``, the signed-in user's own notifications, newest first.

Opening an unread notification is a POST (it marks it read) that redirects to the place to
act, so nothing changes on a GET; a read one is a plain link there.  "Mark all read" is a
POST of its own.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.numbers import parse_id, query_number
from oer_portal.notifications import service
from oer_portal.notifications.models import Notification
from oer_portal.notifications.web import notification_url

bp = Blueprint("notifications", __name__)


def _link(notification: Notification) -> str | None:
    return notification_url(notification.kind, notification.target_type,
                            notification.target_id, notification.params or {})


@bp.route("/my/notifications")
@login_required
def inbox() -> str:
    """One page of the inbox; a page past the last says so and links the first."""
    page = query_number("page", 1) or 1
    shown = service.inbox_page(current_user.id, max(page, 1))
    return render_template("notifications/inbox.html", inbox=shown, link=_link)


@bp.route("/my/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int) -> Response:
    """Mark it read and go where it leads (back to the inbox when it leads nowhere)."""
    notification = service.open_notification(current_user.id, notification_id)
    return redirect(_link(notification) or url_for("notifications.inbox"), code=303)


@bp.route("/my/notifications/read", methods=["POST"])
@login_required
def mark_all_read() -> Response:
    up_to = parse_id(request.form.get("up_to"))
    changed = service.mark_read(current_user.id, up_to=up_to)
    if changed:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.inbox"), code=303)
