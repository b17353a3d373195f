"""Log escaping."""

from __future__ import annotations

from oer_portal.core.logs import escape


def test_newlines_and_bidi_controls_are_made_visible():
    assert escape("a\nb\rc\u202ed\x00") == "a\\nb\\rc\\u202ed\\x00"


def test_ordinary_text_is_unchanged():
    assert escape("Zoeken naar 'fietsen' — één keer") == "Zoeken naar 'fietsen' — één keer"
