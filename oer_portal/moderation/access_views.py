"""The access table for moderators (``/moderation/access``): every cell of
``access_table``, rendered from the same data that generates the access tests, so the page
cannot say what the portal does not do."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from oer_portal.accounts.policy import require as require_permission
from oer_portal.materials import policy as material_policy
from oer_portal.moderation import access_table

bp = Blueprint("access", __name__)


@bp.route("/access")
@login_required
def show() -> str:
    """One table per channel (states down, roles across), each cell naming its outcome and
    the numbered rule that decides it; the rules are listed below with their reasons."""
    require_permission(material_policy.is_staff(current_user))
    numbers = {rule: index for index, rule in enumerate(access_table.RULES, start=1)}
    grid = {(cell.channel, cell.state, cell.role): (cell.outcome, numbers[cell.rule])
            for cell in access_table.cells()}
    return render_template("moderation/access.html", table=access_table, grid=grid,
                           rules=list(enumerate(access_table.RULES, start=1)))
