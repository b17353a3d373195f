"""List pages: "my lists", a list's own page (public by link, private for its owner), the
buttons that add, remove and move items, and the public profiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.errors import ValidationError
from oer_portal.core.numbers import parse_id
from oer_portal.core.urls import safe_next
from oer_portal.lists import arrangement, policy, profiles, service
from oer_portal.lists.forms import FavouritesForm, ListForm
from oer_portal.lists.models import MaterialList
from oer_portal.materials.metadata import vocabularies

bp = Blueprint("lists", __name__)


def list_url(material_list: MaterialList | service.ListSummary, **values: Any) -> str:
    if isinstance(material_list, MaterialList):
        return url_for("lists.show", list_id=material_list.id,
                       slug=service.list_slug(material_list), **values)
    return url_for("lists.show", list_id=material_list.list_id, slug=material_list.slug,
                   **values)


def _int_field(name: str) -> int:
    """A whole number from the posted form; a hand-made request without one gets a 400."""
    number = parse_id(request.form.get(name))
    if number is None:
        abort(400)
    return number


def _back(fallback: str) -> Response:
    return redirect(safe_next(request.form.get("next"), fallback), 303)


@bp.route("/my/lists", methods=["GET", "POST"])
@login_required
def mine() -> str | Response:
    """The user's lists, and the form that makes a new one."""
    form = ListForm()
    if form.validate_on_submit():
        try:
            made = service.create_list(current_user, form.name.data, form.description.data,
                                       form.public.data)
        except ValidationError as error:
            form.name.errors.append(error.message)
        else:
            flash(_("Your list “%(name)s” is made.", name=made.name), "success")
            return redirect(list_url(made), 303)
    return render_template("lists/mine.html", lists=service.lists_of(current_user), form=form)


@bp.route("/lists/<int:list_id>")
@bp.route("/lists/<int:list_id>-<slug>")
def show(list_id: int, slug: str | None = None) -> str | Response:
    """A list's page: the items the visitor may see; for its owner, the controls too."""
    material_list = service.visible_list(current_user, list_id)
    if slug != service.list_slug(material_list):
        return redirect(list_url(material_list), 301)
    owner = policy.is_owner(current_user, material_list)
    form = None
    if owner:
        form = (FavouritesForm if material_list.is_favourites else ListForm)(
            formdata=None, obj=material_list, public=material_list.is_public)
    return render_template(
        "lists/show.html", material_list=material_list, owner=owner, form=form,
        entries=service.entries(current_user, material_list), vocab=vocabularies(),
        owner_name=profiles.display_name(material_list.owner_id),
        may_arrange=policy.can_make_arrangement(current_user, material_list),
        share_url=list_url(material_list, _external=True))


@bp.route("/lists/<int:list_id>/settings", methods=["POST"])
@login_required
def settings(list_id: int) -> str | Response:
    material_list = service.own_list(current_user, list_id)
    form = FavouritesForm() if material_list.is_favourites else ListForm()
    if form.validate_on_submit():
        try:
            service.update_list(current_user, list_id, getattr(form, "name", None) and
                                form.name.data, form.description.data, form.public.data)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("The list is saved."), "success")
        return redirect(list_url(material_list), 303)
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return redirect(list_url(material_list), 303)


@bp.route("/lists/<int:list_id>/delete", methods=["POST"])
@login_required
def delete(list_id: int) -> Response:
    material_list = service.own_list(current_user, list_id)
    name = material_list.name
    try:
        service.delete_list(current_user, list_id)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(list_url(material_list), 303)
    flash(_("The list “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("lists.mine"), 303)


@bp.route("/my/lists/add", methods=["POST"])
@login_required
def add() -> Response:
    """One click from the material page or a search result: the ``favourite`` button puts
    the material on the favourites, else it goes on the chosen ``list_id``.  Back to where
    the click came from (``next``)."""
    material_id = _int_field("material_id")
    list_id = None if request.form.get("favourite") else _int_field("list_id")
    return _added(lambda: service.add_item(current_user, list_id, material_id),
                  lambda name: _("This material is already on “%(name)s”.", name=name))


def _added(add: Callable[[], tuple[MaterialList, service.AddResult]],
           already: Callable[[str], str]) -> Response:
    """Say what ``add`` did (or why it could not), then back to where the click came from."""
    try:
        material_list, result = add()
    except ValidationError as error:
        flash(error.message, "error")
        return _back(url_for("lists.mine"))
    if result == service.AddResult.ADDED:
        flash(_("Added to “%(name)s”.", name=material_list.name), "success")
    else:
        flash(already(material_list.name), "info")
    return _back(list_url(material_list))


def _upwards() -> bool:
    """The ``direction`` of a move button: up or down, anything else is a bad request."""
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return direction == "up"


@bp.route("/lists/<int:list_id>/items/<int:material_id>/remove", methods=["POST"])
@login_required
def remove(list_id: int, material_id: int) -> Response:
    material_list = service.remove_item(current_user, list_id, material_id)
    flash(_("Removed from “%(name)s”.", name=material_list.name), "success")
    return _back(list_url(material_list))


@bp.route("/lists/<int:list_id>/items/<int:material_id>/move", methods=["POST"])
@login_required
def move(list_id: int, material_id: int) -> Response:
    material_list = service.move_item(current_user, list_id, material_id, _upwards())
    return redirect(list_url(material_list, _anchor=f"item-{material_id}"), 303)


# -- Harvested records (lessons in other collections) on lists ---------------------------------


@bp.app_template_global("record_list_choices")
def record_list_choices() -> list[service.ListSummary]:
    """The signed-in user's lists for the "add to list" form beside each harvested search
    result (``collections/_record_actions.html``): read once per request however many
    results include the form."""
    if not policy.can_keep_lists(current_user):
        return []
    if "record_list_choices" not in g:
        g.record_list_choices = service.lists_of(current_user)
    return g.record_list_choices


@bp.route("/my/lists/add-record", methods=["POST"])
@login_required
def add_record() -> Response:
    """A harvested record onto the chosen list (``list_id``; empty or ``favourites``: the
    favourites), then back to where the click came from (``next``, the search page)."""
    record_id = _int_field("record_id")
    chosen = request.form.get("list_id", "")
    list_id = None if chosen in ("", "favourites") else _int_field("list_id")
    return _added(lambda: service.add_record(current_user, list_id, record_id),
                  lambda name: _("This lesson is already on “%(name)s”.", name=name))


@bp.route("/lists/<int:list_id>/records/<int:record_id>/remove", methods=["POST"])
@login_required
def remove_record(list_id: int, record_id: int) -> Response:
    material_list = service.remove_record(current_user, list_id, record_id)
    flash(_("Removed from “%(name)s”.", name=material_list.name), "success")
    return _back(list_url(material_list))


@bp.route("/lists/<int:list_id>/records/<int:record_id>/move", methods=["POST"])
@login_required
def move_record(list_id: int, record_id: int) -> Response:
    material_list = service.move_record(current_user, list_id, record_id, _upwards())
    return redirect(list_url(material_list, _anchor=f"record-{record_id}"), 303)


@bp.route("/lists/<int:list_id>/arrangement", methods=["POST"])
@login_required
def make_arrangement(list_id: int) -> Response:
    """Turn the list into an arrangement draft and open it in the builder."""
    made = arrangement.draft_from_list(current_user, list_id)
    if made.skipped:
        flash(_("Some materials were left out: an arrangement includes only published "
                "materials that are not arrangements themselves."), "info")
    flash(_("Your arrangement draft is made from the list. Arrange it and save."), "success")
    return redirect(url_for("arrangements.edit", material_id=made.material.id), 303)


# -- Public profiles --------------------------------------------------------------------------


@bp.route("/users/<int:user_id>")
def old_profile(user_id: int) -> Response:
    """The profile's earlier address (credits copied elsewhere may still link here)."""
    return redirect(url_for("lists.profile", user_id=user_id), 301)


@bp.route("/people/<int:user_id>")
@bp.route("/people/<int:user_id>-<slug>")
def profile(user_id: int, slug: str | None = None) -> str | Response:
    """A teacher's public page: the display name (never the e-mail address), their
    published materials and arrangements, public lists and their remixes' family."""
    page = profiles.profile(user_id)
    if slug != page.slug:
        return redirect(url_for("lists.profile", user_id=user_id, slug=page.slug), 301)
    return render_template("lists/profile.html", page=page, vocab=vocabularies())
