"""The family tree of a material: its sources above it, its remixes below, as data for an
accessible nested list and as an SVG picture drawn on the server.

The picture is a hand-built SVG string (no JavaScript, no drawing library): every piece of
user text in it is escaped, it carries ``role="img"`` with a ``<title>`` and ``<desc>`` that
``aria-labelledby`` names, and it repeats what the list says, so nobody depends on it.
Colours come from classes styled in ``portal.css``, with presentation attributes as the
fallback (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

#: What the picture shows at most; the list always shows everything it was given.
SVG_ANCESTORS = 6
SVG_NODES = 40

NODE_WIDTH = 220
NODE_HEIGHT = 50
GAP_X = 16
GAP_Y = 30
PAD = 6
#: What fits a node at 14 px (bold for the current material) and 12 px.
TITLE_CHARS = 24
LINE_CHARS = 30


@dataclass
class FamilyNode:
    """One material in the family."""

    material_id: int
    title: str
    owner: str
    url: str
    withdrawn: bool = False
    current: bool = False
    children: list[FamilyNode] = field(default_factory=list)

    def walk(self) -> Iterator[FamilyNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class FamilyTree:
    #: The oldest known source; the current material is somewhere under it, marked
    #: ``current``; the chain to it has one child per generation.
    root: FamilyNode
    current: FamilyNode
    #: Sources of the current material, nearest first.
    ancestors: tuple[FamilyNode, ...]
    #: More sources or remixes exist than were looked up.
    truncated: bool = False

    @property
    def descendant_count(self) -> int:
        return sum(1 for _node in self.current.walk()) - 1

    @property
    def is_alone(self) -> bool:
        """Neither sources nor remixes: nothing to draw."""
        return not self.ancestors and not self.current.children


def build(current: FamilyNode, ancestors: list[FamilyNode], truncated: bool = False
          ) -> FamilyTree:
    """Hang ``current`` (with its remixes as children) under its chain of sources."""
    current.current = True
    root = current
    for ancestor in ancestors:
        ancestor.children = [root]
        root = ancestor
    return FamilyTree(root, current, tuple(ancestors), truncated)


# -- The picture --------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _pruned(tree: FamilyTree) -> tuple[FamilyNode, bool]:
    """A copy small enough to draw: the nearest sources and the first remixes (breadth
    first); whether anything was left out."""
    ancestors = tree.ancestors[:SVG_ANCESTORS]
    cut = len(tree.ancestors) > SVG_ANCESTORS
    current = FamilyNode(tree.current.material_id, tree.current.title, tree.current.owner,
                         tree.current.url, tree.current.withdrawn, True)
    budget = SVG_NODES - 1 - len(ancestors)
    queue = [(tree.current, current)]
    while queue:
        original, copy = queue.pop(0)
        for child in original.children:
            if budget <= 0:
                cut = True
                break
            budget -= 1
            child_copy = FamilyNode(child.material_id, child.title, child.owner, child.url,
                                    child.withdrawn)
            copy.children.append(child_copy)
            queue.append((child, child_copy))
    root = current
    for ancestor in ancestors:
        root = FamilyNode(ancestor.material_id, ancestor.title, ancestor.owner, ancestor.url,
                          ancestor.withdrawn, children=[root])
    return root, cut


def _place(node: FamilyNode, depth: int, next_slot: list[int],
           out: list[tuple[FamilyNode, float, int]]) -> float:
    """Leaves take the next free column; a parent sits centred over its children."""
    if node.children:
        slots = [_place(child, depth + 1, next_slot, out) for child in node.children]
        slot = (slots[0] + slots[-1]) / 2
    else:
        slot = float(next_slot[0])
        next_slot[0] += 1
    out.append((node, slot, depth))
    return slot


def render_svg(tree: FamilyTree, title: str, description: str, withdrawn_label: str,
               more_label: str, id_prefix: str = "family") -> Markup:
    """The tree as inline SVG; ``title``/``description`` are its accessible name and
    description, the labels are translated by the caller."""
    root, cut = _pruned(tree)
    placed: list[tuple[FamilyNode, float, int]] = []
    columns = [0]
    _place(root, 0, columns, placed)
    depth = max(d for _n, _s, d in placed) + 1
    width = columns[0] * (NODE_WIDTH + GAP_X) - GAP_X + 2 * PAD
    height = depth * (NODE_HEIGHT + GAP_Y) - GAP_Y + 2 * PAD + (24 if cut else 0)

    def left(slot: float) -> float:
        return PAD + slot * (NODE_WIDTH + GAP_X)

    def top(level: int) -> float:
        return PAD + level * (NODE_HEIGHT + GAP_Y)

    where = {id(node): (slot, level) for node, slot, level in placed}
    parts: list[Markup] = [Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="family-tree__svg" role="img" '
        'aria-labelledby="{p}-svg-title {p}-svg-desc" width="{w:g}" height="{h:g}" '
        'viewBox="0 0 {w:g} {h:g}" font-family="system-ui, sans-serif">'
        '<title id="{p}-svg-title">{t}</title><desc id="{p}-svg-desc">{d}</desc>'
    ).format(p=id_prefix, w=width, h=height, t=title, d=description)]
    for node, slot, level in placed:
        for child in node.children:
            child_slot, child_level = where[id(child)]
            x1, x2 = left(slot) + NODE_WIDTH / 2, left(child_slot) + NODE_WIDTH / 2
            y1, y2 = top(level) + NODE_HEIGHT, top(child_level)
            middle = (y1 + y2) / 2
            parts.append(Markup(
                '<path class="family-tree__edge" d="M{:g} {:g} V{:g} H{:g} V{:g}" '
                'fill="none" stroke="#4d5860" stroke-width="1.5"/>').format(
                    x1, y1, middle, x2, y2))
    for node, slot, level in placed:
        parts.append(_node(node, left(slot), top(level), withdrawn_label))
    if cut:
        parts.append(Markup(
            '<text class="family-tree__more" x="{:g}" y="{:g}" font-size="13" '
            'fill="#4d5860">{}</text>').format(PAD, height - PAD - 4, more_label))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _node(node: FamilyNode, x: float, y: float, withdrawn_label: str) -> Markup:
    classes = "family-tree__node"
    stroke, fill, width, dash = "#4d5860", "#ffffff", "1.5", "none"
    if node.current:
        classes += " family-tree__node--current"
        stroke, fill, width = "#0b5f66", "#e3f1f2", "3"
    if node.withdrawn:
        classes += " family-tree__node--withdrawn"
        dash = "5 3"
    second = withdrawn_label if node.withdrawn else node.owner
    return Markup(
        '<g class="{c}"><rect x="{x:g}" y="{y:g}" width="{w}" height="{h}" rx="6" '
        'fill="{f}" stroke="{s}" stroke-width="{sw}" stroke-dasharray="{dash}"/>'
        '<text x="{tx:g}" y="{ty1:g}" font-size="14" font-weight="{fw}" fill="#1d2327">{t}</text>'
        '<text x="{tx:g}" y="{ty2:g}" font-size="12" fill="#4d5860">{o}</text></g>'
    ).format(c=classes, x=x, y=y, w=NODE_WIDTH, h=NODE_HEIGHT, f=fill, s=stroke, sw=width,
             dash=dash, tx=x + 10, ty1=y + 21, ty2=y + 39,
             fw="700" if node.current else "400", t=_shorten(node.title, TITLE_CHARS),
             o=_shorten(second, LINE_CHARS))
