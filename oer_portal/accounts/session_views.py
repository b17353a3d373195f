"""The profile's sessions: each browser logged in, ending one, the others, or all."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from oer_portal.accounts import service, sessions

bp = Blueprint("sessions", __name__)


@bp.app_context_processor
def _account_sessions() -> dict[str, Any]:
    """A function, not a value: only the profile page pays for the query."""
    return {"account_sessions": _listed}


def _listed() -> list[dict[str, Any]]:
    current = sessions.current_session_id(current_user)
    return [{"id": row.id, "device": row.device_label(), "created_at": row.created_at,
             "last_seen_at": row.last_seen_at, "remember": row.remember,
             "current": row.id == current} for row in sessions.of_user(current_user)]


def _logged_out(message: str) -> Response:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(message, "success")
    return redirect(url_for("pages.home"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end(session_id: int) -> Response:
    """End one session; ending this browser's own logs it out."""
    own = session_id == sessions.current_session_id(current_user)
    sessions.end(current_user, session_id)
    if own:
        return _logged_out(_("You are logged out."))
    flash(_("That session has been logged out."), "success")
    return redirect(url_for("accounts.profile", _anchor="sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_others() -> Response:
    count = sessions.end_others(current_user)
    flash(ngettext("You have been logged out everywhere else (%(num)d session).",
                   "You have been logged out everywhere else (%(num)d sessions).", count),
          "success")
    return redirect(url_for("accounts.profile", _anchor="sessions"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    service.log_out_everywhere(current_user)
    return _logged_out(_("You are logged out everywhere."))
