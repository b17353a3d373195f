"""Response headers every route sends, errors and downloads included.

No page may be framed by another site (clickjacking), with one exception: a view that
calls :func:`allow_framing` (the embed views of ``syndication``) names the origins that may
put it in a frame, and only that response goes without ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response

#: The policy of every page except who may frame it.
_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # No image from another site: lessons show the portal's copies of them
    # (``materials/remote_images.py``), so no page makes the reader's browser contact a
    # third party (issue 16); this also holds for HTML stored before that rule.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])
CONTENT_SECURITY_POLICY = f"{_POLICY}; frame-ancestors 'none'"


def allow_framing(response: Response, origins: Iterable[str]) -> Response:
    """Let the sites of ``origins`` (``*``: any site) show ``response`` in a frame: its
    policy names them as ``frame-ancestors`` and it carries no ``X-Frame-Options``."""
    sources = " ".join(origin for origin in origins if origin) or "'none'"
    response.headers["Content-Security-Policy"] = f"{_POLICY}; frame-ancestors {sources}"
    response.framable = True  # type: ignore[attr-defined]
    return response


def init_app(app: Flask) -> None:
    production = app.config["ENV"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        # A route that serves user files sets its own, stricter (sandboxing) policy.
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not getattr(response, "framable", False):
            headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if production:
            headers["Strict-Transport-Security"] = (
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
            )
        return response
