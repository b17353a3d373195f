"""The moderation dashboard (``/moderation/dashboard``): the numbers of ``stats.py``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import format_timedelta
from flask_login import current_user, login_required

from oer_portal.moderation import reports, stats

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
@login_required
def show() -> str:
    numbers = stats.dashboard(current_user, open_reports=reports.open_report_count())
    return render_template("moderation/dashboard.html", stats=numbers, kinds=stats.KINDS,
                           format_timedelta=format_timedelta)
