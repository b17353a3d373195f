"""The limits of ``core/markdown_limits.py`` (issue 16): what they refuse, and that the worst
inputs they let through still render (``bench/markdown_bench.py`` measures how fast)."""

from __future__ import annotations

import json

import pytest

from oer_portal.core.markdown import _render
from oer_portal.core.markdown_limits import (
    FORM_BYTES_PER_CHAR,
    JSON_BYTES_PER_CHAR,
    MAX_HTML_TAGS,
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    URLENCODED_BYTES_PER_CHAR,
    SourceProblem,
    request_bytes_for,
    source_problem,
)

LESSON = "## Breuken\n\n> Een citaat.\n\n- een\n  - twee\n    1. drie\n\nZie <https://example.org>.\n"
#: Python-Markdown recursed until ``RecursionError`` on 300 levels of indented lists.
DEEP_LISTS = "".join("    " * level + "- x\n" for level in range(300))


def test_a_lesson_is_within_the_limits():
    assert source_problem(LESSON) is None
    assert source_problem("x" * MAX_SOURCE_CHARS) is None


@pytest.mark.parametrize("source, problem", [
    ("x" * (MAX_SOURCE_CHARS + 1), SourceProblem.TOO_LONG),
    (">" * (MAX_NESTING + 1) + " x", SourceProblem.TOO_DEEP),
    ("> " * (MAX_NESTING + 1) + "x", SourceProblem.TOO_DEEP),
    ("- " * (MAX_NESTING + 1) + "x", SourceProblem.TOO_DEEP),
    ("Tekst\n\n" + "1. " * (MAX_NESTING + 1) + "x", SourceProblem.TOO_DEEP),
    (DEEP_LISTS, SourceProblem.TOO_DEEP),
    ("<http://" * (MAX_HTML_TAGS + 1), SourceProblem.TOO_MANY_TAGS),
    ("<div>" * (MAX_HTML_TAGS + 1), SourceProblem.TOO_MANY_TAGS),
])
def test_what_the_limits_refuse(source, problem):
    assert source_problem(source) == problem


def test_a_shorter_limit_for_a_page():
    assert source_problem("x" * 1001, max_chars=1000) == SourceProblem.TOO_LONG


def test_the_refused_nesting_crashes_the_renderer():
    """Why the nesting cap exists: not slowness alone, the renderer itself gives up."""
    _render.cache_clear()
    with pytest.raises(RecursionError):
        _render(DEEP_LISTS)


@pytest.mark.parametrize("source", [
    "".join("    " * level + "- x\n" for level in range(MAX_NESTING)),
    "> " * MAX_NESTING + "x",
    "- " * MAX_NESTING + "x",
    "<http://" * MAX_HTML_TAGS,
    "<div>" * MAX_HTML_TAGS,
])
def test_the_worst_inputs_at_the_limits_render(source):
    assert source_problem(source) is None
    _render.cache_clear()
    assert _render(source).html


def test_code_indentation_and_rules_within_the_limit_are_not_nesting():
    code = "    def f():\n" + "".join("    " * (level + 2) + "pass\n" for level in range(20))
    assert source_problem(code) is None
    assert source_problem("* * * * * * * * * *\n") is None  # a horizontal rule


def test_a_request_cap_holds_the_longest_text_in_any_encoding():
    from urllib.parse import quote

    longest = "€" * MAX_SOURCE_CHARS
    assert request_bytes_for(MAX_SOURCE_CHARS, FORM_BYTES_PER_CHAR) > len(longest.encode())
    assert request_bytes_for(MAX_SOURCE_CHARS, URLENCODED_BYTES_PER_CHAR) > len(quote(longest))
    assert request_bytes_for(MAX_SOURCE_CHARS, JSON_BYTES_PER_CHAR) > len(json.dumps(longest))
