"""Arrangement pages: the builder (create, edit) and reading the arrangement page by page.

The overview is the material page itself (its table of contents is a panel, ``panels.py``);
each part has its own address under the material's.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import require as require_permission
from oer_portal.arrangements import builder, printing, service, structure
from oer_portal.arrangements.panels import Contents, table_of_contents
from oer_portal.arrangements.structure import Outline
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.markdown_limits import MAX_SOURCE_CHARS, markdown_request
from oer_portal.core.numbers import parse_id
from oer_portal.core.page_cache import PageView, public_page
from oer_portal.materials import lifecycle, policy, queries
from oer_portal.materials.forms import (
    MaterialForm,
    fields_from,
    fill_form,
    fill_new,
    set_choices,
    show_errors,
)
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.materials.service import VersionConflict
from oer_portal.materials.web import PageLinks, after_save, material_url
from oer_portal.remix.panels import credits_html

bp = Blueprint("arrangements", __name__)

#: The most text an arrangement's form carries: the introduction and all pages together.
FORM_TEXT_CHARS = MAX_SOURCE_CHARS + structure.MAX_PAGES_TEXT
#: Every form of the builder carries Markdown (the introduction, the pages), no uploads:
#: a request larger than that text can make it is refused (413) before it is read.
_builder_form = markdown_request(FORM_TEXT_CHARS)


def _page(form: MaterialForm, material: Material | None, state: builder.Builder,
          status: int = 200,
          conflict: tuple[MaterialVersion, MaterialVersion] | None = None) -> tuple[str, int]:
    """The edit page with the builder; ``conflict``: the version the edit started from and
    the newer one someone else saved meanwhile."""
    form.body.label.text = _("Introduction")
    form.body.description = _("Shown on the arrangement's first page, above the table of "
                              "contents. Written in Markdown.")
    return render_template(
        "materials/edit.html", form=form, kind=MaterialKind.ARRANGEMENT.value,
        material=material, builder=state, arrangement_conflict=conflict,
        preview=None, conflict=None), status


def _pressed(outline: Outline) -> builder.Builder:
    """The builder after the button the form was sent with (``builder.run``): the same
    answer for the full page and for the fragment."""
    return builder.run(current_user, request.form.get("action", ""), outline,
                       request.form.get("find_query", ""),
                       builder.LinkInput(request.form.get("link_title", ""),
                                         request.form.get("link_url", "")))


def _outline_or_action(form: MaterialForm, material: Material | None
                       ) -> tuple[Outline, tuple[str, int] | None]:
    """The outline the form sent, and the page to answer with when a builder button (not
    Save) was pressed: the outline changed, nothing saved."""
    outline = builder.outline_from_form(request.form)
    if not request.form.get("action", ""):
        return outline, None
    return outline, _page(form, material, _pressed(outline))


def _fragment(material: Material | None) -> str:
    """Only the builder, after one of its buttons, for ``builder.js`` to swap in place of
    the one on the page: the same outline handling and template as the full page, and it
    never saves (a Save in the form sent here is ignored)."""
    return render_template("arrangements/_builder.html", material=material,
                           builder=_pressed(builder.outline_from_form(request.form)))


def _editable_arrangement(material_id: int) -> Material:
    """The arrangement the current user may edit (403 for others, 404 for other kinds)."""
    material = queries.material_for(current_user, material_id)
    require_permission(policy.can_edit(current_user, material))
    if material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    return material


@bp.route("/materials/new/arrangement", methods=["GET", "POST"])
@_builder_form
@login_required
def create() -> tuple[str, int] | Response:
    """Build a new arrangement: sections, own pages and included materials."""
    require_permission(policy.can_create(current_user))
    form = MaterialForm()
    set_choices(form, None)
    if request.method == "GET":
        fill_new(form)
        return _page(form, None, builder.start(current_user, ()))
    outline, answer = _outline_or_action(form, None)
    if answer:
        return answer
    errors: dict[int | None, list[str]] = {}
    if form.validate_on_submit():
        try:
            material = service.create_arrangement(current_user, fields_from(form, None),
                                                  outline, form.summary.data or "")
            submitting = bool(form.save_and_submit.data)
            if submitting:
                lifecycle.submit_for_review(current_user, material)
            return after_save(material, submitting)
        except service.InvalidOutline as error:
            errors = error.errors
        except ValidationError as error:
            show_errors(form, error)
    return _page(form, None, builder.start(current_user, outline, errors=errors,
                                           unsaved=True), 400)


@bp.route("/materials/new/arrangement/builder", methods=["POST"])
@_builder_form
@login_required
def create_builder() -> str:
    """The builder of a new arrangement after one of its buttons (see ``_fragment``)."""
    require_permission(policy.can_create(current_user))
    return _fragment(None)


@bp.route("/materials/<int:material_id>/arrange", methods=["GET", "POST"])
@_builder_form
@login_required
def edit(material_id: int) -> tuple[str, int] | Response:
    """Edit an arrangement: a new version from the head; a stale save is merged, or the
    user's own outline and fields are kept on top of the newer version (never lost)."""
    material = _editable_arrangement(material_id)
    form = MaterialForm()
    head = material.latest_version
    if request.method == "GET":
        set_choices(form, head)
        fill_form(form, head)
        return _page(form, material, builder.start(current_user, service.outline_of(head.id)))
    base_id = parse_id(form.base_version_id.data)
    base = queries.own_version(material, base_id) if base_id is not None else None
    if base is None:
        raise ValidationError(_("This edit started from an unknown version."))
    set_choices(form, base)
    outline, answer = _outline_or_action(form, material)
    if answer:
        return answer
    errors: dict[int | None, list[str]] = {}
    if form.validate_on_submit():
        try:
            result = service.save_arrangement(current_user, material.id, base.id,
                                              fields_from(form, base), outline,
                                              form.summary.data or "")
            submitting = bool(form.save_and_submit.data)
            if submitting:
                lifecycle.submit_for_review(current_user, material)
            return after_save(material, submitting, result.merged)
        except (service.OutlineConflict, VersionConflict) as error:
            newer = error.head if isinstance(error, service.OutlineConflict) \
                else error.details.head
            form.base_version_id.data = str(newer.id)
            return _page(form, material, builder.start(current_user, outline, unsaved=True),
                         409, conflict=(base, newer))
        except service.InvalidOutline as error:
            errors = error.errors
        except ValidationError as error:
            show_errors(form, error)
    return _page(form, material, builder.start(current_user, outline, errors=errors,
                                               unsaved=True), 400)


@bp.route("/materials/<int:material_id>/arrange/builder", methods=["POST"])
@_builder_form
@login_required
def edit_builder(material_id: int) -> str:
    """The builder of an arrangement being edited after one of its buttons (only its
    authors; see ``_fragment``)."""
    return _fragment(_editable_arrangement(material_id))


# -- Reading ------------------------------------------------------------------------------------


@bp.app_template_global("part_url")
def part_url(contents: Contents, index: int) -> str:
    """The address of part ``index`` (from 0) of the table of contents: under the version's
    permalink when the reader came from there, else under the material's own page."""
    if contents.permalink:
        return url_for("arrangements.version_part", material_id=contents.material_id,
                       number=contents.version_number, part=index + 1)
    return url_for("arrangements.part", material_id=contents.material_id, slug=contents.slug,
                   part=index + 1)


@bp.route("/materials/<int:material_id>-<slug>/parts/<int:part>")
def part(material_id: int, slug: str, part: int) -> Response | tuple[str, int]:
    def work() -> PageView:
        material = queries.material_for(current_user, material_id)
        if slug != material.slug:
            return PageView.redirect_to(url_for(".part", material_id=material.id,
                                                slug=material.slug, part=part))
        version = queries.displayed_version(current_user, material)
        if version is None or material.kind != MaterialKind.ARRANGEMENT:
            raise NotFound()
        return _part_page(material, version, part, permalink=False)

    return public_page(("arrangements.part", material_id, slug, part), work)


@bp.route("/materials/<int:material_id>/v/<int:number>/parts/<int:part>")
def version_part(material_id: int, number: int, part: int) -> Response | tuple[str, int]:
    def work() -> PageView:
        material = queries.material_for(current_user, material_id)
        version = queries.version_for(current_user, material, number)
        if material.kind != MaterialKind.ARRANGEMENT:
            raise NotFound()
        return _part_page(material, version, part, permalink=True)

    return public_page(("arrangements.version_part", material_id, number, part), work)


def _part_page(material: Material, version: MaterialVersion, part: int,
               permalink: bool) -> PageView:
    """One part of the arrangement with the table of contents and previous/next links.
    Previous and next skip sections: a section's page only lists what it holds, so
    stopping there on the way through is a page load that shows nothing new (it stays
    linked from the table of contents and the breadcrumbs)."""
    rows = service.rows_of(version.id)
    if not 1 <= part <= len(rows):
        raise NotFound()
    row = rows[part - 1]
    outline = tuple(r.as_node() for r in rows)
    contents = table_of_contents(current_user, material, version, permalink, outline=outline)
    previous, following = structure.neighbours(outline, part - 1)
    embedded = contents.embedded.get(part - 1)
    shown = embedded.version if embedded is not None else None
    items = {item.index: item for item in structure.walk(contents.tree)}
    return PageView("arrangements/part.html", dict(
        material=material, version=version, row=row,
        index=part - 1, item=items[part - 1], overview=contents, permalink=permalink,
        previous=previous, following=following,
        sections=[items[i] for i in structure.ancestors(outline, part - 1)],
        overview_url=url_for("materials.show_version", material_id=material.id,
                             number=version.number) if permalink else material_url(material),
        body=Markup(row.body_html),  # noqa: S704 (sanitised when written)  # nosec B704
        embedded=embedded,
        item_body=Markup(shown.body_html) if shown else None,  # noqa: S704 (sanitised)  # nosec B704
        item_credits=credits_html(embedded.material, shown, PageLinks(), str(get_locale()))
        if shown else None))


# -- Printing -----------------------------------------------------------------------------------


@bp.route("/materials/<int:material_id>/print")
def print_arrangement(material_id: int) -> str:
    """The version the material page shows, whole on one page, to print."""
    material = queries.material_for(current_user, material_id)
    version = queries.displayed_version(current_user, material)
    if version is None or material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    return _render_print(material, version, permalink=False)


@bp.route("/materials/<int:material_id>/v/<int:number>/print")
def print_version(material_id: int, number: int) -> str:
    """One version of the arrangement, whole on one page, to print."""
    material = queries.material_for(current_user, material_id)
    version = queries.version_for(current_user, material, number)
    if material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    return _render_print(material, version, permalink=True)


def _render_print(material: Material, version: MaterialVersion, permalink: bool) -> str:
    return render_template(
        "arrangements/print.html", material=material, version=version,
        view=printing.print_view(current_user, material, version, PageLinks(),
                                 str(get_locale())),
        introduction=Markup(version.body_html),  # noqa: S704 (sanitised when written)  # nosec B704
        back_url=url_for("materials.show_version", material_id=material.id,
                         number=version.number) if permalink else material_url(material),
        page_url=url_for("materials.show_version", material_id=material.id,
                         number=version.number, _external=True))
