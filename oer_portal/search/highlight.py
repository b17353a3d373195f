"""Highlighted snippets: the best passages of a material's stored text, query words in ``<mark>``.

Whoosh's highlighter runs the field's analyzer over the whole stored text of every hit, in
Python; here one regular expression built from the query's words and their stems finds the
matches at C speed.  A stem matches with a short ending (``fiets`` marks *fietsen*), which is
what the stemming analyzers matched in the first place.  Everything outside ``<mark>`` is
escaped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from markupsafe import Markup, escape
from whoosh.support.charset import accent_map

FRAGMENT_CHARS = 220
MAX_FRAGMENTS = 2
#: A stem matches a word that goes on for at most this many letters (``leerling`` → *-en*).
MAX_ENDING = 4
#: Matches looked at per text: enough to find the best passages of a long lesson.
MAX_MATCHES = 400


def _accented_forms() -> dict[str, str]:
    """Each plain letter → a character class of it and its accented forms (``e`` →
    ``[eéèêë…]``): the index folds accents, so a query without them marks the word as
    the lesson writes it."""
    forms: dict[str, set[str]] = {}
    for code, plain in accent_map.items():
        accented = chr(code)
        if isinstance(plain, str) and len(plain) == 1 and accented.lower() == accented:
            forms.setdefault(plain.lower(), {plain.lower()}).add(accented)
    return {plain: "[" + "".join(sorted(chars)) + "]" for plain, chars in forms.items()}


_FORMS = _accented_forms()


def _word_pattern(word: str) -> str:
    return "".join(_FORMS.get(char, re.escape(char)) for char in word)


def pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive expression for every word (or stem) worth marking, each letter
    with or without an accent."""
    unique = sorted({fold(w) for w in words if len(w) >= 2}, key=len, reverse=True)
    if not unique:
        return None
    alternatives = "|".join(_word_pattern(w) for w in unique)
    return re.compile(rf"\b(?:{alternatives})\w{{0,{MAX_ENDING}}}\b", re.IGNORECASE)


def fold(word: str) -> str:
    """Lower case without accents, as the index keeps words."""
    return word.translate(accent_map).casefold()


def snippet(text: str, expression: re.Pattern[str] | None,
            fragment_chars: int = FRAGMENT_CHARS, fragments: int = MAX_FRAGMENTS) -> Markup:
    """Up to ``fragments`` passages of ``text`` with the most different matches, in text
    order, joined by an ellipsis; empty when nothing matches."""
    if expression is None or not text:
        return Markup("")
    matches = list(itertools.islice(expression.finditer(text), MAX_MATCHES))
    if not matches:
        return Markup("")
    windows: list[tuple[int, int, int]] = []  # (-distinct words, start, end) per candidate
    j = 0
    for i, first in enumerate(matches):
        limit = first.start() + fragment_chars
        j = max(j, i + 1)
        while j < len(matches) and matches[j].end() <= limit:
            j += 1
        distinct = len({m.group().casefold() for m in matches[i:j]})
        windows.append((-distinct, first.start(), matches[j - 1].end()))
    chosen: list[tuple[int, int]] = []
    for _, start, end in sorted(windows):
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
        if len(chosen) == fragments:
            break
    return Markup(" … ").join(
        _render(text, matches, *_widen(text, start, end, fragment_chars))
        for start, end in sorted(chosen))


def _widen(text: str, start: int, end: int, fragment_chars: int) -> tuple[int, int]:
    """Grow the passage to ``fragment_chars`` around its matches, cut at spaces."""
    spare = max(fragment_chars - (end - start), 0)
    left = max(0, start - spare // 3)
    right = min(len(text), end + spare - (start - left))
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    return left, right


def _render(text: str, matches: list[re.Match[str]], left: int, right: int) -> Markup:
    parts: list[Markup | str] = ["…" if left > 0 else ""]
    position = left
    for match in matches:
        if match.start() < left or match.end() > right:
            continue
        parts.append(escape(text[position:match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group())
        position = match.end()
    parts.append(escape(text[position:right]))
    parts.append("…" if right < len(text) else "")
    return Markup("").join(parts)
