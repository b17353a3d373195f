"""Pages of results: ``next`` and ``prev`` as absolute URLs in the body and in a ``Link``
header (RFC 8288), made from the request's own address with only ``page`` changed, so
every filter the client sent is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request


def page_url(page: int) -> str:
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "page"]
    return f"{request.base_url}?{urlencode([*args, ('page', page)])}"


def page_links(page: int, has_next: bool) -> tuple[str | None, str | None]:
    """The addresses of the next and the previous page, ``None`` where there is none."""
    return (page_url(page + 1) if has_next else None,
            page_url(page - 1) if page > 1 else None)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    has_next: bool
    total: int | None = None

    def links(self) -> tuple[str | None, str | None]:
        return page_links(self.page, self.has_next)

    def body(self) -> dict[str, Any]:
        following, previous = self.links()
        return {"items": self.items, "page": self.page, "per_page": self.per_page,
                "total": self.total, "next": following, "prev": previous}

    def headers(self) -> dict[str, str]:
        return link_header(*self.links())


def link_header(following: str | None, previous: str | None) -> dict[str, str]:
    links = [f'<{url}>; rel="{rel}"' for url, rel in ((following, "next"), (previous, "prev"))
             if url]
    return {"Link": ", ".join(links)} if links else {}
