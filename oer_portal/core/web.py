"""Addresses with scheme and host, for what leaves the page: e-mails, feeds, sitemaps,
OAI-PMH records, embed codes; and the application class that puts them on ``PORTAL_URL``.

Anyone can send any Host header.  Flask's ``TRUSTED_HOSTS`` (see ``config.py``) refuses a
request for a host the portal does not serve; on top of that, when the portal's public
address is configured, every absolute address is built on it (:class:`PortalFlask`), so a
canonical link, a credit, a feed or an e-mail never depends on the request's Host at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, has_request_context, request, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.routing import MapAdapter


def external_url(endpoint: str, **values: Any) -> str:
    """``endpoint``'s address on ``PORTAL_URL`` when it is set (never on a Host header a
    client chose), else on the request's host or ``SERVER_NAME``."""
    portal = current_app.config.get("PORTAL_URL")
    if portal:
        return portal_adapter(current_app, portal).build(endpoint, values, force_external=True)
    return url_for(endpoint, _external=True, **values)


def portal_adapter(app: Flask, portal: str) -> MapAdapter:
    """``app``'s routes bound to the address ``portal`` (scheme, host and path prefix)."""
    parts = urlsplit(portal)
    return app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                            url_scheme=parts.scheme)


def absolute_url(endpoint: str, **values: Any) -> str | None:
    """``endpoint``'s address with scheme and host: on ``PORTAL_URL``, else the request's or
    ``SERVER_NAME``; ``None`` outside a request with neither (a command cannot know it)."""
    if not (current_app.config.get("PORTAL_URL") or has_request_context()
            or current_app.config.get("SERVER_NAME")):
        return None
    return external_url(endpoint, **values)


#: Why a request for a host the portal does not serve gets 400 (the API's problem detail).
UNTRUSTED_HOST = "This portal does not answer to the host name this request was sent to."


class PortalFlask(Flask):
    """Flask, with absolute addresses on ``PORTAL_URL`` and a usable error page for a request
    whose Host is not trusted."""

    #: Paths answered whatever the Host (``/healthz``, ``/metrics``): they build no address.
    host_independent_paths: frozenset[str] = frozenset({"/healthz", "/metrics"})

    def url_for(self, endpoint: str, *, _anchor: str | None = None,
                _method: str | None = None, _scheme: str | None = None,
                _external: bool | None = None, **values: Any) -> str:
        """As Flask's, except that an absolute address in a request is built on
        ``PORTAL_URL`` when it is set (outside a request :meth:`create_url_adapter` binds
        to it already)."""
        portal = self.config.get("PORTAL_URL")
        if portal and has_request_context() and (_external or _scheme is not None):
            path = super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _external=False, **values)
            root = request.script_root
            if root and (path == root or path.startswith(f"{root}/")):
                path = path[len(root):] or "/"
            return str(portal).rstrip("/") + path
        return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                               _external=_external, **values)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        portal = self.config.get("PORTAL_URL")
        if request is None:
            if portal and not self.config.get("SERVER_NAME"):
                # Commands (e-mails, exports, the worker) build addresses on it too.
                return portal_adapter(self, portal)
            return super().create_url_adapter(request)
        try:
            return super().create_url_adapter(request)
        except SecurityError:
            # The Host is not one of ours: Flask would leave the request without a URL
            # adapter, and the error page (which links to our style sheet) could not be
            # rendered.  Answer 400 from a request that names a host we serve instead.
            # Werkzeug's message repeats the host; an answer carries none of it.  The
            # health check and the metrics build no address and are answered: a load
            # balancer or a monitor asks by the machine's address.
            if request.path not in self.host_independent_paths:
                request.routing_exception = SecurityError(UNTRUSTED_HOST)
            host = self._trusted_host(portal)
            request.host = host  # type: ignore[misc]
            request.environ["HTTP_HOST"] = host
            return self.url_map.bind(host, script_name=request.script_root or "/",
                                     url_scheme=request.scheme)

    def _trusted_host(self, portal: str | None) -> str:
        """A host the portal serves: ``PORTAL_URL``'s, else the first trusted name."""
        trusted = [host for host in self.config.get("TRUSTED_HOSTS") or ()
                   if not host.startswith(".")]
        return urlsplit(portal).netloc if portal else (trusted or ["localhost"])[0]
