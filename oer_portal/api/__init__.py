"""The JSON API v1 under ``/api/v1/``: the portal's services for programs, one Bearer token
per caller, errors as RFC 9457 problems, and an OpenAPI 3.1 document that flask-smorest
generates from the schemas (``/api/v1/openapi.json``), rendered for people at
``/api/v1/docs`` by a page of the portal.

Every operation calls the same service functions as the web's views, so the rules (who may
see a draft, which licence a remix may carry, who reviews what) are the web's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from oer_portal.api.problems import MEDIA_TYPE, ApiProblem, is_api_request, problem_response
from oer_portal.api.schemas import ProblemSchema

#: Methods a page of another site may use (CORS): reading only.
CORS_METHODS = ("GET", "HEAD")
CORS_REQUEST_HEADERS = "Authorization, If-None-Match, Accept, Accept-Language"
CORS_EXPOSED_HEADERS = ("ETag, Link, Location, Retry-After, X-RateLimit-Limit, "
                        "X-RateLimit-Remaining, X-RateLimit-Reset")
BEARER_SCHEME = "bearerAuth"


class PortalApi(Api):
    """flask-smorest's ``Api`` whose errors are problem documents.  It leaves the app's error
    handlers alone (smorest would otherwise answer every error of the portal, its pages'
    included, with its own JSON): ``core.errors`` hands errors under ``/api/v1/`` to
    ``problems``."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem document (RFC 9457).",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _render_error(error: Exception) -> Response | None:
    """``core.errors``' hook: an error under ``/api/v1/`` as a problem document."""
    from werkzeug.exceptions import HTTPException

    from oer_portal.api import problems
    from oer_portal.core.errors import DomainError

    if not is_api_request():
        return None
    if isinstance(error, DomainError):
        return problems.for_domain_error(error)
    if isinstance(error, HTTPException):
        return problems.for_http_exception(error)
    return None


def _cors_preflight() -> Response | None:
    """Answer a CORS preflight under ``/api/v1/``: allowed for reading only."""
    if request.method != "OPTIONS" or not is_api_request() \
            or "Access-Control-Request-Method" not in request.headers:
        return None
    wanted = request.headers["Access-Control-Request-Method"].upper()
    if wanted not in CORS_METHODS:
        return problem_response("cors-refused")
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = ", ".join(CORS_METHODS)
    response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _cors_headers(response: Response) -> Response:
    """Reading answers may be read by pages of any site: there are no cookies to leak (the
    API ignores them), and a token is sent only by a client that holds it."""
    if is_api_request() and request.method in CORS_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    return response


def _install_hooks(app: Flask, identify: Any) -> None:
    """Put the caller's identity where Flask-Login looks before anything asks for it: right
    after the unit of work began (so the token's lookup runs in a transaction that knows
    whether the request writes), and before the rate limiter, which counts per token.
    The limiter's check moves behind it; for every other route nothing changes (the hook
    does nothing outside ``/api/v1/``, and no hook before it reads the user)."""
    from oer_portal.extensions import limiter

    hooks = app.before_request_funcs.setdefault(None, [])
    checks = [hook for hook in hooks if getattr(hook, "__self__", None) is limiter]
    for check in checks:
        hooks.remove(check)
    begin = next(index for index, hook in enumerate(hooks)
                 if hook.__module__ == "oer_portal.core.uow")
    hooks[begin + 1:begin + 1] = [identify, _cors_preflight, *checks]


def init_app(app: Flask) -> PortalApi:
    """Build the app's ``Api``, register the API's blueprints and its request hooks."""
    from oer_portal.api import (
        auth,
        docs_views,
        material_views,
        reference_views,
        search_views,
        write_views,
    )
    from oer_portal.core import errors
    from oer_portal.extensions import csrf

    api = PortalApi(app, spec_kwargs={
        "info": {"description": "The JSON API of the OER portal. Reading needs no token and "
                               "shows what a visitor sees; a personal access token "
                               "(Authorization: Bearer) reads as its owner and, with the "
                               "write scope, writes through the same rules as the web."},
    })
    api.spec.components.security_scheme(BEARER_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token from your account's token page (scope read or "
                       "write)."})
    for module in (search_views, material_views, reference_views, write_views):
        for blueprint in module.BLUEPRINTS:
            csrf.exempt(blueprint)
            api.register_blueprint(blueprint)
    app.register_blueprint(docs_views.bp)
    errors.api_error_renderer = _render_error

    _install_hooks(app, auth.identify)
    app.after_request(_cors_headers)

    @app.errorhandler(ApiProblem)
    def _api_problem(error: ApiProblem) -> Response:
        return problem_response(error.slug, error.detail, headers=error.headers, **error.extra)

    app.extensions["oer_api"] = api
    return api


def api_of(app: Flask | None = None) -> PortalApi:
    return (app or current_app).extensions["oer_api"]
