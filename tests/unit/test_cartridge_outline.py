"""Any organisation tree maps onto a valid outline and loses no part: sections deeper than
an arrangement allows are flattened into the deepest section that may hold their parts."""

from __future__ import annotations

import io
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oer_portal.arrangements.cartridge_import import _Mapper
from oer_portal.arrangements.cartridge_manifest import parse_manifest
from oer_portal.arrangements.structure import MAX_DEPTH, NodeKind, normalise, problems
from oer_portal.core.archives import open_archive
from tests.fixtures.cartridges import Link, Page, Section, build

_names = itertools.count()


def _leaf() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda: Page(f"Pagina {next(_names)}", markdown="Tekst")),
        st.builds(lambda: Link(f"Link {next(_names)}", "https://example.org/")))


_trees = st.recursive(
    _leaf(),
    lambda children: st.lists(children, max_size=4).map(
        lambda parts: Section(f"Sectie {next(_names)}", parts)),
    max_leaves=25)


def _leaves(parts: list[Any]) -> list[str]:
    found: list[str] = []
    for part in parts:
        if isinstance(part, Section):
            found.extend(_leaves(list(part.children)))
        else:
            found.append(part.title)
    return found


def _depth(part: Any) -> int:
    if not isinstance(part, Section) or not part.children:
        return 0
    return 1 + max(_depth(child) for child in part.children)


@settings(max_examples=60, deadline=None)
@given(st.lists(_trees, min_size=1, max_size=4))
def test_any_tree_becomes_a_valid_outline_that_keeps_every_part(parts: list[Any]) -> None:
    with open_archive(io.BytesIO(build("Boom", parts))) as archive:
        manifest = parse_manifest(archive.read("imsmanifest.xml"))
        outline = tuple(_Mapper(None, archive, manifest, ()).outline())
    assert problems(outline) == []
    assert normalise(outline) == outline  # already in reading order with allowed depths
    # Every page and link, in reading order.
    assert [n.title for n in outline if n.kind != NodeKind.SECTION] == _leaves(parts)
    # Sections are kept unless they held parts too deep to stay a section.
    sections = [n.title for n in outline if n.kind == NodeKind.SECTION]
    if all(_depth(p) < MAX_DEPTH for p in parts):
        assert len(sections) == sum(1 for _ in _all_sections(parts))


def _all_sections(parts: list[Any]) -> Any:
    for part in parts:
        if isinstance(part, Section):
            yield part
            yield from _all_sections(list(part.children))
