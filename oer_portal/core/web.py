"""Addresses with scheme and host, for what leaves the page: e-mails, feeds, sitemaps,
OAI-PMH records, embed codes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """``endpoint``'s address on ``PORTAL_URL`` when it is set (never on a Host header a
    client chose), else on the request's host or ``SERVER_NAME``."""
    portal = current_app.config.get("PORTAL_URL")
    if portal:
        parts = urlsplit(portal)
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                           url_scheme=parts.scheme)
        return adapter.build(endpoint, values, force_external=True)
    return url_for(endpoint, _external=True, **values)


def absolute_url(endpoint: str, **values: Any) -> str | None:
    """``endpoint``'s address with scheme and host: on ``PORTAL_URL``, else the request's or
    ``SERVER_NAME``; ``None`` outside a request with neither (a command cannot know it)."""
    if not (current_app.config.get("PORTAL_URL") or has_request_context()
            or current_app.config.get("SERVER_NAME")):
        return None
    return external_url(endpoint, **values)
