"""Domain errors and the one place that turns errors into friendly pages (or JSON for the API).

Services raise these; views do not catch them unless they want to show the message inside a
form.  Every error response goes through the same after-request hooks as any other, so it
carries the security headers, and its transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the portal said no; ``message`` is shown to the user."""

    status_code = 400
    default_message = _l("This request cannot be carried out.")

    def __init__(self, message: str | None = None) -> None:
        self.message = message or str(self.default_message)
        super().__init__(self.message)


class NotFound(DomainError):
    status_code = 404
    default_message = _l("We could not find that page.")


class Forbidden(DomainError):
    status_code = 403
    default_message = _l("You do not have permission to do this.")


class ValidationError(DomainError):
    status_code = 422
    default_message = _l("Some of the information is not valid.")


class FieldError(ValidationError):
    """A refusal that belongs to one field of the form that sent the values (``field`` is
    the name the forms use), so the form can show it beside what the user typed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    status_code = 409
    default_message = _l("Someone else changed this in the meantime.")


class EditConflict(Conflict):
    """A save started from a version that is no longer the head (compare-and-swap failed)."""


class InvalidUpload(ValidationError):
    """An uploaded file was refused; ``message`` says why, in words a teacher understands."""

    default_message = _l("This file cannot be uploaded.")


class StorageFull(DomainError):
    """The file store could not write (disk full, quota); nothing was kept."""

    status_code = 507
    default_message = _l("The portal could not store your file right now. Nothing was saved; "
                         "please try again later.")


_TITLES = {
    400: _l("Bad request"),
    403: _l("No access"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    507: _l("Storage unavailable"),
    422: _l("Invalid information"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("The page you were looking for does not exist (any more). "
            "Check the address or start again from the home page."),
    405: _l("This address does not accept this kind of request."),
    413: _l("What you sent is larger than the portal accepts."),
    429: _l("You tried this too often in a short time. Please wait a few minutes and try again."),
    500: _l("An unexpected error happened on our side. It has been logged; "
            "please try again later."),
}


#: The JSON API's answer to an error under its addresses (``api.init_app`` sets it: RFC 9457
#: problem documents), given the error and the request's path; ``None`` for "not mine".
api_error_renderer: Callable[[Exception], Response | None] | None = None


def error_response(status: int, message: str | None = None,
                   error: Exception | None = None) -> tuple[str | Response, int]:
    """Render the friendly page (or the API's problem document, or JSON under ``/api/``)
    for ``status``."""
    if error is not None and api_error_renderer is not None:
        rendered = api_error_renderer(error)
        if rendered is not None:
            return rendered, rendered.status_code
    message = message or str(_MESSAGES.get(status, _MESSAGES[400]))
    if request.path.startswith("/api/"):
        return jsonify(error={"status": status, "message": message}), status
    title = _TITLES.get(status, _TITLES[400])
    return render_template("errors/error.html", status=status, title=title, message=message), status


#: Methods that change nothing; any other method that reaches a denial carried our CSRF
#: token, so someone meant it.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def denial_is_audited() -> bool:
    """Whether a refused request is written to the audit log: only what a person asked for.

    A page that merely *loads* something (an ``<img src="/admin/users/1">`` in a published
    lesson, a prefetch) must never write to the log, or every viewer's browser would add a
    row per view.  Browsers say what a request is for in the Fetch Metadata headers:

    - a request that changes something (POST, …) is always audited: it passed the CSRF
      check, so a page of ours sent it on purpose, and no header can talk it out of the log;
    - a reading request is audited only as a top-level navigation: ``Sec-Fetch-Dest``
      ``document`` (or absent: old browsers and scripts send none) and ``Sec-Fetch-Mode``
      ``navigate`` (or absent); an image, a script, a frame, a ``fetch`` is not;
    - a speculative load (``Sec-Purpose``/``Purpose: prefetch`` or prerender) is not either:
      nobody has opened the page yet.

    A client can forge these headers to keep its reading attempts out of the log; it learns
    nothing by that (the request is refused all the same), which is why changes ignore them.
    """
    if request.method not in _SAFE_METHODS:
        return True
    dest = request.headers.get("Sec-Fetch-Dest", "document").strip().lower()
    mode = request.headers.get("Sec-Fetch-Mode", "navigate").strip().lower()
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "")
    if "prefetch" in purpose.lower() or "prerender" in purpose.lower():
        return False
    return dest == "document" and mode == "navigate"


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    from oer_portal.core import audit
    from oer_portal.core.uow import current_uow

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str | Response, int]:
        if isinstance(error, Forbidden) and denial_is_audited():
            # The request's own changes are void, but the denial itself is worth keeping.
            uow = current_uow()
            uow.rollback()
            actor_id = current_user.get_user_id() if current_user.is_authenticated else None
            audit.record("access.denied", actor_id=actor_id, details={"path": request.path,
                                                                       "method": request.method})
            uow.commit()
        return error_response(error.status_code, error.message, error)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> tuple[str | Response, int]:
        return error_response(400, str(_l(
            "This form has expired or was not sent by this site. Reload the page and try again."
        )))

    # Unhandled exceptions reach this handler as InternalServerError (500) after Flask has
    # logged them; under TESTING they propagate to the test instead.
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str | Response, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        return error_response(error.code, error=error)
