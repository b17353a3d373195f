"""Writing through the API: create a material, add a version, submit it for review, remix.

Each operation calls the service function the web's view calls (``materials.service``,
``arrangements.service``, ``materials.lifecycle``, ``remix.service``), so the validation,
the licence rules, the outline's rules, the review (and a trusted teacher's post-review)
and the audit log are the web's.  Every write needs a token with the write scope; adding a
version needs ``If-Match``.  Every kind is created here: an arrangement with its outline,
a file (or any material with attachments) with files sent first to ``POST /uploads``,
which stores and inspects each as the web's form does (``materials.attachments``) and
answers a claim only its uploader can attach, as the web's form holds files it sent back.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select

from oer_portal.accounts.policy import require as require_permission
from oer_portal.accounts.tokens import Scope
from oer_portal.api import auth, conditional, render_views, schemas
from oer_portal.api.problems import ApiProblem
from oer_portal.api.render_views import TOKEN, WRITE_METHODS, api_blueprint
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements import structure
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.errors import InvalidUpload
from oer_portal.core.markdown_limits import JSON_BYTES_PER_CHAR, MAX_SOURCE_CHARS, cap_request
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, policy, queries, service
from oer_portal.materials.attachments import (
    AttachmentRef,
    Upload,
    hold,
    redeem,
    refs_of,
    store_upload,
)
from oer_portal.materials.metadata import InvalidFields, VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.remix import service as remix_service

blp = api_blueprint("api_writes", "Create materials and versions, submit, remix.")
BLUEPRINTS = (blp,)

ETAG_HEADER = {"ETag": {"description": "The material's new ETag.", "schema": {"type": "string"}}}
CREATED_HEADERS = {**ETAG_HEADER, "Location": {"description": "The new material's address.",
                                               "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": True,
            "description": "The ETag of the material as you read it (GET "
                           "/materials/{material_id} with your token).",
            "schema": {"type": "string"}, "example": '"5d41402abc4b2a76b9719d911017c592"'}
WRITE_ERRORS = ("UNAUTHORIZED", "FORBIDDEN", "UNPROCESSABLE_ENTITY", "TOO_MANY_REQUESTS")
#: The most text a write carries: a lesson's, or an arrangement's introduction and all its
#: pages (the web's builder form is capped alike).
WRITE_TEXT_CHARS = MAX_SOURCE_CHARS + structure.MAX_PAGES_TEXT


@blp.before_request
def _write_checks() -> None:
    """A token that may write, before anything is parsed; a body must be JSON and no larger
    than a lesson's text makes it (``core/markdown_limits.py``)."""
    if request.method in WRITE_METHODS:
        auth.require_token(Scope.WRITE)
        if request.endpoint == f"{blp.name}.{upload.__name__}":
            # A file's bytes, as large as the web's upload allows.
            request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]
            return
        if request.content_length and not request.is_json:
            raise ApiProblem("unsupported-media-type")
        # 413 before the JSON is read.
        cap_request(WRITE_TEXT_CHARS, bytes_per_char=JSON_BYTES_PER_CHAR)


def _documented_errors(*names: str) -> Any:
    def decorate(view: Any) -> Any:
        for name in (*WRITE_ERRORS, *names):
            status = {"UNAUTHORIZED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
                      "CONFLICT": 409, "PRECONDITION_FAILED": 412,
                      HTTPStatus(413).name: 413, "UNSUPPORTED_MEDIA_TYPE": 415,
                      "UNPROCESSABLE_ENTITY": 422, "PRECONDITION_REQUIRED": 428,
                      "TOO_MANY_REQUESTS": 429, "INSUFFICIENT_STORAGE": 507}[name]
            view = blp.alt_response(status, response=name)(view)
        return view
    return decorate


def _fields(data: dict[str, Any]) -> VersionFields:
    return VersionFields(
        title=data["title"], description=data["description"], body=data["body"],
        language=data["language"], licence=data["licence"], link_url=data["link_url"],
        subjects=tuple(data["subjects"]), levels=tuple(data["levels"]),
        keywords=tuple(data["keywords"]), objectives=tuple(data["objectives"]),
        resource_type=data["resource_type"], duration_minutes=data["duration_minutes"],
        age_min=data["age_min"], age_max=data["age_max"])


def _outline(parts: list[dict[str, Any]]) -> tuple[Node, ...]:
    """The outline the request describes, as the builder's form would give it to the
    service, which checks it (``arrangements.service``: depths, titles, addresses, and that
    each included material and pinned version is one the caller may include).  A pinned
    version is named by its number; one that does not exist pins nothing the caller may
    see, so the service refuses it like any unavailable version."""
    pins = {(part["material_id"], part["version"]) for part in parts
            if part["kind"] == NodeKind.MATERIAL and part["material_id"] is not None
            and part["version"] is not None}
    version_ids: dict[tuple[int, int], int] = {}
    if pins:
        version_ids = {(material_id, number): version_id for material_id, number, version_id
                       in db.session.execute(select(MaterialVersion.material_id,
                                                    MaterialVersion.number,
                                                    MaterialVersion.id).where(or_(*(
                           and_(MaterialVersion.material_id == material_id,
                                MaterialVersion.number == number)
                           for material_id, number in pins))))}
    nodes = []
    for part in parts:
        kind = NodeKind(part["kind"])
        included = kind == NodeKind.MATERIAL and part["material_id"] is not None
        nodes.append(Node(
            kind=kind, depth=part["depth"], title=part["title"],
            body=part["body"] if kind == NodeKind.PAGE else "",
            material_id=part["material_id"] if included else None,
            # 0 is no version's id: a number that does not exist stays pinned to nothing.
            pinned_version_id=version_ids.get((part["material_id"], part["version"]), 0)
            if included and part["version"] is not None else None,
            url=part["url"] if kind == NodeKind.LINK else ""))
    return tuple(nodes)


def _outline_problem(error: arrangements.InvalidOutline) -> ApiProblem:
    """The service's messages per part as ``invalid`` items (``outline[2]``: the third)."""
    return ApiProblem("validation-failed", error.message, invalid=[
        {"field": "outline" if index is None else f"outline[{index}]",
         "message": " ".join(messages)} for index, messages in error.errors.items()])


def _not_an_arrangement(data: dict[str, Any]) -> None:
    if data.get("outline"):
        raise InvalidFields({"outline": _("Only an arrangement has an outline.")})


def _no_uploads(data: dict[str, Any]) -> None:
    if data["uploads"]:
        raise InvalidFields({"uploads": _(
            "An arrangement has no files of its own here; attach them to the materials it "
            "includes.")})


def _uploaded(claims: list[str]) -> list[AttachmentRef]:
    """The files the caller uploaded (``POST /uploads``) and now attaches."""
    refs = []
    for claim in dict.fromkeys(claims):
        try:
            refs.append(redeem(current_user.id, claim))
        except InvalidUpload as error:
            raise InvalidFields({"uploads": error.message}) from None
    return refs


def _answer(material: Material, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    etag = conditional.material_etag(material, sees_head=True)
    return render_views.material_data(current_user, material), status, {
        "ETag": etag, "Location": render_views.material_url(material)}


@blp.route("/materials", methods=["POST"])
@blp.arguments(schemas.CreateMaterialSchema)
@blp.response(201, schemas.MaterialSchema, headers=CREATED_HEADERS)
@_documented_errors("UNSUPPORTED_MEDIA_TYPE")
@blp.doc(security=TOKEN)
def create(data: dict[str, Any]) -> Any:
    """Create a material (a draft)

    A lesson, a file, a link or an arrangement (with its ``outline``), with the fields of
    the web's form and the same checks (a file needs ``uploads``: see POST /uploads); it is
    a draft only its authors and moderators see until it is submitted and published.
    """
    kind = MaterialKind(data["kind"])
    if kind != MaterialKind.ARRANGEMENT:
        _not_an_arrangement(data)
        material = service.create_material(current_user, kind, _fields(data),
                                           _uploaded(data["uploads"]), summary=data["summary"])
        return _answer(material, 201)
    _no_uploads(data)
    try:
        material = arrangements.create_arrangement(current_user, _fields(data),
                                                   _outline(data["outline"]),
                                                   summary=data["summary"])
    except arrangements.InvalidOutline as error:
        raise _outline_problem(error) from None
    return _answer(material, 201)


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/versions", methods=["POST"])
@blp.arguments(schemas.VersionRequestSchema)
@blp.response(201, schemas.MaterialSchema, headers=CREATED_HEADERS)
@_documented_errors("NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "UNSUPPORTED_MEDIA_TYPE",
                    "PRECONDITION_REQUIRED")
@blp.doc(security=TOKEN, parameters=[IF_MATCH])
def new_version(data: dict[str, Any], material_id: int) -> Any:
    """Save a new version

    The fields replace the current version's (its files are kept, ``uploads`` are added);
    an arrangement's
    ``outline`` replaces its outline (absent: the outline is kept). ``If-Match`` must carry
    the material's ETag as you read it: 428 without it, 412 when someone saved since. The
    new version is a draft until it is submitted.
    """
    material = queries.material_for(current_user, material_id)
    require_permission(policy.can_edit(current_user, material))
    arrangement = material.kind == MaterialKind.ARRANGEMENT
    if not arrangement:
        _not_an_arrangement(data)
    # The row is locked (PostgreSQL) before the tag is compared, so no save slips between
    # the comparison and the compare-and-swap of ``save_version``.
    material = service.lock_head(material.id)
    conditional.require_match(conditional.material_etag(material, sees_head=True))
    head = queries.own_version(material, material.latest_version_id or 0)
    assert isinstance(head, MaterialVersion)  # narrows the type  # nosec B101
    if not arrangement:
        files = list(dict.fromkeys([*refs_of(head.attachments), *_uploaded(data["uploads"])]))
        service.save_version(current_user, material.id, head.id, _fields(data), files,
                             data["summary"])
        return _answer(material, 201)
    _no_uploads(data)
    outline = arrangements.outline_of(head.id) if data["outline"] is None \
        else _outline(data["outline"])
    try:
        arrangements.save_arrangement(current_user, material.id, head.id, _fields(data),
                                      outline, data["summary"])
    except arrangements.InvalidOutline as error:
        raise _outline_problem(error) from None
    return _answer(material, 201)


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/submit", methods=["POST"])
@blp.response(200, schemas.SubmissionSchema)
@_documented_errors("NOT_FOUND")
@blp.doc(security=TOKEN)
def submit(material_id: int) -> dict[str, Any]:
    """Submit the newest version for review

    As the web's submit button: a moderator reviews it, or it is published at once when
    you are a trusted teacher (a moderator looks afterwards). 422 when it is published or
    waiting already.
    """
    material = queries.material_for(current_user, material_id)
    review = lifecycle.submit_for_review(current_user, material)
    head = queries.version_alone(material.latest_version_id or 0)
    published = material.published_version_id == material.latest_version_id
    return {"material_id": material.id, "version": head.number if head else 0,
            "status": "published" if published else "pending",
            "post_review": bool(review.post_review)}


@blp.route(f"/materials/<{schemas.PATH_ID}:material_id>/remix", methods=["POST"])
@blp.arguments(schemas.RemixRequestSchema)
@blp.response(201, schemas.MaterialSchema, headers=CREATED_HEADERS)
@_documented_errors("NOT_FOUND", "UNSUPPORTED_MEDIA_TYPE")
@blp.doc(security=TOKEN)
def remix(data: dict[str, Any], material_id: int) -> Any:
    """Remix a material

    A new draft of yours, copied from the published version (or ``version``), with a
    licence the source allows (see /licences/remix); a source whose licence forbids
    adaptations (ND) is refused with a ``remix-refused`` problem. The credits to the
    original are generated, as on the web.
    """
    created = remix_service.remix(current_user, material_id, data["version"], data["licence"],
                                  data["title"])
    return _answer(created, 201)



UPLOAD_BODY = {"required": True, "description": "The file's bytes.",
               "content": {"application/octet-stream": {
                   "schema": {"type": "string", "format": "binary"}}}}


@blp.route("/uploads", methods=["POST"])
@blp.arguments(schemas.UploadArgs, location="query", error_status_code=400)
@blp.response(201, schemas.UploadSchema)
@_documented_errors(HTTPStatus(413).name, "INSUFFICIENT_STORAGE")
@blp.doc(security=TOKEN, requestBody=UPLOAD_BODY)
def upload(args: dict[str, Any]) -> dict[str, Any]:
    """Upload a file to attach

    The body is the file itself. It is stored and checked as on the web (its content must be
    of a type the portal accepts, within the size limit) and answered with an
    ``upload`` to name in ``uploads`` when you create a material or save a version: only
    you can, for six hours. A file nobody attaches is removed later.
    """
    require_permission(policy.can_create(current_user))
    ref = store_upload(Upload(request.stream, args["filename"]))
    return {"upload": hold(current_user.id, ref), "filename": ref.filename,
            "sha256": ref.sha256}
