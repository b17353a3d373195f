"""Entity tags for materials and versions: conditional reads (``If-None-Match`` → 304) and
updates that must name what they change (``If-Match``: 428 when missing, 412 when stale).

A material's tag names what the caller sees of it: the published version, the head when the
caller may see it, and its status; so it changes with every save, publication or withdrawal.
A version never changes, so its tag is its id.  Tags are strong (opaque hashes)."""

from __future__ import annotations

import hashlib

from flask import Response, request
from flask_babel import gettext as _

from oer_portal.api.problems import ApiProblem
from oer_portal.materials.models import Material, MaterialVersion


def _tag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def material_etag(material: Material, sees_head: bool) -> str:
    head = material.latest_version_id if sees_head else None
    return _tag(f"m{material.id}-v{material.published_version_id}-h{head}-{material.status}")


def version_etag(version: MaterialVersion) -> str:
    return _tag(f"v{version.id}")


def _listed(header: str | None) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()]


def not_modified(etag: str) -> Response | None:
    """The 304 for a conditional GET whose ``If-None-Match`` names ``etag``, else ``None``."""
    tags = _listed(request.headers.get("If-None-Match"))
    if "*" in tags or etag in tags:
        response = Response(status=304)
        response.headers["ETag"] = etag
        return response
    return None


def require_match(etag: str) -> None:
    """An update goes ahead only when ``If-Match`` names the current tag."""
    header = request.headers.get("If-Match")
    if not header:
        raise ApiProblem("precondition-required")
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if etag not in tags:  # "*" names no version: it would allow a lost update
        raise ApiProblem("precondition-failed", _(
            "The material changed since you read it. Read it again and start from its "
            "current version."), current_etag=etag)
