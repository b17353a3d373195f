"""Which requests count as a person using a material.

Not counted, decided from the request alone (nothing about it is kept):

- a user agent that names itself a robot: :data:`ROBOT_PATTERN` (search engines, link
  previews of social networks and chat apps, command-line and library HTTP clients,
  headless browsers), or no user agent at all;
- a prefetch or prerender (``Sec-Purpose`` or ``Purpose: prefetch``, ``X-Moz: prefetch``):
  the browser guesses, nobody looked yet;
- anything but a GET (a HEAD sends no page).

The material's own authors are not counted either (``views.py``: their own checks are not
an audience); moderators and admins are, like any reader, when the page shows the public
version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Parts of a user agent that mark a program rather than a person (case-insensitive).
ROBOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|curl|wget|httpie"
    r"|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java/|libwww"
    r"|headless|lighthouse|monitor",
    re.IGNORECASE)


def is_robot(user_agent: str | None) -> bool:
    return not user_agent or bool(ROBOT_PATTERN.search(user_agent))


def is_prefetch(headers: Mapping[str, str]) -> bool:
    purpose = " ".join(headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz"))
    return "prefetch" in purpose.lower() or "prerender" in purpose.lower()


def counts(method: str, user_agent: str | None, headers: Mapping[str, str]) -> bool:
    """Whether this request may count as a use (the response must succeed as well)."""
    return method == "GET" and not is_robot(user_agent) and not is_prefetch(headers)
