"""A coarse device label from a User-Agent header: browser family and operating system only
("Firefox", "Linux"), enough to recognise one's own sessions and no more (no versions, no
fingerprint)."""

from __future__ import annotations

#: First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("EdgiOS", "Edge"), ("EdgA/", "Edge"), ("OPR/", "Opera"),
             ("Opera", "Opera"), ("SamsungBrowser", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
             ("Chromium", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_PLATFORMS = (("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"),
              ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
              ("Macintosh", "macOS"), ("Linux", "Linux"), ("X11", "Unix"))


def _first(agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for marker, name in table if marker in agent), None)


def describe(user_agent: str | None) -> tuple[str | None, str | None]:
    """``(browser, platform)``; ``None`` for what the header does not say plainly."""
    agent = (user_agent or "")[:512]
    return _first(agent, _BROWSERS), _first(agent, _PLATFORMS)
