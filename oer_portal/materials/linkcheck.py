"""The periodic link check: is the web address of each published link still reachable?

Run ``flask --app oer_portal materials check-links`` from cron (say nightly).  A dead link is
flagged on the material, where its owner sees it on the page and in the dashboard.  The check
never requests an address inside a private network (the portal must not become a probe for
its own network); tests allow loopback explicitly with ``LINK_CHECK_ALLOW_PRIVATE``.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialKind, MaterialStatus, MaterialVersion

USER_AGENT = "OER-portal-linkcheck/1.0 (+https://example.org/oer-portal)"


@dataclass(frozen=True)
class LinkResult:
    ok: bool
    problem: str | None = None


class AddressRefused(Exception):
    """An address the portal does not request (its reason, in English, is the message)."""


def check_host(url: str, allow_private: bool) -> None:
    """Refuse an address that is not http(s) or whose host resolves to any address outside
    the public internet (loopback, private, link-local, reserved).  Shared with the fetcher
    of other sites' lesson images (``remote_images.py``): the same rule for every request
    the portal makes on a user's behalf."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("not an http(s) address")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise AddressRefused(f"unknown host ({error.strerror})") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise AddressRefused("address is not on the public internet")


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Every redirect target is checked like the first address."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        check_host(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_link(url: str, timeout: float = 10.0, allow_private: bool = False) -> LinkResult:
    """HEAD the address (GET when HEAD is not allowed); 2xx and 3xx count as reachable."""
    try:
        check_host(url, allow_private)
        opener = urllib.request.build_opener(CheckedRedirects(allow_private))
        for method in ("HEAD", "GET"):
            request = urllib.request.Request(url, method=method,  # noqa: S310 (scheme checked)
                                             headers={"User-Agent": USER_AGENT})
            try:
                with opener.open(request, timeout=timeout) as response:
                    return LinkResult(response.status < 400)
            except urllib.error.HTTPError as error:
                if method == "HEAD" and error.code in (403, 405, 501):
                    continue
                return LinkResult(False, f"HTTP {error.code}")
        return LinkResult(False, "no answer")
    except AddressRefused as error:
        return LinkResult(False, str(error))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return LinkResult(False, f"cannot connect ({reason})"[:200])


def check_published_links(progress: Callable[[str], None] = lambda _url: None) -> list[int]:
    """Check every published link; returns the ids of materials whose link is dead."""
    config = current_app.config
    rows = db.session.execute(
        select(Material, MaterialVersion.link_url)
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .where(Material.kind == MaterialKind.LINK, Material.status == MaterialStatus.PUBLISHED)
    ).all()
    dead = []
    for material, url in rows:
        result = check_link(url or "", config.get("LINK_CHECK_TIMEOUT", 10.0),
                            config.get("LINK_CHECK_ALLOW_PRIVATE", False))
        material.link_ok, material.link_problem = result.ok, result.problem
        material.link_checked_at = utcnow()
        if not result.ok:
            dead.append(material.id)
        progress(url or "")
    return dead
