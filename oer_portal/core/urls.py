"""URL helpers shared by views (and the lesson renderer, which must know our own host)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_app_context, has_request_context, request


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return fallback
    return target


def own_hosts() -> frozenset[str]:
    """The host names this portal answers on, as far as this context knows them: the
    configured ``PORTAL_URL`` and ``SERVER_NAME``, and the host of the current request (a
    reader's browser sends the real one).  Lower case, without port or trailing dot."""
    names: list[str] = []
    if has_app_context():
        for key in ("PORTAL_URL", "SERVER_NAME"):
            value = current_app.config.get(key)
            if value:
                names.append(urlsplit(value if "//" in value else f"//{value}").hostname or "")
    if has_request_context():
        names.append(urlsplit(f"//{request.host}").hostname or "")
    return frozenset(name.rstrip(".").lower() for name in names if name)
