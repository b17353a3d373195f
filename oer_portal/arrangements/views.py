"""Arrangement pages: the builder (create, edit) and reading the arrangement page by page.

The overview is the material page itself (its table of contents is a panel, ``panels.py``);
each part has its own address under the material's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.arrangements import builder, service, structure
from oer_portal.arrangements.panels import Contents, table_of_contents
from oer_portal.arrangements.structure import Outline
from oer_portal.core.errors import NotFound, ValidationError
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
from oer_portal.search import service as search_service

bp = Blueprint("arrangements", __name__)

FOUND_LIMIT = 10
_OPPOSITE = {"up": "down", "down": "up", "indent": "outdent", "outdent": "indent"}


@dataclass
class Builder:
    """What the builder part of the edit page shows."""

    outline: Outline
    embedded: dict[int, service.Embedded]
    pins: dict[int, list[MaterialVersion]]
    errors: dict[int | None, list[str]] = field(default_factory=dict)
    found: list[search_service.Hit] | None = None
    find_query: str = ""
    #: Set after a button changed the outline: the part to put the focus on, and the tool
    #: button to focus there (``None``: its first field), so a keyboard user can press
    #: "up" again and again.
    focus: int | None = None
    focus_tool: str | None = None

    @cached_property
    def numbers(self) -> dict[int, str]:
        """Part index → its number ("1.2"); the template reads it once per part."""
        return {item.index: item.number for item in structure.walk(structure.tree(self.outline))}

    def tools(self, index: int) -> dict[str, bool]:
        """Each tool of a part and whether it would change anything (else it is disabled)."""
        return {name: builder.apply(f"{name}-{index}", self.outline) != self.outline
                for name in builder.TOOLS}

    def focused_tool(self, index: int, tools: dict[str, bool]) -> str | None:
        """The tool button that gets the focus on part ``index``: the one just pressed, or
        when the part went as far as it can (the button is disabled now) the opposite one;
        ``None`` puts the focus on the part's first field."""
        if self.focus != index or self.focus_tool is None:
            return None
        for tool in (self.focus_tool, _OPPOSITE.get(self.focus_tool)):
            if tool and tools.get(tool):
                return tool
        return None


def _builder(actor: Actor, outline: Outline, **extra: object) -> Builder:
    return Builder(outline, service.resolve(actor, outline),
                   service.pinnable_versions(structure.embedded_ids(outline)), **extra)


def _run_action(actor: Actor, action: str, outline: Outline) -> Builder:
    """One builder button: change the outline (unsaved) or look for materials to include."""
    if action != "find":
        changed = builder.apply(action, outline)
        tool = action.partition("-")[0]
        return _builder(actor, changed, focus=_focus_after(action, outline, changed),
                        focus_tool=tool if tool in builder.TOOLS and tool != "remove" else None)
    query = request.form.get("find_query", "").strip()[:200]
    reference = builder.material_reference(query)
    if reference is not None:
        changed = builder.apply(f"include-{reference}", outline)
        return _builder(actor, changed, focus=len(changed) - 1)
    hits = [hit for hit in search_service.search(search_service.SearchRequest(
        query=query, per_page=FOUND_LIMIT + 5)).hits
        if hit.kind != MaterialKind.ARRANGEMENT][:FOUND_LIMIT] if query else []
    return _builder(actor, outline, found=hits, find_query=query)


def _focus_after(action: str, before: Outline, after: Outline) -> int | None:
    if action.startswith(("add-", "include-")):
        return len(after) - 1 if len(after) > len(before) else None
    kind, _sep, number = action.partition("-")
    if not number.isdigit() or int(number) >= len(before):
        return None
    if kind == "remove":
        return min(int(number), len(after) - 1) if after else None
    moved = replace(before[int(number)], depth=0)
    places = [i for i, node in enumerate(after) if replace(node, depth=0) == moved]
    return min(places, key=lambda i: abs(i - int(number))) if places else None


def _page(form: MaterialForm, material: Material | None, state: Builder, status: int = 200,
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


def _outline_or_action(form: MaterialForm, material: Material | None
                       ) -> tuple[Outline, tuple[str, int] | None]:
    """The outline the form sent, and the page to answer with when a builder button (not
    Save) was pressed: the outline changed, nothing saved."""
    outline = builder.outline_from_form(request.form)
    action = request.form.get("action", "")
    if not action:
        return outline, None
    return outline, _page(form, material, _run_action(current_user, action, outline))


@bp.route("/materials/new/arrangement", methods=["GET", "POST"])
@login_required
def create() -> tuple[str, int] | Response:
    """Build a new arrangement: sections, own pages and included materials."""
    require_permission(policy.can_create(current_user))
    form = MaterialForm()
    set_choices(form, None)
    if request.method == "GET":
        fill_new(form)
        return _page(form, None, _builder(current_user, ()))
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
    return _page(form, None, _builder(current_user, outline, errors=errors), 400)


@bp.route("/materials/<int:material_id>/arrange", methods=["GET", "POST"])
@login_required
def edit(material_id: int) -> tuple[str, int] | Response:
    """Edit an arrangement: a new version from the head; a stale save is merged, or the
    user's own outline and fields are kept on top of the newer version (never lost)."""
    material = queries.material_for(current_user, material_id)
    require_permission(policy.can_edit(current_user, material))
    if material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    form = MaterialForm()
    head = material.latest_version
    if request.method == "GET":
        set_choices(form, head)
        fill_form(form, head)
        return _page(form, material, _builder(current_user, service.outline_of(head.id)))
    base = queries.own_version(material, int(form.base_version_id.data)) \
        if (form.base_version_id.data or "").isdigit() else None
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
            return _page(form, material, _builder(current_user, outline), 409,
                         conflict=(base, newer))
        except service.InvalidOutline as error:
            errors = error.errors
        except ValidationError as error:
            show_errors(form, error)
    return _page(form, material, _builder(current_user, outline, errors=errors), 400)


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
def part(material_id: int, slug: str, part: int) -> str | Response:
    material = queries.material_for(current_user, material_id)
    if slug != material.slug:
        return redirect(url_for(".part", material_id=material.id, slug=material.slug,
                                part=part), 301)
    version = queries.displayed_version(current_user, material)
    if version is None or material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    return _render_part(material, version, part, permalink=False)


@bp.route("/materials/<int:material_id>/v/<int:number>/parts/<int:part>")
def version_part(material_id: int, number: int, part: int) -> str:
    material = queries.material_for(current_user, material_id)
    version = queries.version_for(current_user, material, number)
    if material.kind != MaterialKind.ARRANGEMENT:
        raise NotFound()
    return _render_part(material, version, part, permalink=True)


def _render_part(material: Material, version: MaterialVersion, part: int,
                 permalink: bool) -> str:
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
    return render_template(
        "arrangements/part.html", material=material, version=version, row=row,
        index=part - 1, item=items[part - 1], overview=contents, permalink=permalink,
        previous=previous, following=following,
        sections=[items[i] for i in structure.ancestors(outline, part - 1)],
        overview_url=url_for("materials.show_version", material_id=material.id,
                             number=version.number) if permalink else material_url(material),
        body=Markup(row.body_html),  # noqa: S704 (sanitised when written)
        embedded=embedded,
        item_body=Markup(shown.body_html) if shown else None,  # noqa: S704 (sanitised)
        item_credits=credits_html(embedded.material, shown, PageLinks(), str(get_locale()))
        if shown else None)
