"""The builder form: the outline travels in the form as ``node-<i>-<field>`` inputs, and each
button (move, indent, remove, add) sends the whole form back with ``action``.  The server
applies the action and shows the form again, unsaved, so the builder works without
JavaScript and a half-finished outline is never lost; only "Save" writes a version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from oer_portal.arrangements import structure
from oer_portal.arrangements.structure import Node, NodeKind, Outline

_EDITS: dict[str, Callable[[Outline, int], Outline]] = {
    "up": structure.move_up, "down": structure.move_down, "indent": structure.indent,
    "outdent": structure.outdent, "remove": structure.remove,
}
TOOLS = tuple(_EDITS)
_ACTION = re.compile(r"^(up|down|indent|outdent|remove)-(\d{1,4})$")
_INCLUDE = re.compile(r"^include-(\d{1,12})$")
#: A material's number or any of its addresses (``/materials/12-slug``, ``/materials/12/v/3``).
_MATERIAL_REFERENCE = re.compile(r"^\s*(?:\d{1,12}|\S*?/materials/(\d{1,12})\S*)\s*$")


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


def outline_from_form(form: Mapping[str, str]) -> Outline:
    """The outline as the form sent it; unknown or malformed parts are dropped, never an
    error (a tampered form cannot do more than an honest one)."""
    count = min(_int(form.get("nodes")) or 0, structure.MAX_NODES + 1)
    nodes: list[Node] = []
    for i in range(count):
        try:
            kind = NodeKind(form.get(f"node-{i}-kind", ""))
        except ValueError:
            continue
        nodes.append(Node(
            kind=kind, depth=_int(form.get(f"node-{i}-depth")) or 0,
            title=form.get(f"node-{i}-title", "")[:structure.MAX_TITLE * 2],
            body=form.get(f"node-{i}-body", "") if kind == NodeKind.PAGE else "",
            material_id=_int(form.get(f"node-{i}-material"))
            if kind == NodeKind.MATERIAL else None,
            pinned_version_id=_int(form.get(f"node-{i}-pin"))
            if kind == NodeKind.MATERIAL else None))
    return structure.normalise(nodes)


def material_reference(text: str) -> int | None:
    """The material a teacher pasted: its number or its address; ``None`` for search words."""
    match = _MATERIAL_REFERENCE.match(text or "")
    if not match:
        return None
    return int(match.group(1) or text.strip())


def apply(action: str, outline: Outline) -> Outline:
    """The outline after one builder button; an unknown action changes nothing."""
    if action == "add-section":
        return structure.append(outline, Node(NodeKind.SECTION))
    if action == "add-page":
        return structure.append(outline, Node(NodeKind.PAGE))
    include = _INCLUDE.match(action)
    if include:
        return structure.append(outline, Node(NodeKind.MATERIAL,
                                              material_id=int(include.group(1))))
    edit = _ACTION.match(action)
    if edit:
        return _EDITS[edit.group(1)](outline, int(edit.group(2)))
    return outline
