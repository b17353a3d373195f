"""The counting's web side and the statistics page.

Counting: the material views tell ``materials.usage`` that a material is being used; the
listener here decides from the request whether it may count (``visitors.py``, and not its own
authors) and notes it on ``g``.  Only after the response exists does the note reach the
counter, and only for a successful one (200, or a range request from the first byte: a
video player's first request), so a 404, a 410, a redirect or an error count nothing.  At the
end of the request the counter writes its sums when they are due, after the request's own
transaction has finished (``teardown``): never in it; a timer thread writes them an
interval after the first unwritten count when no request comes (``counter.py``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import Actor
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials import usage
from oer_portal.materials.models import Material
from oer_portal.usage import service, visitors
from oer_portal.usage.counter import DEFAULT_FLUSH_SECONDS, UsageCounter, install

bp = Blueprint("usage", __name__)


def counter(app: Flask | None = None) -> UsageCounter:
    """The app's counter."""
    return (app or current_app).extensions["usage"]


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    with state.app.app_context():
        install(state.app.extensions, db.engine,
                float(state.app.config.get("USAGE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS)),
                at_exit=not state.app.testing
                and bool(state.app.config["USAGE_WRITE_AT_EXIT"]),
                timer=not state.app.testing
                and bool(state.app.config["USAGE_WRITE_AT_EXIT"]))


def _note(actor: Actor, material: Material, use: usage.Use) -> None:
    """The listener: note a use that may count (decided when the response exists)."""
    if material_policy.is_author(actor, material):
        return
    if not visitors.counts(request.method, request.user_agent.string, request.headers):
        return
    g.setdefault("usage_noted", []).append((material.id, str(use)))


usage.on_used(_note)


def _succeeded(response: Response) -> bool:
    if response.status_code == 200:
        return True
    return response.status_code == 206 and request.headers.get(
        "Range", "").replace(" ", "").startswith("bytes=0-")


@bp.after_app_request
def _count(response: Response) -> Response:
    noted = g.pop("usage_noted", None)
    if noted and _succeeded(response):
        for material_id, kind in noted:
            counter().add(material_id, kind)
    return response


@bp.teardown_app_request
def _write_when_due(exc: BaseException | None) -> None:
    """Not after an unhandled error: its transaction may still hold SQLite's writer slot
    until the session is removed, and the write would wait for it."""
    if exc is None:
        counter().flush_if_due()


@bp.route("/materials/<int:material_id>/statistics")
def statistics(material_id: int) -> str:
    """Views and downloads per day, for the material's authors (and staff)."""
    stats = service.statistics(current_user, material_id, counter().pending(material_id))
    return render_template("usage/statistics.html", stats=stats, material=stats.material)
