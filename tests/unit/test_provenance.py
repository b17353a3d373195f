"""The family tree picture: accessible, escaped, laid out without overlaps, and bounded."""

from __future__ import annotations

import re

from defusedxml import ElementTree as ET

from oer_portal.remix.provenance import NODE_WIDTH, SVG_NODES, FamilyNode, build, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def _tree(children: int = 2, ancestors: int = 2):
    current = FamilyNode(10, "Remix <script>alert(1)</script>", "Bea & Co", "/m/10")
    current.children = [FamilyNode(20 + n, f"Remix {n}", "Cor", f"/m/{20 + n}",
                                   withdrawn=n == 0) for n in range(children)]
    sources = [FamilyNode(n, f"Bron {n}", "Anna", f"/m/{n}") for n in range(1, ancestors + 1)]
    return build(current, sources)


def _render(tree) -> str:
    return str(render_svg(tree, "Family of “x”", "2 sources, 2 remixes", "withdrawn",
                          "More in the list."))


def test_the_picture_is_an_image_named_by_its_title_and_description():
    root = ET.fromstring(_render(_tree()))  # well-formed XML, escaped text included
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "family-svg-title family-svg-desc"
    assert root.find(f"{SVG}title").text == "Family of “x”"
    assert root.find(f"{SVG}title").get("id") == "family-svg-title"
    assert root.find(f"{SVG}desc").get("id") == "family-svg-desc"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Remix <script>alert(1)<…" in texts
    assert "Bea & Co" in texts and "withdrawn" in texts


def test_user_text_is_escaped():
    svg = _render(_tree())
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Bea &amp; Co" in svg


def test_the_tree_links_sources_above_and_remixes_below_without_overlap():
    tree = _tree(children=3, ancestors=2)
    assert [node.material_id for node in tree.root.walk()] == [2, 1, 10, 20, 21, 22]
    assert tree.descendant_count == 3 and not tree.is_alone
    root = ET.fromstring(_render(tree))
    boxes = [(float(r.get("x")), float(r.get("y"))) for r in root.iter(f"{SVG}rect")]
    assert len(boxes) == len(set(boxes)) == 6
    assert len(list(root.iter(f"{SVG}path"))) == 5  # one edge per parent-child pair
    width = float(root.get("width"))
    assert all(x >= 0 and x + NODE_WIDTH <= width for x, _y in boxes)


def test_a_huge_family_is_cut_in_the_picture_and_says_so():
    tree = _tree(children=SVG_NODES * 2, ancestors=12)
    svg = _render(tree)
    assert svg.count("<rect") <= SVG_NODES
    assert "More in the list." in svg
    assert tree.descendant_count == SVG_NODES * 2  # the tree itself (the list) keeps all


def test_a_material_alone_has_no_family():
    assert build(FamilyNode(1, "Alleen", "Anna", "/m/1"), []).is_alone


def test_long_titles_are_shortened_in_the_picture():
    current = FamilyNode(1, "Een heel erg lange titel over breuken en procenten", "Anna", "/m")
    current.children = [FamilyNode(2, "Kort", "Bea", "/m/2")]
    svg = _render(build(current, []))
    assert re.search(r">Een heel erg lange tite…<", svg)
