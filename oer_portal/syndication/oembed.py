"""oEmbed (https://oembed.com/): a material's page address → its embed code, as JSON.

The view finds the material the address names (its page, or its embed view, on one of the
portal's own hosts); this module answers for the version the public sees.  A draft, a
withdrawn material or an address that names no material is *not found*, so oEmbed tells no
more than the public pages do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oer_portal.materials.panels import PageLinks
from oer_portal.remix import service as remix
from oer_portal.syndication import embed

#: How long a consumer may cache an answer (seconds).
CACHE_AGE = 3600


def answer(material_id: int, links: PageLinks, embed_url: Callable[[int], str],
           max_width: int | None, max_height: int | None, provider_name: str,
           provider_url: str) -> dict[str, Any]:
    """The oEmbed ``rich`` response for ``material_id``'s published version."""
    material, version = embed.public_version(material_id)
    width, height = embed.frame_size(max_width, max_height)
    authors = remix.authors_of(material, version, links)
    response: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "title": version.title,
        "provider_name": provider_name,
        "provider_url": provider_url,
        "html": str(embed.iframe_html(embed_url(material.id), version.title, width, height)),
        "width": width,
        "height": height,
        "cache_age": CACHE_AGE,
    }
    if authors:
        response["author_name"] = ", ".join(author.name for author in authors)
        if authors[0].url:
            response["author_url"] = authors[0].url
    return response
