"""Errors of the JSON API as RFC 9457 problem documents (``application/problem+json``).

Every error under ``/api/v1/`` — a refused token, a rule of a service, a stale ``If-Match``,
an unknown address, a rate limit — answers with the same members: ``type`` (a stable URI
naming the kind of problem, explained on the API's documentation page), ``title``,
``status`` and ``detail``, plus ``invalid`` for parameters or fields that were wrong.  The
types are listed here once; the docs page renders this list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from oer_portal.core.errors import DomainError

MEDIA_TYPE = "application/problem+json"
#: Where the API lives; errors below it are problems, the rest of the portal shows pages.
PREFIX = "/api/v1/"
#: The human documentation page is a page of the portal, not part of the API.
DOCS_PATH = "/api/v1/docs"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: Any  # a lazy string
    description: Any


PROBLEM_TYPES: tuple[ProblemType, ...] = (
    ProblemType("bad-request", 400, _l("Bad request"),
                _l("The request could not be understood.")),
    ProblemType("invalid-parameter", 400, _l("Invalid parameter"),
                _l("A query parameter is unknown or has a value the API does not accept; "
                   "“invalid” names each one and, where there is a list, the valid values.")),
    ProblemType("token-required", 401, _l("Token required"),
                _l("This operation needs a personal access token in the Authorization "
                   "header (Bearer).")),
    ProblemType("invalid-token", 401, _l("Invalid token"),
                _l("The token is malformed, unknown, expired or revoked; “reason” says "
                   "which.")),
    ProblemType("forbidden", 403, _l("Forbidden"),
                _l("A rule of the portal does not allow you to do this.")),
    ProblemType("insufficient-scope", 403, _l("Insufficient scope"),
                _l("The token may only read; writing needs a token with the write scope.")),
    ProblemType("remix-refused", 403, _l("Remix refused"),
                _l("The licence of the source does not allow a remix; “detail” says why.")),
    ProblemType("cors-refused", 403, _l("Cross-origin request refused"),
                _l("Only reading requests (GET, HEAD) may be made from other web sites.")),
    ProblemType("not-found", 404, _l("Not found"),
                _l("There is nothing here, or nothing you may see: drafts and unpublished "
                   "versions are not found for anyone but their authors and moderators.")),
    ProblemType("method-not-allowed", 405, _l("Method not allowed"),
                _l("This address does not accept this method.")),
    ProblemType("conflict", 409, _l("Conflict"),
                _l("The request conflicts with the current state of the material.")),
    ProblemType("edit-conflict", 409, _l("Edit conflict"),
                _l("Someone else saved a newer version meanwhile and the changes could not "
                   "be merged; read the material again and start from its new version.")),
    ProblemType("gone", 410, _l("Gone"),
                _l("The material was withdrawn; its page says when and why.")),
    ProblemType("payload-too-large", 413, _l("Payload too large"),
                _l("The request is larger than the portal accepts.")),
    ProblemType("precondition-failed", 412, _l("Precondition failed"),
                _l("The If-Match header does not name the material's current version: it "
                   "changed since you read it.")),
    ProblemType("unsupported-media-type", 415, _l("Unsupported media type"),
                _l("Send the request body as application/json.")),
    ProblemType("validation-failed", 422, _l("Validation failed"),
                _l("Some fields are not valid; “invalid” names each field and why.")),
    ProblemType("precondition-required", 428, _l("Precondition required"),
                _l("An update must carry If-Match with the ETag of the material as you read "
                   "it, so that nobody's changes are lost.")),
    ProblemType("rate-limited", 429, _l("Too many requests"),
                _l("The token (or address) made too many requests; Retry-After says how many "
                   "seconds to wait.")),
    ProblemType("server-error", 500, _l("Server error"),
                _l("Something went wrong on our side; it has been logged.")),
    ProblemType("storage-unavailable", 507, _l("Storage unavailable"),
                _l("The portal could not store the change right now; nothing was saved.")),
)
_BY_SLUG = {problem.slug: problem for problem in PROBLEM_TYPES}
#: The problem a status means when nothing more specific is known (the first listed).
_DEFAULT_FOR_STATUS: dict[int, str] = {}
for _problem in PROBLEM_TYPES:
    _DEFAULT_FOR_STATUS.setdefault(_problem.status, _problem.slug)


class ApiProblem(Exception):
    """Raised by the API's own code: a problem of ``slug`` with ``detail`` and extra members;
    ``headers`` go on the response (``WWW-Authenticate``, say)."""

    def __init__(self, slug: str, detail: str | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        self.slug = slug
        self.status = _BY_SLUG[slug].status
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(slug)


def type_uri(slug: str) -> str:
    """The problem type's URI: its entry on the API's documentation page (on ``PORTAL_URL``
    when it is set, like every absolute address: ``core/web.py``)."""
    root = current_app.config.get("PORTAL_URL") or request.url_root
    return f"{root.rstrip('/')}/api/v1/docs#problem-{slug}"


def is_api_request() -> bool:
    return request.path.startswith(PREFIX) and request.path.rstrip("/") != DOCS_PATH


def problem_response(slug: str, detail: str | None = None, status: int | None = None,
                     headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    problem = _BY_SLUG.get(slug) or _BY_SLUG["bad-request"]
    status = status or problem.status
    body = {"type": type_uri(problem.slug), "title": str(problem.title), "status": status,
            "detail": detail or str(problem.description), **extra}
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _webargs_invalid(messages: Any) -> list[dict[str, Any]]:
    """webargs' ``{"query": {"page": ["Not a valid integer."]}}`` as ``invalid`` items."""
    invalid: list[dict[str, Any]] = []
    for location, fields in (messages or {}).items():
        if not isinstance(fields, Mapping):
            invalid.append({"name": location, "message": " ".join(map(str, fields))})
            continue
        for name, errors in fields.items():
            text = " ".join(str(e) for e in errors) if isinstance(errors, list) \
                else json.dumps(errors, ensure_ascii=False)
            item: dict[str, Any] = {"message": text}
            item["parameter" if location in ("query", "headers") else "field"] = name
            invalid.append(item)
    return invalid


def for_http_exception(error: HTTPException) -> Response:
    """A werkzeug error (routing, webargs, the rate limiter) as a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs: a parameter or the body did not match its schema
        invalid = _webargs_invalid(data["messages"])
        slug = "invalid-parameter" if status == 400 else "validation-failed"
        return problem_response(slug, status=status, invalid=invalid,
                                headers=data.get("headers"))
    slug = _DEFAULT_FOR_STATUS.get(status, "server-error" if status >= 500 else "bad-request")
    headers = dict(error.get_headers() or [])
    headers.pop("Content-Type", None)
    detail = None if status in (404, 405, 429, 500) else error.description
    return problem_response(slug, detail, status=status, headers=headers)


def for_domain_error(error: DomainError) -> Response:
    """A rule of a service said no: its message is the detail; field errors go to
    ``invalid``."""
    from oer_portal.core.errors import EditConflict, NotFound
    from oer_portal.remix.service import RemixRefused

    extra: dict[str, Any] = {}
    if isinstance(error, RemixRefused):
        slug = "remix-refused"
    elif isinstance(error, EditConflict):
        slug = "edit-conflict"
    elif isinstance(error, NotFound):
        return problem_response("not-found")
    else:
        slug = _DEFAULT_FOR_STATUS.get(error.status_code, "bad-request")
    errors = getattr(error, "errors", None)
    if isinstance(errors, Mapping):
        extra["invalid"] = [{"field": name, "message": str(message)}
                            for name, message in errors.items()]
    return problem_response(slug, error.message, status=error.status_code, **extra)
