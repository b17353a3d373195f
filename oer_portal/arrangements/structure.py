"""An arrangement's outline as a value: validation, the builder's edits, merge, plain text.

An outline is a tuple of nodes in reading order (preorder), each with a depth.  Sections
may hold sections and pages; pages (own Markdown) and embedded materials are leaves.  The
builder edits the outline as a whole (move, indent, remove, add) before anything is saved,
so the same pure functions serve the form without JavaScript, the merge of concurrent edits
and the tests.  Nothing here touches the database or Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from oer_portal.core.markdown_limits import MAX_SOURCE_CHARS, SourceProblem, source_problem

MAX_NODES = 200
MAX_DEPTH = 3
MAX_TITLE = 300
MAX_PAGE = 100_000
#: All pages' text together: each save renders every page, so the outline as a whole is
#: bounded like one lesson's text (twice over), not only each page.
MAX_PAGES_TEXT = 2 * MAX_SOURCE_CHARS
#: The longest web address a link part keeps (the column's size, a harvested record's too).
MAX_URL = 1000
#: The schemes a link part may open: a reader's browser follows it, so never ``javascript:``
#: or ``data:``.
WEB_SCHEMES = ("http", "https")


class NodeKind(StrEnum):
    SECTION = "section"
    PAGE = "page"
    MATERIAL = "material"
    #: A web address elsewhere, typed in or taken from a harvested record (issue 15).
    LINK = "link"


@dataclass(frozen=True)
class Node:
    kind: NodeKind
    depth: int = 0
    #: A section's or page's title; for an embedded material an optional caption.
    title: str = ""
    #: A page's Markdown.
    body: str = ""
    #: An embedded material and the version it is pinned to (``None``: follow the newest
    #: published version).
    material_id: int | None = None
    pinned_version_id: int | None = None
    #: A link's web address, and the harvested record it was taken from (if any).
    url: str = ""
    record_id: int | None = None

    @property
    def is_leaf(self) -> bool:
        return self.kind != NodeKind.SECTION


Outline = tuple[Node, ...]


class Problem(StrEnum):
    """Why an outline cannot be saved; the service turns these into messages."""

    TOO_MANY = "too_many"
    TOO_DEEP = "too_deep"
    ORPHAN = "orphan"  # deeper than the section before it allows
    UNTITLED = "untitled"
    TOO_LONG = "too_long"
    NO_MATERIAL = "no_material"
    NO_URL = "no_url"
    BAD_URL = "bad_url"  # not an absolute http(s) address
    LONG_URL = "long_url"
    TOO_MUCH_TEXT = "too_much_text"  # all pages together over MAX_PAGES_TEXT
    #: A page's Markdown over the limits of ``core/markdown_limits.py``.
    NESTED_TOO_DEEP = "nested_too_deep"
    TOO_MANY_TAGS = "too_many_tags"


@dataclass(frozen=True)
class OutlineError:
    problem: Problem
    #: The node's index in the outline, ``None`` for the outline as a whole.
    index: int | None = None


def normalise(outline: Iterable[Node]) -> Outline:
    """Trim text and clamp every depth to what the nodes before it allow (a page cannot hold
    anything, the first node is at the top)."""
    result: list[Node] = []
    for node in outline:
        allowed = _max_depth_after(result)
        depth = max(0, min(node.depth, allowed, MAX_DEPTH - 1))
        result.append(replace(node, depth=depth, title=node.title.strip(),
                              body=node.body.replace("\r\n", "\n"), url=node.url.strip()))
    return tuple(result)


def _max_depth_after(previous: Sequence[Node]) -> int:
    if not previous:
        return 0
    last = previous[-1]
    return last.depth + 1 if last.kind == NodeKind.SECTION else last.depth


def problems(outline: Outline) -> list[OutlineError]:
    """Everything wrong with ``outline``; empty when it may be saved."""
    errors: list[OutlineError] = []
    if len(outline) > MAX_NODES:
        errors.append(OutlineError(Problem.TOO_MANY))
    if sum(len(node.body) for node in outline) > MAX_PAGES_TEXT:
        errors.append(OutlineError(Problem.TOO_MUCH_TEXT))
    for index, node in enumerate(outline):
        if node.depth >= MAX_DEPTH:
            errors.append(OutlineError(Problem.TOO_DEEP, index))
        elif node.depth > _max_depth_after(outline[:index]):
            errors.append(OutlineError(Problem.ORPHAN, index))
        if node.kind in (NodeKind.SECTION, NodeKind.PAGE, NodeKind.LINK) and not node.title:
            errors.append(OutlineError(Problem.UNTITLED, index))
        if len(node.title) > MAX_TITLE or len(node.body) > MAX_PAGE:
            errors.append(OutlineError(Problem.TOO_LONG, index))
        elif node.body:
            text_problem = source_problem(node.body, MAX_PAGE)
            if text_problem is not None:
                errors.append(OutlineError(_TEXT_PROBLEMS[text_problem], index))
        if node.kind == NodeKind.MATERIAL and node.material_id is None:
            errors.append(OutlineError(Problem.NO_MATERIAL, index))
        if node.kind == NodeKind.LINK:
            url_problem = link_problem(node.url)
            if url_problem is not None:
                errors.append(OutlineError(url_problem, index))
    return errors


_TEXT_PROBLEMS = {SourceProblem.TOO_LONG: Problem.TOO_LONG,
                  SourceProblem.TOO_DEEP: Problem.NESTED_TOO_DEEP,
                  SourceProblem.TOO_MANY_TAGS: Problem.TOO_MANY_TAGS}


def link_problem(url: str) -> Problem | None:
    """What is wrong with a link part's address: it must be an absolute ``http``/``https``
    address with a host, without spaces or control characters, at most ``MAX_URL`` long
    (a hand-made form could send ``javascript:`` or a megabyte)."""
    if not url:
        return Problem.NO_URL
    if len(url) > MAX_URL:
        return Problem.LONG_URL
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return Problem.BAD_URL
    try:
        parts = urlsplit(url)
    except ValueError:
        return Problem.BAD_URL
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return Problem.BAD_URL
    return None


def is_web_address(url: str) -> bool:
    return link_problem(url) is None


# -- The builder's edits ----------------------------------------------------------------------


def subtree_end(outline: Outline, index: int) -> int:
    """The index just after ``outline[index]`` and everything under it."""
    depth = outline[index].depth
    end = index + 1
    while end < len(outline) and outline[end].depth > depth:
        end += 1
    return end


def move_up(outline: Outline, index: int) -> Outline:
    """Swap the node (with what it holds) with the sibling before it."""
    if not 0 < index < len(outline):
        return outline
    depth = outline[index].depth
    previous = index - 1
    while previous >= 0 and outline[previous].depth > depth:
        previous -= 1
    if previous < 0 or outline[previous].depth != depth:
        return outline
    end = subtree_end(outline, index)
    return outline[:previous] + outline[index:end] + outline[previous:index] + outline[end:]


def move_down(outline: Outline, index: int) -> Outline:
    if not 0 <= index < len(outline):
        return outline
    end = subtree_end(outline, index)
    if end >= len(outline) or outline[end].depth != outline[index].depth:
        return outline
    return move_up(outline, end)


def indent(outline: Outline, index: int) -> Outline:
    """Put the node (with what it holds) into the section just above it."""
    if not 0 < index < len(outline):
        return outline
    end = subtree_end(outline, index)
    if outline[index].depth + 1 > _max_depth_after(outline[:index]):
        return outline
    if max(node.depth for node in outline[index:end]) + 1 >= MAX_DEPTH:
        return outline
    return outline[:index] + tuple(replace(n, depth=n.depth + 1) for n in outline[index:end]) \
        + outline[end:]


def outdent(outline: Outline, index: int) -> Outline:
    """Take the node (with what it holds) out of its section; the siblings after it stay
    in the section."""
    if not 0 <= index < len(outline) or outline[index].depth == 0:
        return outline
    end = subtree_end(outline, index)
    parent_end = end
    while parent_end < len(outline) and outline[parent_end].depth >= outline[index].depth:
        parent_end += 1
    moved = tuple(replace(n, depth=n.depth - 1) for n in outline[index:end])
    return outline[:index] + outline[end:parent_end] + moved + outline[parent_end:]


def remove(outline: Outline, index: int) -> Outline:
    """Remove the node; a section's contents move up a level instead of disappearing."""
    if not 0 <= index < len(outline):
        return outline
    end = subtree_end(outline, index)
    lifted = tuple(replace(n, depth=n.depth - 1) for n in outline[index + 1:end])
    return outline[:index] + lifted + outline[end:]


def append(outline: Outline, node: Node) -> Outline:
    """Add ``node`` at the end, inside the last section when there is one."""
    depth = 0 if node.kind == NodeKind.SECTION else _max_depth_after(outline)
    return (*outline, replace(node, depth=min(depth, MAX_DEPTH - 1)))


# -- Merge, text and tree ---------------------------------------------------------------------


def merge(base: Outline, mine: Outline, theirs: Outline) -> Outline | None:
    """Three-way merge at the level of the whole outline: the side that changed it wins;
    ``None`` when both changed it differently (the caller reports a conflict)."""
    if mine in (base, theirs):
        return theirs
    if theirs == base:
        return mine
    return None


def embedded_ids(outline: Iterable[Node]) -> list[int]:
    return [n.material_id for n in outline
            if n.kind == NodeKind.MATERIAL and n.material_id is not None]


@dataclass
class TreeNode:
    """A node with its place in the outline and its children, for rendering."""

    node: Node
    index: int
    number: str
    children: list[TreeNode] = field(default_factory=list)


def tree(outline: Outline) -> list[TreeNode]:
    """The outline as nested nodes, numbered "1", "1.2", … for the table of contents."""
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    for index, node in enumerate(outline):
        while stack and stack[-1].node.depth >= node.depth:
            stack.pop()
        siblings = stack[-1].children if stack else roots
        prefix = f"{stack[-1].number}." if stack else ""
        item = TreeNode(node, index, f"{prefix}{len(siblings) + 1}")
        siblings.append(item)
        stack.append(item)
    return roots


def walk(nodes: Iterable[TreeNode]) -> Iterator[TreeNode]:
    for item in nodes:
        yield item
        yield from walk(item.children)


# -- Reading order ----------------------------------------------------------------------------


def readable(outline: Sequence[Node]) -> list[int]:
    """The parts a reader goes through one after another: every part but the sections, whose
    own pages only list what they hold (the table of contents does that already)."""
    return [index for index, node in enumerate(outline) if node.kind != NodeKind.SECTION]


def neighbours(outline: Sequence[Node], index: int) -> tuple[int | None, int | None]:
    """The readable parts before and after part ``index`` (``None``: there is none), for
    "previous" and "next"; from a section's own page they lead to the readable parts
    around it."""
    parts = readable(outline)
    before = [i for i in parts if i < index]
    after = [i for i in parts if i > index]
    return (before[-1] if before else None), (after[0] if after else None)


def ancestors(outline: Sequence[Node], index: int) -> list[int]:
    """The sections that hold part ``index``, outermost first."""
    result: list[int] = []
    depth = outline[index].depth
    for i in range(index - 1, -1, -1):
        if outline[i].depth < depth:
            result.insert(0, i)
            depth = outline[i].depth
    return result
