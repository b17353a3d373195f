"""``/oai``: the OAI-PMH endpoint, by GET or by POST (form-encoded), as the protocol asks.

POST is exempt from CSRF protection: the protocol only reads, and harvesters have no form
to take a token from.  Every answer, errors included, is HTTP 200 ``text/xml``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request, stream_with_context

from oer_portal.core.web import external_url
from oer_portal.extensions import csrf
from oer_portal.materials.metadata import vocabularies
from oer_portal.oai import service
from oer_portal.oai.formats import Context
from oer_portal.oai.protocol import Tokens

bp = Blueprint("oai", __name__)


def repository_identifier() -> str:
    config = current_app.config
    configured = config.get("OAI_REPOSITORY_IDENTIFIER")
    if configured:
        return str(configured)
    for key in ("PORTAL_URL", "SERVER_NAME"):
        value = config.get(key)
        if value:
            host = urlsplit(value if "//" in value else f"//{value}").hostname
            if host:
                return host
    return "oer-portal.local"


def _settings() -> service.Settings:
    config = current_app.config
    # One address built by the router, the others by substitution: a page of records
    # needs hundreds, and they differ only in the id and the slug.
    sample = external_url("materials.show", material_id=1, slug="s")
    head = sample[:sample.rindex("/1-s")]

    def material_url(material_id: int, slug: str) -> str:
        return f"{head}/{material_id}-{slug}"

    # The vocabularies are reference data the migrations seed and nothing in the portal
    # edits: read once per process, not once per page of a harvest (they are plain data).
    terms = current_app.extensions.get("oai.vocabularies")
    if terms is None:
        terms = current_app.extensions["oai.vocabularies"] = vocabularies()
    identifier = repository_identifier()
    context = Context(repository_identifier=identifier,
                      repository_name=config["OAI_REPOSITORY_NAME"],
                      material_url=material_url, vocabularies=terms)
    return service.Settings(
        base_url=external_url("oai.endpoint"),
        admin_email=config.get("OAI_ADMIN_EMAIL") or f"admin@{identifier}",
        page_size=max(1, int(config["OAI_PAGE_SIZE"])),
        tokens=Tokens(config["SECRET_KEY"], int(config["OAI_TOKEN_LIFETIME"])),
        context=context)


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt
def endpoint() -> Response:
    arguments = request.form if request.method == "POST" else request.args
    values = {name: arguments.getlist(name) for name in arguments}
    chunks = service.respond(values, _settings())
    return Response(stream_with_context(chunks), mimetype="text/xml",
                    content_type="text/xml; charset=utf-8")
