"""Remix pages: the remix form, the upstream changes page, dismiss and pull.

The remix parts of the material page and the dashboard are ``panels.py``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.errors import Conflict
from oer_portal.core.urls import safe_next
from oer_portal.materials.compare import compare_versions, readable_value
from oer_portal.materials.merge import MINE_MARKER, THEIRS_MARKER
from oer_portal.materials.metadata import (
    FIELD_LABELS,
    InvalidFields,
)
from oer_portal.remix import credits as wording
from oer_portal.remix import service, upstream
from oer_portal.remix.forms import RemixForm, UpstreamForm

bp = Blueprint("remix", __name__)


def _locale() -> str:
    return str(get_locale())


@bp.route("/materials/<int:material_id>/remix", methods=["GET", "POST"])
@login_required
def remix(material_id: int) -> str | Response | tuple[str, int]:
    """Choose the licence (only those the source allows) and the title, then edit the draft.
    A source that may not be adapted gets a page that says why, and its POST is refused."""
    options = service.remix_options(current_user, material_id,
                                    request.values.get("version", type=int))
    form = RemixForm()
    form.licence.choices = [(lic.spdx, lic.name(_locale())) for lic in options.allowed]
    if request.method == "GET":
        form.title.data = options.version.title
        form.version.data = str(options.version.number)
        if options.adaptation.suggested is not None:
            form.licence.data = options.adaptation.suggested.spdx
    reason = options.adaptation.reason(_locale())
    if reason is not None:
        return render_template("remix/remix.html", options=options, form=None, reason=reason), \
            403 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            created = service.remix(current_user, material_id, options.version.number,
                                    form.licence.data, form.title.data)
        except InvalidFields as error:
            for name, message in error.errors.items():
                getattr(form, name, form.title).errors.append(message)
        else:
            flash(_("Your remix is a draft that only you can see. Change what you like, then "
                    "submit it for review. The credits to the original are added "
                    "automatically."), "success")
            return redirect(url_for("materials.edit", material_id=created.id))
    return render_template("remix/remix.html", options=options, form=form, reason=None)


@bp.route("/materials/<int:material_id>/upstream")
@login_required
def changes(material_id: int) -> str:
    """What the original changed since the version the remix is in step with."""
    status = upstream.status_for(current_user, material_id)
    comparison = compare_versions(current_user, status.synced, status.latest) \
        if status.has_update and status.latest is not None else None
    return render_template("remix/upstream.html", status=status, form=UpstreamForm(),
                           preview=upstream.preview(status), comparison=comparison)


def _source_version_id() -> int:
    form = UpstreamForm()
    if not form.validate_on_submit() or not form.source_version_id.data.isdigit():
        abort(400)
    return int(form.source_version_id.data)


@bp.route("/materials/<int:material_id>/upstream/dismiss", methods=["POST"])
@login_required
def dismiss(material_id: int) -> Response:
    """Hide the notice until the original publishes yet another version."""
    fallback = url_for("materials.show", material_id=material_id)
    try:
        upstream.dismiss(current_user, material_id, _source_version_id())
        flash(_("The notice is hidden until the original publishes another new version."),
              "success")
    except Conflict as error:
        flash(error.message, "error")
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.route("/materials/<int:material_id>/upstream/pull", methods=["POST"])
@login_required
def pull(material_id: int) -> Response:
    """Merge the original's newest version into a new draft; conflicts go to the editor."""
    upstream_page = url_for("remix.changes", material_id=material_id)
    try:
        result = upstream.pull(current_user, material_id, _source_version_id())
    except (service.RemixRefused, Conflict) as error:
        flash(error.message, "error")
        return redirect(upstream_page)
    merge, number = result.merge, result.version.number
    if merge.licence_changed_to:
        flash(_("The original changed its licence, so your remix now has the licence "
                "%(licence)s.", licence=wording.licence_label(merge.licence_changed_to,
                                                               _locale())[0]), "info")
    for conflict in merge.field_conflicts:
        flash(_("%(field)s: you and the original both changed it, and your version was kept. "
                "The original has: %(theirs)s",
                field=FIELD_LABELS.get(conflict.field, conflict.field),
                theirs=readable_value(conflict.field, conflict.theirs)), "info")
    if merge.body_conflicts:
        flash(ngettext("Version %(n)d is a draft with the original's changes. You and the "
                       "original changed the same lines in %(num)d place.",
                       "Version %(n)d is a draft with the original's changes. You and the "
                       "original changed the same lines in %(num)d places.",
                       len(merge.body_conflicts), n=number)
              + " " + _("Both texts are kept there, between lines starting with %(start)s and "
                        "%(end)s. Keep what you want, remove the marker lines, and save.",
                        start=MINE_MARKER, end=THEIRS_MARKER),
              "info")
        return redirect(url_for("materials.edit", material_id=material_id))
    flash(_("The original's changes are merged into version %(n)d, a draft. Check it, then "
            "submit it for review.", n=number), "success")
    return redirect(url_for("materials.show_version", material_id=material_id, number=number))

