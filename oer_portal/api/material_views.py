"""Reading materials through the API: the list of published materials, one material with
its published version, its versions, the diff of two, its credits, an arrangement's
outline, and the caller's own materials.

Every read goes through ``materials.queries`` and ``policy``: what is not published is not
found for anyone but its authors, moderators and admins, exactly as on the web.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import String, cast, func, select

from oer_portal.accounts.tokens import Scope
from oer_portal.api import auth, conditional, render_views, schemas
from oer_portal.api.pagination import Page
from oer_portal.api.problems import ApiProblem
from oer_portal.api.render_views import OPTIONAL_TOKEN, TOKEN, api_blueprint
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements import structure
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials import policy, queries, service
from oer_portal.materials.compare import compare_versions
from oer_portal.materials.models import (
    Material,
    MaterialKind,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.materials.web import PageLinks
from oer_portal.remix import credits as wording
from oer_portal.remix import service as remix_service

blp = api_blueprint("api_materials", "Materials, their versions, diffs and credits.")
BLUEPRINTS = (blp,)

def _locale() -> str:
    return str(get_locale() or "nl")


def _material(material_id: int) -> Material:
    return queries.material_for(current_user, material_id)


# -- The list of published materials --------------------------------------------------------


def _published(args: dict[str, Any]) -> Page:
    """Published materials, newest publication first; ``subject`` and ``level`` are matched
    in the version's metadata (narrowed in SQL, checked exactly here)."""
    statement = (select(Material, MaterialVersion)
                 .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
                 .where(Material.status == MaterialStatus.PUBLISHED))
    if args.get("kind"):
        statement = statement.where(Material.kind == args["kind"])
    if args.get("language"):
        statement = statement.where(MaterialVersion.language == args["language"])
    if args.get("licence"):
        licence = registry.get(args["licence"])
        statement = statement.where(MaterialVersion.licence == (
            licence.spdx if licence else args["licence"]))
    meta_filters = {name: args[key] for name, key in (("subjects", "subject"),
                                                      ("levels", "level")) if args.get(key)}
    for value in meta_filters.values():
        statement = statement.where(cast(MaterialVersion.meta, String).contains(
            value.replace("\\", "").replace('"', "")))
    statement = statement.order_by(Material.published_at.desc(), Material.id.desc())
    page, per_page = args["page"], args["per_page"]
    if meta_filters:
        rows = [(m, v) for m, v in db.session.execute(statement)
                if all(value in (v.meta or {}).get(name, ()) for name, value
                       in meta_filters.items())]
        total = len(rows)
        chosen = rows[(page - 1) * per_page:page * per_page]
    else:
        total = db.session.scalar(select(func.count()).select_from(statement.order_by(None)
                                                                   .subquery()))
        chosen = [(m, v) for m, v in db.session.execute(statement.limit(per_page)
                                                        .offset((page - 1) * per_page))]
    return Page(render_views.summaries(chosen), page, per_page,
                has_next=page * per_page < total, total=total)


@blp.route("/materials")
@blp.arguments(schemas.MaterialListArgs, location="query", error_status_code=400)
@blp.response(200, schemas.MaterialPageSchema)
@blp.doc(security=OPTIONAL_TOKEN)
def materials(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Published materials

    Newest publication first, filtered by kind, subject, level, language or licence (each
    a code: see /vocabularies and /licences). Drafts never appear here, whoever asks.
    """
    page = _published(args)
    return page.body(), page.headers()


# -- One material ------------------------------------------------------------------------


def _etag_for(material: Material) -> str:
    return conditional.material_etag(material, policy.can_see_unpublished(current_user,
                                                                          material))


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>")
@blp.response(200, schemas.MaterialSchema, headers={"ETag": {
    "description": "Changes with every save, publication or withdrawal; send it in "
                   "If-Match to add a version, or in If-None-Match to read again cheaply.",
    "schema": {"type": "string"}}})
@blp.alt_response(304, description="Not modified (If-None-Match named the current ETag).")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.doc(security=OPTIONAL_TOKEN)
def material(material_id: int) -> Any:
    """A material with its published version

    Its authors, moderators and admins (with a token) also see the newer draft, if any,
    under ``draft``; a withdrawn material is 410 Gone for everyone else.
    """
    found = _material(material_id)
    if policy.displayed_version_id(current_user, found) is None:
        raise ApiProblem("gone")
    etag = _etag_for(found)
    return conditional.not_modified(etag) or (
        render_views.material_data(current_user, found), {"ETag": etag})


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/versions")
@blp.arguments(schemas.VersionListArgs, location="query", error_status_code=400)
@blp.response(200, schemas.VersionPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.doc(security=OPTIONAL_TOKEN)
def versions(args: dict[str, Any], material_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The versions you may see

    Newest first, a hundred a page: for everyone the versions that were published, for the
    material's authors, moderators and admins all of them.
    """
    found = _material(material_id)
    rows, has_next = queries.history(current_user, found, args["page"])
    published = queries.published_ids(found.id)
    page = Page([render_views.version_summary(found, version, published) for version in rows],
                args["page"], queries.HISTORY_PAGE, has_next)
    return page.body(), page.headers()


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/versions/<{schemas.PATH_ID}:number>")
@blp.response(200, schemas.VersionSchema, headers={"ETag": {
    "description": "A version never changes: its tag neither.", "schema": {"type": "string"}}})
@blp.alt_response(304, description="Not modified.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.doc(security=OPTIONAL_TOKEN)
def version(material_id: int, number: int) -> Any:
    """One version"""
    found = _material(material_id)
    shown = queries.version_for(current_user, found, number)
    etag = conditional.version_etag(shown)
    return conditional.not_modified(etag) or (
        render_views.version_data(found, shown, queries.published_ids(found.id)),
        {"ETag": etag})


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/diff")
@blp.arguments(schemas.DiffArgs, location="query", error_status_code=400)
@blp.response(200, schemas.DiffSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.doc(security=OPTIONAL_TOKEN)
def diff(args: dict[str, Any], material_id: int) -> dict[str, Any]:
    """The changes between two versions

    The same comparison as the web's diff page: the text word by word (``segments``), the
    details field by field (labels and values in the request's language), the files.
    """
    found = _material(material_id)
    comparison = compare_versions(current_user,
                                  service.version_by_number(found.id, args["from_"]),
                                  service.version_by_number(found.id, args["to"]))
    return {
        "material_id": found.id, "from_": comparison.old.number, "to": comparison.new.number,
        "stats": {"words_added": comparison.stats.words_added,
                  "words_removed": comparison.stats.words_removed},
        "segments": [{"op": segment.kind, "text": segment.text}
                     for segment in comparison.segments],
        "fields_changed": [{"field": change.field, "label": change.label, "old": change.old,
                            "new": change.new, "added": list(change.added),
                            "removed": list(change.removed)} for change in comparison.fields],
        "files_added": list(comparison.files_added),
        "files_removed": list(comparison.files_removed),
    }


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/credits")
@blp.arguments(schemas.CreditsArgs, location="query", error_status_code=400)
@blp.response(200, schemas.CreditsSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.doc(security=OPTIONAL_TOKEN)
def credits(args: dict[str, Any], material_id: int) -> dict[str, Any]:
    """Credits (TASL) as text, HTML or Markdown

    Title, author, source and licence of the version and of every source down to the
    original, generated as on the material page.
    """
    found = _material(material_id)
    if args.get("version"):
        shown = queries.version_for(current_user, found, args["version"])
    else:
        shown = queries.displayed_version(current_user, found)
        if shown is None:
            raise ApiProblem("gone")
    words = remix_service.credits(found, shown, PageLinks())
    text = {"text": wording.as_text, "html": wording.as_html,
            "markdown": wording.as_markdown}[args["format"]](words, _locale())
    return {"material_id": found.id, "version": shown.number, "format": args["format"],
            "credits": str(text)}


# -- Arrangements ----------------------------------------------------------------------------


def _outline_nodes(found: Material, version: MaterialVersion) -> list[dict[str, Any]]:
    outline = arrangements.outline_of(version.id)
    embedded = arrangements.resolve(current_user, outline)

    def node(item: structure.TreeNode) -> dict[str, Any]:
        shown = embedded.get(item.index)
        is_material = item.node.kind == structure.NodeKind.MATERIAL
        title = item.node.title
        if is_material and not title:
            title = shown.version.title if shown and shown.version \
                else _("Material not available")
        return {
            "number": item.number, "kind": str(item.node.kind), "title": title,
            "material_id": item.node.material_id if is_material and shown
            and shown.version else None,
            "version": shown.version.number if is_material and shown and shown.version
            else None,
            "available": not is_material or bool(shown and shown.version),
            "url": item.node.url if item.node.kind == structure.NodeKind.LINK else None,
            "children": [node(child) for child in item.children],
        }

    return [node(item) for item in structure.tree(outline)]


@blp.route(f"/arrangements/<{schemas.PATH_ID}:material_id>")
@blp.response(200, schemas.ArrangementSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
@blp.doc(security=OPTIONAL_TOKEN)
def arrangement(material_id: int) -> dict[str, Any]:
    """An arrangement with its outline

    Sections, pages, included materials and web links in reading order, numbered as in its
    table of contents. An included material you may not see is listed as not available, without
    its id or title.
    """
    found = _material(material_id)
    if found.kind != MaterialKind.ARRANGEMENT:
        raise ApiProblem("not-found")
    shown = queries.displayed_version(current_user, found)
    if shown is None:
        raise ApiProblem("gone")
    return {"material": render_views.material_summary(found, shown), "version": shown.number,
            "outline": _outline_nodes(found, shown)}


# -- The caller's own ------------------------------------------------------------------------


@blp.route("/me/materials")
@blp.arguments(schemas.PageArgs, location="query", error_status_code=400)
@blp.response(200, schemas.MyMaterialPageSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.doc(security=TOKEN)
def my_materials(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Your materials

    Drafts, pending and published, newest change first (the web's "My materials").
    """
    grant = auth.require_token(Scope.READ)
    rows = queries.owned_by(grant.user)
    page, per_page = args["page"], args["per_page"]
    chosen = rows[(page - 1) * per_page:page * per_page]
    items = [{**render_views.material_summary(m, v), "head_version": v.number,
              "pending_review": pending == "pending"} for m, v, pending in chosen]
    result = Page(items, page, per_page, has_next=page * per_page < len(rows),
                  total=len(rows))
    return result.body(), result.headers()
