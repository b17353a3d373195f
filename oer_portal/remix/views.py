"""Remix pages: the remix form, the upstream changes page, dismiss and pull, and the page that
resolves a pull both sides changed.

The remix parts of the material page and the dashboard are ``panels.py``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.errors import Conflict
from oer_portal.core.markdown_limits import markdown_request
from oer_portal.core.numbers import parse_id, query_number
from oer_portal.core.urls import safe_next
from oer_portal.materials.compare import compare_versions, field_label, readable_value
from oer_portal.materials.merge import Choice
from oer_portal.materials.metadata import InvalidFields
from oer_portal.remix import credits as wording
from oer_portal.remix import service, upstream
from oer_portal.remix.forms import (
    FIELD_CHOICES,
    PullResolutionForm,
    RemixForm,
    UpstreamForm,
    resolution_form,
)

bp = Blueprint("remix", __name__)


def _locale() -> str:
    return str(get_locale())


@bp.route("/materials/<int:material_id>/remix", methods=["GET", "POST"])
@login_required
def remix(material_id: int) -> str | Response | tuple[str, int]:
    """Choose the licence (only those the source allows) and the title, then edit the draft.
    A source that may not be adapted gets a page that says why, and its POST is refused."""
    options = service.remix_options(current_user, material_id,
                                    query_number("version", values=request.values))
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
            edit = "arrangements.edit" if created.kind == "arrangement" else "materials.edit"
            return redirect(url_for(edit, material_id=created.id))
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
    number = parse_id(form.source_version_id.data) if form.validate_on_submit() else None
    if number is None:
        abort(400)
    return number


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
    """Merge the original's newest version into a new draft; when both changed the same
    parts, nothing is saved and the resolution page asks what to keep."""
    upstream_page = url_for("remix.changes", material_id=material_id)
    try:
        result = upstream.pull(current_user, material_id, _source_version_id())
    except upstream.NeedsResolution as error:
        flash(error.message, "info")
        return redirect(url_for("remix.resolve", material_id=material_id))
    except (service.RemixRefused, Conflict) as error:
        flash(error.message, "error")
        return redirect(upstream_page)
    return _pulled(material_id, result)


def _pulled(material_id: int, result: upstream.PullResult) -> Response:
    """Say what the pull did and show the new draft."""
    if result.merge.licence_changed_to:
        flash(_("The original changed its licence, so your remix now has the licence "
                "%(licence)s.", licence=wording.licence_label(result.merge.licence_changed_to,
                                                               _locale())[0]), "info")
    flash(_("The original's changes are merged into version %(n)d, a draft. Check it, then "
            "submit it for review.", n=result.version.number), "success")
    return redirect(url_for("materials.show_version", material_id=material_id,
                            number=result.version.number))


@bp.route("/materials/<int:material_id>/upstream/resolve", methods=["GET", "POST"])
@markdown_request()
@login_required
def resolve(material_id: int) -> str | Response | tuple[str, int]:
    """Choose what to keep where the remix and the original changed the same passage or
    field; only when everything is chosen is the pull saved as a new draft.

    Nothing is stored between the page and its form: the form names the three versions the
    page showed, and a page whose versions are no longer the current ones is refused."""
    changes_page = url_for("remix.changes", material_id=material_id)
    expected = None
    if request.method == "POST":  # (the CSRF token is checked before any view runs)
        expected = PullResolutionForm().versions()
        if expected is None:
            abort(400)
    try:
        pending = upstream.pending_pull(current_user, material_id, expected)
    except upstream.StalePull as error:
        return render_template("remix/resolve_stale.html", material_id=material_id,
                               message=error.message, texts=_own_texts()), 409
    except (service.RemixRefused, upstream.ContentConflict) as error:
        flash(error.message, "error")
        return redirect(changes_page)
    if pending is None or pending.merge.clean:
        flash(_("There is nothing to choose: you can take the original's changes as they "
                "are.") if pending else _("Your remix is up to date."), "info")
        return redirect(changes_page)
    form = resolution_form(pending)
    if request.method == "GET":
        form.fill(pending.versions)
    elif form.validate_on_submit():
        try:
            result = upstream.pull_resolved(current_user, material_id, pending.versions,
                                            form.resolutions(), form.field_choices())
        except InvalidFields as error:
            form.form_errors.extend(f"{field_label(name)}: {message}"
                                    for name, message in error.errors.items())
        except Conflict as error:  # saved meanwhile by someone else, past the check
            return render_template("remix/resolve_stale.html", material_id=material_id,
                                   message=error.message, texts=_own_texts()), 409
        else:
            return _pulled(material_id, result)
    return render_template(
        "remix/resolve.html", pending=pending, form=form,
        sides={passage.number: upstream.sides(passage.region)
               for passage in pending.passages()},
        fields=[(conflict, {choice.value: readable_value(conflict.field,
                                                         conflict.value_for(choice))
                            for choice in FIELD_CHOICES[conflict.is_list]})
                for conflict in pending.merge.field_conflicts],
        own=Choice.OWN.value), 422 if form.errors else 200


def _own_texts() -> list[str]:
    """What the teacher wrote in the text boxes of a page that can no longer be saved, so
    a stale page loses nothing typed (the choices are cheap to make again; text is not)."""
    return [request.form.get(f"{name}_text", "") for name, value in request.form.items()
            if name.startswith("passage_") and value == Choice.OWN.value][:100]
