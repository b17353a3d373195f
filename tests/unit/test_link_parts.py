"""Link parts in an outline: a title and an absolute http(s) address, nothing a reader's
browser would run or that overflows the column."""

from __future__ import annotations

import pytest

from oer_portal.arrangements.structure import (
    MAX_TITLE,
    MAX_URL,
    Node,
    NodeKind,
    OutlineError,
    Problem,
    append,
    is_web_address,
    link_problem,
    merge,
    normalise,
    problems,
    readable,
)


def link(title: str = "Dijken in beeld", url: str = "https://example.org/dijken",
         depth: int = 0, record_id: int | None = None) -> Node:
    return Node(NodeKind.LINK, depth=depth, title=title, url=url, record_id=record_id)


@pytest.mark.parametrize("url", [
    "https://example.org/", "http://example.org/les?id=3#deel", "HTTPS://EXAMPLE.ORG",
    "https://sub.example.nl:8443/pad/naar%20les", "https://[2001:db8::1]/les",
])
def test_web_addresses_are_accepted(url):
    assert is_web_address(url)
    assert problems((link(url=url),)) == []


@pytest.mark.parametrize(("url", "problem"), [
    ("", Problem.NO_URL),
    ("javascript:alert(1)", Problem.BAD_URL),
    ("JavaScript:alert(1)//https://example.org", Problem.BAD_URL),
    ("data:text/html,<script>alert(1)</script>", Problem.BAD_URL),
    ("ftp://example.org/les", Problem.BAD_URL),
    ("example.org/les", Problem.BAD_URL),
    ("/materials/3", Problem.BAD_URL),
    ("https://", Problem.BAD_URL),
    ("https:///pad", Problem.BAD_URL),
    ("https://exa mple.org/", Problem.BAD_URL),
    ("https://example.org/\nSet-Cookie:x", Problem.BAD_URL),
    ("https://example.org/\x00", Problem.BAD_URL),
    ("https://[::1/", Problem.BAD_URL),
    ("https://example.org/" + "a" * MAX_URL, Problem.LONG_URL),
])
def test_other_addresses_are_refused_with_their_reason(url, problem):
    assert link_problem(url) == problem
    assert problems((link(url=url),)) == [OutlineError(problem, 0)]


def test_a_link_needs_a_title_and_at_most_the_title_length():
    assert problems((link(title=""),)) == [OutlineError(Problem.UNTITLED, 0)]
    assert problems((link(title="x" * (MAX_TITLE + 1)),)) == [OutlineError(Problem.TOO_LONG, 0)]


def test_the_longest_address_is_still_accepted():
    url = "https://example.org/" + "a" * (MAX_URL - len("https://example.org/"))
    assert len(url) == MAX_URL and is_web_address(url)


def test_normalise_trims_the_address_and_a_link_holds_nothing():
    section = Node(NodeKind.SECTION, title="Water")
    outline = normalise((section, link(url="  https://example.org/a  ", depth=1),
                         Node(NodeKind.PAGE, title="Na de link", depth=2)))
    assert outline[1].url == "https://example.org/a"
    # A link is a leaf: what follows it cannot go under it.
    assert outline[2].depth == 1


def test_a_link_is_added_inside_the_last_section_and_is_a_readable_part():
    outline = append((Node(NodeKind.SECTION, title="Water"),), link())
    assert outline[1].depth == 1 and outline[1].is_leaf
    assert readable(outline) == [1]


def test_merge_sees_a_changed_address_as_a_change():
    base = (link(),)
    mine = (link(url="https://example.org/nieuw"),)
    theirs = (link(url="https://example.org/anders"),)
    assert merge(base, mine, base) == mine
    assert merge(base, mine, theirs) is None
    assert merge(base, base, (link(record_id=4),)) == (link(record_id=4),)
