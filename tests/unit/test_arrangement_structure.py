"""The outline as a value: the builder's edits keep a valid tree and lose nothing, the form
round-trips, numbering follows the tree, and the whole-outline merge picks the changed side."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from oer_portal.arrangements import builder, structure
from oer_portal.arrangements.structure import Node, NodeKind, Problem


def section(title: str, depth: int = 0) -> Node:
    return Node(NodeKind.SECTION, depth, title)


def page(title: str, depth: int = 1) -> Node:
    return Node(NodeKind.PAGE, depth, title, body=f"Tekst van {title}")


OUTLINE = structure.normalise([section("A"), page("a1"), page("a2"), section("B"), page("b1")])


def titles(outline) -> list[tuple[str, int]]:
    return [(n.title, n.depth) for n in outline]


def test_moving_a_section_takes_its_pages_along():
    moved = structure.move_up(OUTLINE, 3)
    assert titles(moved) == [("B", 0), ("b1", 1), ("A", 0), ("a1", 1), ("a2", 1)]
    assert structure.move_down(moved, 0) == OUTLINE


def test_a_page_moves_only_among_its_siblings():
    assert titles(structure.move_up(OUTLINE, 2))[1:3] == [("a2", 1), ("a1", 1)]
    assert structure.move_up(OUTLINE, 1) == OUTLINE  # first in its section
    assert structure.move_down(OUTLINE, 2) == OUTLINE  # last in its section


def test_indent_and_outdent():
    flat = structure.normalise([section("A"), section("B"), page("b1")])
    nested = structure.indent(flat, 1)
    assert titles(nested) == [("A", 0), ("B", 1), ("b1", 2)]
    assert structure.outdent(nested, 1) == flat
    # A page cannot go into a page, and the first part cannot be indented.
    assert structure.indent(OUTLINE, 2) == OUTLINE
    assert structure.indent(OUTLINE, 0) == OUTLINE


def test_outdent_leaves_the_later_siblings_in_the_section():
    out = structure.outdent(OUTLINE, 1)
    assert titles(out) == [("A", 0), ("a2", 1), ("a1", 0), ("B", 0), ("b1", 1)]


def test_removing_a_section_keeps_its_contents():
    assert titles(structure.remove(OUTLINE, 0)) == [("a1", 0), ("a2", 0), ("B", 0), ("b1", 1)]


def test_append_puts_pages_in_the_last_section_and_sections_at_the_top():
    grown = structure.append(OUTLINE, Node(NodeKind.PAGE, title="b2"))
    assert titles(grown)[-1] == ("b2", 1)
    assert titles(structure.append(grown, Node(NodeKind.SECTION, title="C")))[-1] == ("C", 0)


def test_numbers_follow_the_tree():
    numbers = [item.number for item in structure.walk(structure.tree(OUTLINE))]
    assert numbers == ["1", "1.1", "1.2", "2", "2.1"]


def test_problems_name_the_part():
    outline = (Node(NodeKind.PAGE, 1, ""), Node(NodeKind.MATERIAL))
    found = {(e.problem, e.index) for e in structure.problems(outline)}
    assert found == {(Problem.ORPHAN, 0), (Problem.UNTITLED, 0), (Problem.NO_MATERIAL, 1)}


def test_merge_takes_the_side_that_changed_the_outline():
    changed = structure.remove(OUTLINE, 4)
    assert structure.merge(OUTLINE, OUTLINE, changed) == changed
    assert structure.merge(OUTLINE, changed, OUTLINE) == changed
    assert structure.merge(OUTLINE, changed, changed) == changed
    assert structure.merge(OUTLINE, changed, structure.remove(OUTLINE, 0)) is None


def test_material_references():
    assert builder.material_reference("42") == 42
    assert builder.material_reference("https://oer.example/materials/42-breuken") == 42
    assert builder.material_reference("/materials/7/v/3") == 7
    assert builder.material_reference("breuken groep 7") is None
    assert builder.material_reference("") is None


def _as_form(outline) -> dict[str, str]:
    form = {"nodes": str(len(outline))}
    for i, node in enumerate(outline):
        form |= {f"node-{i}-kind": node.kind.value, f"node-{i}-depth": str(node.depth),
                 f"node-{i}-title": node.title, f"node-{i}-body": node.body,
                 f"node-{i}-material": str(node.material_id or ""),
                 f"node-{i}-pin": str(node.pinned_version_id or "")}
    return form


nodes = st.builds(
    Node, kind=st.sampled_from(list(NodeKind)), depth=st.integers(-2, 6),
    title=st.text(max_size=12), body=st.just(""),
    material_id=st.one_of(st.none(), st.integers(1, 50)), pinned_version_id=st.none())
actions = st.lists(st.tuples(st.sampled_from(builder.TOOLS), st.integers(0, 12)), max_size=25)


def _shape_is_valid(outline) -> bool:
    return not any(e.problem in (Problem.ORPHAN, Problem.TOO_DEEP)
                   for e in structure.problems(outline))


@settings(max_examples=300, deadline=None)
@given(st.lists(nodes, max_size=12), actions)
def test_every_sequence_of_edits_keeps_a_valid_tree_and_loses_nothing_but_removals(raw, edits):
    outline = structure.normalise(raw)
    assert _shape_is_valid(outline)
    for tool, index in edits:
        before = outline
        outline = builder.apply(f"{tool}-{index}", outline)
        assert _shape_is_valid(outline), (tool, index, before, outline)
        kept = Counter((n.kind, n.title, n.material_id) for n in outline)
        had = Counter((n.kind, n.title, n.material_id) for n in before)
        if tool == "remove" and index < len(before):
            assert had - kept == Counter([(before[index].kind, before[index].title,
                                           before[index].material_id)])
        else:
            assert kept == had


@settings(max_examples=200, deadline=None)
@given(st.lists(nodes, max_size=12))
def test_the_form_round_trips(raw):
    outline = structure.normalise(
        [n if n.kind != NodeKind.PAGE else Node(n.kind, n.depth, n.title, "x") for n in raw])
    outline = tuple(n if n.kind == NodeKind.MATERIAL else
                    Node(n.kind, n.depth, n.title, n.body) for n in outline)
    form_outline = builder.outline_from_form(_as_form(outline))
    assert form_outline == structure.normalise(outline)


def test_reading_goes_past_the_sections_own_pages():
    outline = structure.normalise([section("A"), page("a1"), section("A2", 1), page("a21", 2),
                                   section("B"), section("C"), page("c1")])
    assert structure.readable(outline) == [1, 3, 6]
    assert structure.neighbours(outline, 1) == (None, 3)
    assert structure.neighbours(outline, 3) == (1, 6)
    assert structure.neighbours(outline, 6) == (3, None)
    # From a section's own page (reached from the table of contents): the parts around it.
    assert structure.neighbours(outline, 0) == (None, 1)
    assert structure.neighbours(outline, 4) == (3, 6)
    assert structure.ancestors(outline, 3) == [0, 2]
    assert structure.ancestors(outline, 6) == [5]
    assert structure.ancestors(outline, 0) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(nodes, max_size=12))
def test_next_visits_every_part_but_the_sections_once_in_order_and_previous_goes_back(raw):
    outline = structure.normalise(raw)
    parts = structure.readable(outline)
    visited, index = [], parts[0] if parts else None
    while index is not None:
        visited.append(index)
        index = structure.neighbours(outline, index)[1]
    assert visited == [i for i, n in enumerate(outline) if n.kind != NodeKind.SECTION]
    for before, after in pairwise(visited):
        assert structure.neighbours(outline, after)[0] == before
    for index in range(len(outline)):
        held_by = structure.ancestors(outline, index)
        assert all(outline[i].kind == NodeKind.SECTION for i in held_by)
        assert [outline[i].depth for i in held_by] == list(range(outline[index].depth))
