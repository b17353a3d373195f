"""Materials and versions as the API's JSON (the web layer: it builds the absolute links),
and the parts every API blueprint shares: the rate limits, the token check, the docs'
security requirements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.api import auth
from oer_portal.api.problems import ApiProblem
from oer_portal.extensions import limiter
from oer_portal.materials import lifecycle, policy, queries, service
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion

#: OpenAPI security requirements: reading works with or without a token, writing needs one.
OPTIONAL_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
TOKEN: list[dict[str, list[str]]] = [{"bearerAuth": []}]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


class StrictParser(FlaskParser):
    """webargs ignores unknown query parameters by default; the API refuses them (each
    schema's ``unknown = RAISE``), so a misspelt filter is a 400, never a wider answer."""

    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def api_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint of the API: rate limited per token (per address without one), writes
    with a second, smaller budget; a refused token is a 401 once the request was counted."""
    blueprint = ApiBlueprint(name, __name__, url_prefix="/api/v1", description=description)
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"],
                  key_func=auth.rate_limit_key)(blueprint)
    limiter.limit(lambda: current_app.config["API_WRITE_RATE_LIMIT"],
                  key_func=auth.rate_limit_key, methods=WRITE_METHODS)(blueprint)
    blueprint.before_request(auth.refuse_bad_token)
    blueprint.before_request(_refuse_nul_parameters)
    blueprint.after_request(_private)
    return blueprint


def _refuse_nul_parameters() -> None:
    """No text in the database holds a NUL character (PostgreSQL refuses one outright, as
    schemathesis found with ``?licence=%00``): a query parameter carrying one is a 400
    before any filter reaches a query.  The search's free text (``q``) goes to the index,
    never to the database, and is searched as it is."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name or ("\x00" in value and name != "q"):
            message = _("A parameter may not hold a NUL character.")
            raise ApiProblem("invalid-parameter", message, invalid=[
                {"parameter": name.replace("\x00", "\\x00"), "message": message}])


def _private(response: Response) -> Response:
    """What a token's user sees is theirs: no shared cache keeps an answer to a token."""
    response.headers.add("Vary", "Authorization")
    if auth.current_grant() is not None:
        response.headers["Cache-Control"] = "private"
    return response


def person(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.display_name,
            "url": None if user.credited_anonymously  # an anonymous author has no profile
            else url_for("lists.profile", user_id=user.id,
                         slug=service.slugify(user.display_name), _external=True)}


def material_url(material: Material) -> str:
    return url_for("api_materials.material", material_id=material.id, _external=True)


def web_url(material: Material) -> str:
    return url_for("materials.show", material_id=material.id, slug=material.slug,
                   _external=True)


def version_summary(material: Material, version: MaterialVersion,
                    published: frozenset[int]) -> dict[str, Any]:
    return {
        "number": version.number, "title": version.title, "created_at": version.created_at,
        "summary": version.summary, "merged": bool(version.merged),
        "published": version.id in published, "author": person(version.author),
        "url": url_for("api_materials.version", material_id=material.id,
                       number=version.number, _external=True),
    }


def version_data(material: Material, version: MaterialVersion,
                 published: frozenset[int]) -> dict[str, Any]:
    fields = VersionFields.of(version)
    return {
        **version_summary(material, version, published),
        "description": fields.description, "body": fields.body,
        "language": fields.language, "licence": fields.licence, "link_url": fields.link_url,
        "subjects": list(fields.subjects), "levels": list(fields.levels),
        "keywords": list(fields.keywords), "objectives": list(fields.objectives),
        "resource_type": fields.resource_type, "duration_minutes": fields.duration_minutes,
        "age_min": fields.age_min, "age_max": fields.age_max, "authors": list(fields.authors),
        "source_url": fields.source_url, "attribution": fields.attribution,
        "attachments": [{
            "filename": attachment.filename, "media_type": attachment.file.media_type,
            "size": attachment.file.size,
            "url": url_for("materials.download", material_id=material.id,
                           attachment_id=attachment.id, filename=attachment.filename,
                           _external=True)} for attachment in version.attachments],
        "web_url": url_for("materials.show_version", material_id=material.id,
                           number=version.number, _external=True),
    }


def material_summary(material: Material, version: MaterialVersion | None) -> dict[str, Any]:
    """A material in a list: its shown version's title, summary, language and licence."""
    return {
        "id": material.id, "kind": material.kind,
        "title": version.title if version else "",
        "description": version.description if version else "",
        "language": version.language if version else "",
        "licence": version.licence if version else "",
        "status": material.status, "published_at": material.published_at,
        "url": material_url(material), "web_url": web_url(material),
    }


def material_data(actor: Actor, material: Material) -> dict[str, Any]:
    """The material with its published version, and for its authors and staff the newer
    draft (the head) too, as the material page shows them."""
    published = queries.published_ids(material.id)
    sees_unpublished = policy.can_see_unpublished(actor, material)
    public = material.published_version if material.published_version_id \
        and (sees_unpublished or not material.is_withdrawn) else None
    draft = material.latest_version if sees_unpublished \
        and material.latest_version_id != material.published_version_id else None
    shown = public or draft
    derived = material.derived_from_version_id and service_version(
        material.derived_from_version_id)
    return {
        **material_summary(material, shown),
        "owner": person(material.owner),
        "co_authors": [person(user) for user in service.co_authors(material)],
        "updated_at": material.updated_at,
        "derived_from": {"material_id": derived.material_id, "version": derived.number}
        if derived else None,
        "published_version": version_data(material, public, published) if public else None,
        "draft": version_data(material, draft, published) if draft else None,
        "pending_review": bool(sees_unpublished and lifecycle.pending_review(material.id)),
    }


def service_version(version_id: int) -> MaterialVersion | None:
    return queries.version_alone(version_id)


def summaries(rows: Iterable[tuple[Material, MaterialVersion]]) -> list[dict[str, Any]]:
    return [material_summary(material, version) for material, version in rows]
