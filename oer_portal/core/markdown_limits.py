"""What Markdown a request may ask us to render: the one place that holds the limits.

Rendering costs time and memory in proportion to the text, and Python-Markdown has inputs
that cost far more than their length (``bench/markdown_limits.py`` measures them), so every
route that renders text a user sent checks it here BEFORE rendering, and caps the size of the
request itself before its form is parsed:

* at most :data:`MAX_SOURCE_CHARS` characters (a lesson's limit; an arrangement page's is
  lower, ``arrangements.structure.MAX_PAGE``);
* at most :data:`MAX_NESTING` levels of block quotes and lists on one line: deeper nesting
  recursed until Python raised ``RecursionError`` (400 levels of indented lists), and 200,000
  ``>`` took 2.5 times a normal lesson;
* at most :data:`MAX_HTML_TAGS` raw HTML tags (``<`` followed by a letter, ``/``, ``!`` or
  ``?``): Python-Markdown's HTML block parser is quadratic in unclosed tags
  (``"<http://" * 25_000`` took 88 s, ``"<div>" * 40_000`` 6.7 s).

Real lessons are far inside all three; the bench shows the worst inputs at the caps stay within
a few times a normal lesson of the same length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from flask import Flask, current_app, request
from flask_babel import gettext as _

__all__ = ["JSON_BYTES_PER_CHAR", "MAX_HTML_TAGS", "MAX_NESTING", "MAX_SOURCE_CHARS",
           "SourceProblem", "cap_request", "describe", "init_app", "markdown_request",
           "request_bytes_for", "source_problem"]

View = TypeVar("View", bound=Callable[..., object])

MAX_SOURCE_CHARS = 200_000
MAX_NESTING = 32
MAX_HTML_TAGS = 2_000

#: What a form or JSON body around the text may add: the other fields, the boundary, a CSRF
#: token.
REQUEST_OVERHEAD_BYTES = 64 * 1024

_HTML_TAG = re.compile(r"<[A-Za-z/!?]")
#: A line's block prefix: spaces, tabs, ``>`` and list markers (``-``, ``*``, ``+``, ``1.``,
#: ``1)``) followed by white space.
_BLOCK_PREFIX = re.compile(r"^(?:[ \t>]|[-*+](?=[ \t])|[0-9]{1,9}[.)](?=[ \t]))*", re.MULTILINE)
_LIST_MARKER = re.compile(r"[-*+](?=[ \t])|[0-9]{1,9}[.)](?=[ \t])")


class SourceProblem(StrEnum):
    """Why a text is not rendered; :func:`describe` says it in the reader's language."""

    TOO_LONG = "too_long"
    TOO_DEEP = "too_deep"
    TOO_MANY_TAGS = "too_many_tags"


#: Bytes a character may take in a multipart form: four in UTF-8.
FORM_BYTES_PER_CHAR = 4
#: In a URL-encoded form: ``%E2%82%AC`` (any character of the Basic Multilingual Plane).
URLENCODED_BYTES_PER_CHAR = 9
#: In JSON: ``\u00e9`` is six bytes, and most clients escape every non-ASCII character.
JSON_BYTES_PER_CHAR = 6


def request_bytes_for(max_chars: int, bytes_per_char: int = FORM_BYTES_PER_CHAR) -> int:
    """The largest request that can carry ``max_chars`` characters, plus the other fields."""
    return bytes_per_char * max_chars + REQUEST_OVERHEAD_BYTES


def _nesting(prefix: str) -> int:
    """Levels of a line's block prefix: each ``>`` and list marker, and every four spaces of
    indentation besides the one space that follows a marker."""
    markers = len(_LIST_MARKER.findall(prefix))
    rest = _LIST_MARKER.sub("", prefix).replace("\t", "    ")
    quotes = rest.count(">")
    spaces = max(0, len(rest) - quotes - quotes - markers)
    return quotes + markers + spaces // 4


def source_problem(source: str, max_chars: int = MAX_SOURCE_CHARS) -> SourceProblem | None:
    """Why ``source`` must not be rendered, or ``None``; linear in its length, so it is cheap
    to ask before rendering (and before saving)."""
    if len(source) > max_chars:
        return SourceProblem.TOO_LONG
    if len(_HTML_TAG.findall(source)) > MAX_HTML_TAGS:
        return SourceProblem.TOO_MANY_TAGS
    for match in _BLOCK_PREFIX.finditer(source):
        prefix = match.group()
        if len(prefix) > MAX_NESTING and _nesting(prefix) > MAX_NESTING:
            return SourceProblem.TOO_DEEP
    return None


def describe(problem: SourceProblem, max_chars: int = MAX_SOURCE_CHARS) -> str:
    """The reason for the writer, with the limit, in the request's language."""
    if problem == SourceProblem.TOO_LONG:
        return _("The text is too long (at most %(max)d characters).", max=max_chars)
    if problem == SourceProblem.TOO_DEEP:
        return _("The text nests quotes or lists too deeply (at most %(max)d levels).",
                 max=MAX_NESTING)
    return _("The text holds too many HTML tags (at most %(max)d, code included). Write "
             "&lt; for a < that does not start a tag.", max=MAX_HTML_TAGS)


def cap_request(max_chars: int = MAX_SOURCE_CHARS, *, files: bool = False,
                bytes_per_char: int = FORM_BYTES_PER_CHAR) -> None:
    """Refuse (413) a request that is larger than ``max_chars`` of text can make it, before
    its body is read.  With ``files`` the form may carry uploads (which the global
    ``MAX_CONTENT_LENGTH`` caps), so only each text field is capped."""
    if request.mimetype == "application/x-www-form-urlencoded":
        bytes_per_char = max(bytes_per_char, URLENCODED_BYTES_PER_CHAR)
    limit = request_bytes_for(max_chars, bytes_per_char)
    request.max_form_memory_size = limit
    if not files or request.mimetype != "multipart/form-data":
        request.max_content_length = limit


@dataclass(frozen=True)
class _Cap:
    max_chars: int
    files: bool


def markdown_request(max_chars: int = MAX_SOURCE_CHARS, *, files: bool = False
                     ) -> Callable[[View], View]:
    """Marks a view whose form carries Markdown: :func:`init_app`'s hook caps its request
    before anything reads the form (the CSRF check does, before the view runs).  Put it
    right under ``@bp.route``."""
    def mark(view: View) -> View:
        view.markdown_request_cap = _Cap(max_chars, files)  # type: ignore[attr-defined]
        return view
    return mark


def _cap_marked_view() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    cap = getattr(view, "markdown_request_cap", None)
    if isinstance(cap, _Cap) and request.method == "POST":
        cap_request(cap.max_chars, files=cap.files)


def init_app(app: Flask) -> None:
    """Call before ``csrf.init_app``: the cap must be set before the first hook reads the
    form, so this hook goes first."""
    app.before_request_funcs.setdefault(None, []).insert(0, _cap_marked_view)
