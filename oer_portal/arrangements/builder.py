"""The builder form: the outline travels in the form as ``node-<i>-<field>`` inputs, and each
button (move, indent, remove, add, find, include) sends the whole form back with ``action``.
The server applies the action and shows the builder again, unsaved, so the builder works
without JavaScript and a half-finished outline is never lost; only "Save" writes a version.

``run`` is the one place a button is answered: the full edit page (no JavaScript) and the
fragment that ``static/js/builder.js`` swaps in place both render its ``Builder`` with
``templates/arrangements/_builder.html``, so the two can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service, structure
from oer_portal.arrangements.structure import Node, NodeKind, Outline
from oer_portal.collections import records
from oer_portal.core.numbers import parse_id
from oer_portal.materials.models import MaterialKind, MaterialVersion
from oer_portal.search import service as search_service

_EDITS: dict[str, Callable[[Outline, int], Outline]] = {
    "up": structure.move_up, "down": structure.move_down, "indent": structure.indent,
    "outdent": structure.outdent, "remove": structure.remove,
}
TOOLS = tuple(_EDITS)
_ACTION = re.compile(r"^(up|down|indent|outdent|remove)-(\d{1,4})$")
_INCLUDE = re.compile(r"^include-(\d{1,12})$")
_INCLUDE_RECORD = re.compile(r"^include-record-(\d{1,12})$")
#: A material's number or any of its addresses (``/materials/12-slug``, ``/materials/12/v/3``).
_MATERIAL_REFERENCE = re.compile(r"^\s*(?:\d{1,12}|\S*?/materials/(\d{1,12})\S*)\s*$")


def outline_from_form(form: Mapping[str, str]) -> Outline:
    """The outline as the form sent it; unknown or malformed parts are dropped, never an
    error (a tampered form cannot do more than an honest one)."""
    count = min(parse_id(form.get("nodes")) or 0, structure.MAX_NODES + 1)
    nodes: list[Node] = []
    for i in range(count):
        try:
            kind = NodeKind(form.get(f"node-{i}-kind", ""))
        except ValueError:
            continue
        nodes.append(Node(
            kind=kind, depth=parse_id(form.get(f"node-{i}-depth")) or 0,
            title=form.get(f"node-{i}-title", "")[:structure.MAX_TITLE * 2],
            body=form.get(f"node-{i}-body", "") if kind == NodeKind.PAGE else "",
            material_id=parse_id(form.get(f"node-{i}-material"))
            if kind == NodeKind.MATERIAL else None,
            pinned_version_id=parse_id(form.get(f"node-{i}-pin"))
            if kind == NodeKind.MATERIAL else None,
            # Cut, not trusted: an overlong address stays overlong, so the check refuses it.
            url=form.get(f"node-{i}-url", "")[:structure.MAX_URL + 1]
            if kind == NodeKind.LINK else "",
            record_id=parse_id(form.get(f"node-{i}-record")) if kind == NodeKind.LINK else None))
    return structure.normalise(nodes)


def material_reference(text: str) -> int | None:
    """The material a teacher pasted: its number or its address; ``None`` for search words."""
    match = _MATERIAL_REFERENCE.match(text or "")
    if not match:
        return None
    return parse_id(match.group(1) or text.strip())


def apply(action: str, outline: Outline, link: Node | None = None) -> Outline:
    """The outline after one builder button; an unknown action changes nothing.  ``link``:
    the link part "add-link" and "include-record-…" add (checked by ``run``)."""
    if action == "add-link" or _INCLUDE_RECORD.match(action):
        return structure.append(outline, link) if link is not None else outline
    if action == "add-section":
        return structure.append(outline, Node(NodeKind.SECTION))
    if action == "add-page":
        return structure.append(outline, Node(NodeKind.PAGE))
    include = _INCLUDE.match(action)
    if include and parse_id(include.group(1)) is not None:
        return structure.append(outline, Node(NodeKind.MATERIAL,
                                              material_id=parse_id(include.group(1))))
    edit = _ACTION.match(action)
    if edit:
        return _EDITS[edit.group(1)](outline, int(edit.group(2)))
    return outline


# -- What the builder shows after a button ----------------------------------------------------

FOUND_LIMIT = 10
MAX_QUERY = 200
_OPPOSITE = {"up": "down", "down": "up", "indent": "outdent", "outdent": "indent"}


@dataclass
class Builder:
    """What the builder part of the edit page shows."""

    outline: Outline
    embedded: dict[int, service.Embedded]
    pins: dict[int, list[MaterialVersion]]
    errors: dict[int | None, list[str]] = field(default_factory=dict)
    found: list[search_service.Hit] | None = None
    #: Harvested records from other collections matching the find words.
    found_records: list[search_service.Hit] = field(default_factory=list)
    find_query: str = ""
    #: What was typed in "Add a web link" (kept when it could not be added), and why not.
    link_title: str = ""
    link_url: str = ""
    link_error: str = ""
    #: Link part index → the harvested record it came from (with its collection's name).
    linked: dict[int, records.RecordLink] = field(default_factory=dict)
    #: Set after a button changed the outline: the part to put the focus on, and the tool
    #: button to focus there (``None``: its first field), so a keyboard user can press
    #: "up" again and again.
    focus: int | None = None
    focus_tool: str | None = None
    #: A button was pressed (the page is the answer to it, not a fresh or saved form).
    acted: bool = False
    #: What the button did, in a sentence for screen readers (``builder.js`` puts it in a
    #: live region: the part moved where the user cannot see it happen).
    announcement: str = ""
    #: The form holds work that is not saved (any answer to a POST); ``builder.js`` warns
    #: before the page is left.
    unsaved: bool = False

    @cached_property
    def numbers(self) -> dict[int, str]:
        """Part index → its number ("1.2"); the template reads it once per part."""
        return {item.index: item.number for item in structure.walk(structure.tree(self.outline))}

    def tools(self, index: int) -> dict[str, bool]:
        """Each tool of a part and whether it would change anything (else it is disabled)."""
        return {name: apply(f"{name}-{index}", self.outline) != self.outline
                for name in TOOLS}

    def focused_tool(self, index: int, tools: dict[str, bool]) -> str | None:
        """The tool button that gets the focus on part ``index``: the one just pressed, or
        when the part went as far as it can (the button is disabled now) the opposite one;
        ``None`` puts the focus on the part's first field."""
        if self.focus != index or self.focus_tool is None:
            return None
        for tool in (self.focus_tool, _OPPOSITE.get(self.focus_tool)):
            if tool and tools.get(tool):
                return tool
        return None

    @property
    def focus_on_add(self) -> bool:
        """After a button that left no part to focus (the last part removed), the focus
        goes to "Add a section" rather than to the top of the page."""
        return self.acted and self.focus is None and self.found is None \
            and not self.link_error


def start(actor: Actor, outline: Outline, **extra: object) -> Builder:
    """The builder showing ``outline``, its included materials as ``actor`` may see them."""
    return Builder(outline, service.resolve(actor, outline),
                   service.pinnable_versions(structure.embedded_ids(outline)),
                   linked=service.linked_records(outline), **extra)


@dataclass(frozen=True)
class LinkInput:
    """The "Add a web link" fields as the form sent them."""

    title: str = ""
    url: str = ""


def _new_link(action: str, typed: LinkInput) -> tuple[Node | None, str]:
    """The link part ``action`` would add and, when it cannot, why not (a message)."""
    record = _INCLUDE_RECORD.match(action)
    if record:
        number = parse_id(record.group(1))
        found = records.get_record(number) if number is not None else None
        if found is None or not structure.is_web_address(found.url):
            return None, _("This record is no longer available in its collection, so it "
                           "cannot be added.")
        return Node(NodeKind.LINK, title=(found.title.strip() or found.url)[:structure.MAX_TITLE],
                    url=found.url, record_id=found.id), ""
    title, url = " ".join(typed.title.split()), typed.url.strip()
    if not title:
        return None, _("Give the link a title.")
    if len(title) > structure.MAX_TITLE:
        return None, _("This part is too long.")
    problem = structure.link_problem(url)
    if problem is not None:
        return None, service.problem_message(problem)
    return Node(NodeKind.LINK, title=title, url=url), ""


def run(actor: Actor, action: str, outline: Outline, find_query: str = "",
        link: LinkInput | None = None) -> Builder:
    """One builder button: change the outline (unsaved) or look for materials to include."""
    if action == "add-link" or _INCLUDE_RECORD.match(action):
        typed = link or LinkInput()
        node, error = _new_link(action, typed)
        if node is None:
            keep = typed if action == "add-link" else LinkInput()
            return start(actor, outline, acted=True, unsaved=True, link_error=error,
                         link_title=keep.title[:structure.MAX_TITLE],
                         link_url=keep.url[:structure.MAX_URL], announcement=error)
        changed = apply(action, outline, node)
        state = start(actor, changed, focus=len(changed) - 1, acted=True, unsaved=True)
        state.announcement = _("Link %(number)s added.", number=state.numbers[len(changed) - 1])
        return state
    if action != "find":
        changed = apply(action, outline)
        tool = action.partition("-")[0]
        state = start(actor, changed, focus=_focus_after(action, outline, changed),
                      focus_tool=tool if tool in TOOLS and tool != "remove" else None,
                      acted=True, unsaved=True)
        state.announcement = _announcement(action, outline, state)
        return state
    query = find_query.strip()[:MAX_QUERY]
    reference = material_reference(query)
    if reference is not None:
        return run(actor, f"include-{reference}", outline)
    # One search for both: the portal's materials (not arrangements: they do not nest) and
    # the records of other collections, which become link parts.
    found = search_service.search(search_service.SearchRequest(
        query=query, per_page=2 * FOUND_LIMIT + 5)).hits if query else []
    hits = [hit for hit in found
            if not hit.is_record and hit.kind != MaterialKind.ARRANGEMENT][:FOUND_LIMIT]
    found_records = [hit for hit in found if hit.is_record][:FOUND_LIMIT]
    announcement = ngettext("%(num)d material found.", "%(num)d materials found.",
                            len(hits)) if hits \
        else _("No published material matches these words.")
    if found_records:
        announcement += " " + ngettext("%(num)d record from other collections found.",
                                       "%(num)d records from other collections found.",
                                       len(found_records))
    return start(actor, outline, found=hits, found_records=found_records, find_query=query,
                 acted=True, unsaved=True, announcement=announcement)


def _focus_after(action: str, before: Outline, after: Outline) -> int | None:
    if action.startswith(("add-", "include-")):
        return len(after) - 1 if len(after) > len(before) else None
    kind, _sep, number = action.partition("-")
    if not number.isdigit() or int(number) >= len(before):
        return None
    if kind == "remove":
        return min(int(number), len(after) - 1) if after else None
    moved = replace(before[int(number)], depth=0)
    places = [i for i, node in enumerate(after) if replace(node, depth=0) == moved]
    return min(places, key=lambda i: abs(i - int(number))) if places else None


def _announcement(action: str, before: Outline, state: Builder) -> str:
    """The sentence a screen reader hears after ``action``; empty when nothing changed."""
    after = state.outline
    if after == before:
        return ""
    tool, _sep, number = action.partition("-")
    if tool == "remove":
        old = {item.index: item.number for item in structure.walk(structure.tree(before))}
        removed = before[int(number)]
        if removed.kind == NodeKind.SECTION and structure.subtree_end(before, int(number)) \
                > int(number) + 1:
            return _("Section %(number)s removed; what it held moved up a level.",
                     number=old[int(number)])
        return _("Part %(number)s removed.", number=old[int(number)])
    if state.focus is None:
        return ""
    now = state.numbers[state.focus]
    if action == "add-section":
        return _("Section %(number)s added.", number=now)
    if action == "add-page":
        return _("Page %(number)s added.", number=now)
    if tool == "include":
        item = state.embedded.get(state.focus)
        if item is not None and item.version is not None:
            return _("“%(title)s” included as part %(number)s.", title=item.version.title,
                     number=now)
        return _("Material %(id)s included as part %(number)s.", id=number, number=now)
    return {
        "up": _("Moved up: now part %(number)s.", number=now),
        "down": _("Moved down: now part %(number)s.", number=now),
        "indent": _("Moved into the section above: now part %(number)s.", number=now),
        "outdent": _("Moved out of its section: now part %(number)s.", number=now),
    }.get(tool, "")
