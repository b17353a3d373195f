"""``/admin/collections``: register, harvest and remove other collections (administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.collections import service
from oer_portal.collections.forms import CollectionForm
from oer_portal.collections.service import InvalidCollection
from oer_portal.core import jobs

bp = Blueprint("collections_admin", __name__, url_prefix="/admin/collections")


def _page(form: CollectionForm, status: int = 200) -> tuple[str, int]:
    rows = service.list_collections(current_user)
    return render_template("collections/admin.html", collections=rows, form=form), status


@bp.route("", methods=["GET"])
@login_required
def index() -> tuple[str, int]:
    """Every collection with the state of its last harvest, and the form to add one."""
    return _page(CollectionForm())


@bp.route("", methods=["POST"])
@login_required
def add() -> Response | tuple[str, int]:
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            collection = service.add_collection(current_user, form.name.data or "",
                                                form.base_url.data or "", form.prefix.data,
                                                form.set_spec.data)
        except InvalidCollection as error:
            field = getattr(form, error.field)
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Collection “%(name)s” added. Harvest it to find its records.",
                    name=collection.name), "success")
            return redirect(url_for("collections_admin.index"))
    else:
        service.list_collections(current_user)  # the permission, before saying anything
    return _page(form, 422)


@bp.route("/<int:collection_id>/harvest", methods=["POST"])
@login_required
def harvest(collection_id: int) -> Response:
    if jobs.queued():
        name = service.request_harvest(current_user, collection_id)
        flash(_("%(name)s is being harvested in the background; this page shows the outcome "
                "once it is done.", name=name), "info")
        return redirect(url_for("collections_admin.index"))
    outcome = service.harvest(current_user, collection_id)
    if outcome.ok:
        flash(_("%(name)s harvested: %(added)d new, %(updated)d updated, %(deleted)d deleted.",
                name=outcome.name, added=outcome.added, updated=outcome.updated,
                deleted=outcome.deleted), "success")
    else:
        flash(_("Harvesting %(name)s failed: %(error)s", name=outcome.name,
                error=outcome.error), "error")
    return redirect(url_for("collections_admin.index"))


@bp.route("/<int:collection_id>/remove", methods=["GET"])
@login_required
def confirm_remove(collection_id: int) -> str:
    """What removing takes away, asked before it is done (it cannot be undone: the records
    come back only with a new registration and a full harvest)."""
    row = next((r for r in service.list_collections(current_user) if r.id == collection_id),
               None)
    if row is None:
        abort(404)
    return render_template("collections/remove.html", collection=row)


@bp.route("/<int:collection_id>/remove", methods=["POST"])
@login_required
def remove(collection_id: int) -> Response:
    name = service.remove_collection(current_user, collection_id)
    flash(_("Collection “%(name)s” and its records removed.", name=name), "success")
    return redirect(url_for("collections_admin.index"))
