"""Writing and reading arrangements: an outline saved with each version, embeds checked.

An arrangement is a material of kind ``arrangement``: its version holds the title, metadata,
licence and an introduction (the body), and its outline rows (``models.py``).  Saving goes
through the materials service (compare-and-swap, field merge, review), and the outline of
a stale save is merged as a whole: the side that changed it wins; when both did, nothing is
written and the builder shows the user's own outline again on top of the newer version.

Embedding follows the collection rule (ARCHITECTURE.md section 5): an embedded material is
shown unchanged under its own licence, so any known licence may be embedded, ND included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import defer, lazyload, load_only, selectinload

from oer_portal.accounts.policy import PUBLIC, Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.arrangements.structure import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_PAGES_TEXT,
    MAX_URL,
    Node,
    NodeKind,
    Outline,
    OutlineError,
    Problem,
    normalise,
    problems,
    tree,
    walk,
)
from oer_portal.arrangements.structure import merge as merge_outlines
from oer_portal.collections import records as harvested
from oer_portal.core.errors import EditConflict, ValidationError
from oer_portal.core.markdown import html_to_plain_text, render_markdown
from oer_portal.core.markdown_limits import SourceProblem, describe
from oer_portal.extensions import db
from oer_portal.licences.compatibility import may_embed_in_collection
from oer_portal.materials import hooks, policy, queries, rerender
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import AttachmentRef, refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import (
    Material,
    MaterialKind,
    MaterialPublication,
    MaterialStatus,
    MaterialVersion,
)


class InvalidOutline(ValidationError):
    """Some nodes cannot be saved; ``errors`` maps a node's index (``None``: the whole
    outline) to its messages."""

    def __init__(self, errors: dict[int | None, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))


class OutlineConflict(EditConflict):
    """Both this edit and a newer version changed the outline."""

    def __init__(self, head: MaterialVersion) -> None:
        self.head = head
        super().__init__()


def problem_message(problem: Problem) -> str:
    """The sentence the builder shows for ``problem``."""
    return _message(OutlineError(problem))


def _message(error: OutlineError) -> str:
    return {
        Problem.TOO_MANY: _("An arrangement holds at most %(n)d parts.", n=MAX_NODES),
        Problem.TOO_DEEP: _("Sections go at most %(n)d levels deep.", n=MAX_DEPTH),
        Problem.ORPHAN: _("This part is deeper than the section above it allows."),
        Problem.UNTITLED: _("Give this part a title."),
        Problem.TOO_LONG: _("This part is too long."),
        Problem.NO_MATERIAL: _("Choose the material to include."),
        Problem.NO_URL: _("Give this link a web address."),
        Problem.BAD_URL: _("A link needs a full web address that starts with http:// or "
                           "https://."),
        Problem.LONG_URL: _("This web address is longer than %(n)d characters.", n=MAX_URL),
        Problem.TOO_MUCH_TEXT: _("The pages of an arrangement hold at most %(n)d characters "
                                 "together.", n=MAX_PAGES_TEXT),
        Problem.NESTED_TOO_DEEP: describe(SourceProblem.TOO_DEEP),
        Problem.TOO_MANY_TAGS: describe(SourceProblem.TOO_MANY_TAGS),
    }[error.problem]


# -- Reading ----------------------------------------------------------------------------------


def outline_of(version_id: int) -> Outline:
    return tuple(row.as_node() for row in rows_of(version_id))


def rows_of(version_id: int) -> Sequence[ArrangementNode]:
    return db.session.scalars(select(ArrangementNode).where(
        ArrangementNode.version_id == version_id).order_by(ArrangementNode.position)).all()


def own_text(version_id: int) -> str:
    """The text of the arrangement's own pages (section, page and link titles, page
    bodies), as plain text for search; embedded materials are found under their own names."""
    parts: list[str] = []
    for row in rows_of(version_id):
        if row.kind == NodeKind.MATERIAL:
            continue
        parts.append(f"{row.title}.")
        if row.body_html:
            parts.append(html_to_plain_text(row.body_html))
    return "\n".join(parts)


@dataclass(frozen=True)
class Embedded:
    """An embedded material as one viewer may see it."""

    material_id: int
    material: Material | None
    #: The version shown; ``None`` when it is not (or no longer) available to this viewer.
    version: MaterialVersion | None
    #: Pinned to a version that is no longer the newest published one.
    outdated: bool = False


def resolve(actor: Actor, outline: Iterable[Node]) -> dict[int, Embedded]:
    """Every embedded material of ``outline`` as ``actor`` may see it, by the node's index
    (the visibility rules of the material itself apply: a draft stays hidden from the
    public; one material may be included twice, pinned and following).  A fixed number of
    queries, however many materials the arrangement includes."""
    nodes = [(index, n) for index, n in enumerate(outline)
             if n.kind == NodeKind.MATERIAL and n.material_id is not None]
    if not nodes:
        return {}
    ids = {n.material_id for _index, n in nodes}
    found = {m.id: m for m in db.session.scalars(
        select(Material).options(selectinload(Material.owner)).where(Material.id.in_(ids)))}
    published = _published_ids(found)
    wanted = {n.pinned_version_id for _index, n in nodes if n.pinned_version_id}
    for material in found.values():
        wanted.update(filter(None, (material.published_version_id, material.latest_version_id)))
    # Titles, licences and credits need no text, files or author rows: neither the HTML
    # nor the Markdown (most of a version's row; a table of contents of sixty lessons read
    # both for every page of the arrangement); the one part a page shows loads its HTML
    # when it reads it, and the export loads every text at once (``_load_texts_and_files``).
    versions = {v.id: v for v in db.session.scalars(
        select(MaterialVersion).options(defer(MaterialVersion.body),
                                        defer(MaterialVersion.body_html),
                                        lazyload(MaterialVersion.attachments),
                                        lazyload(MaterialVersion.author))
        .where(MaterialVersion.id.in_(wanted)))} if wanted else {}
    result: dict[int, Embedded] = {}
    for index, node in nodes:
        material = found.get(node.material_id)
        version = _shown_version(actor, material, node, versions,
                                 published.get(node.material_id, frozenset())) \
            if material is not None else None
        outdated = version is not None and node.pinned_version_id is not None \
            and material.published_version_id not in (None, version.id)
        result[index] = Embedded(node.material_id, material, version, outdated)
    return result


def linked_records(outline: Iterable[Node]) -> dict[int, harvested.RecordLink]:
    """Per link part (by index) taken from a harvested record that still exists, the
    record with its collection's name: one statement.  A link whose record was removed
    with its collection is absent here and shows from its own title and address."""
    nodes = [(index, n) for index, n in enumerate(outline)
             if n.kind == NodeKind.LINK and n.record_id is not None]
    found = harvested.record_links(n.record_id for _index, n in nodes)
    return {index: found[n.record_id] for index, n in nodes if n.record_id in found}


def _published_ids(materials: dict[int, Material]) -> dict[int, frozenset[int]]:
    """Per material, the versions that were ever published (one query for all)."""
    rows = db.session.execute(select(MaterialPublication.material_id,
                                     MaterialPublication.version_id).where(
        MaterialPublication.material_id.in_(materials))) if materials else []
    result: dict[int, set[int]] = {}
    for material_id, version_id in rows:
        result.setdefault(material_id, set()).add(version_id)
    return {material_id: frozenset(ids) for material_id, ids in result.items()}


def _shown_version(actor: Actor, material: Material, node: Node,
                   versions: dict[int, MaterialVersion], published: frozenset[int]
                   ) -> MaterialVersion | None:
    if not policy.can_view_material(actor, material):
        return None
    if node.pinned_version_id is None:
        shown = policy.displayed_version_id(actor, material)
        return versions.get(shown) if shown else None
    version = versions.get(node.pinned_version_id)
    if version is None or version.material_id != material.id or not policy.can_view_version(
            actor, material, version, published):
        return None
    return version


def used_in(material_id: int, limit: int = 20) -> list[tuple[Material, str]]:
    """Published arrangements whose public version includes the material, with their
    published titles (what anyone may see).

    The versions whose outline includes the material are read first (an index on the
    outline rows' material): in one statement SQLite chose to walk every published
    material instead (600 ms a material page at 100,000 materials)."""
    including = list(db.session.scalars(
        select(ArrangementNode.version_id).where(ArrangementNode.material_id == material_id)
        .distinct()))
    if not including:
        return []
    rows = db.session.execute(
        select(Material, MaterialVersion.title)
        .join(Material, Material.id == MaterialVersion.material_id)
        .where(MaterialVersion.id.in_(including),
               Material.published_version_id == MaterialVersion.id,
               Material.status == MaterialStatus.PUBLISHED)
        .order_by(MaterialVersion.title).limit(limit))
    return [(m, title) for m, title in rows]


def pinnable_versions(material_ids: Iterable[int]) -> dict[int, list[MaterialVersion]]:
    """Per material, the versions an embed may be pinned to (those that were ever
    published), newest first, in one query."""
    ids = set(material_ids)
    result: dict[int, list[MaterialVersion]] = {material_id: [] for material_id in ids}
    if ids:
        for version in db.session.scalars(
                select(MaterialVersion)
                .options(load_only(MaterialVersion.id, MaterialVersion.material_id,
                                   MaterialVersion.number, MaterialVersion.created_at),
                         lazyload(MaterialVersion.attachments),
                         lazyload(MaterialVersion.author))
                .join(MaterialPublication, MaterialPublication.version_id == MaterialVersion.id)
                .where(MaterialPublication.material_id.in_(ids))
                .distinct().order_by(MaterialVersion.number.desc())):
            result[version.material_id].append(version)
    return result


# -- Writing ----------------------------------------------------------------------------------


def _checked(actor: Actor, outline: Iterable[Node]) -> Outline:
    """The normalised outline, or ``InvalidOutline`` with a message per wrong node.  A link's
    pointer to a harvested record that does not exist (removed with its collection, or a
    hand-made form) is dropped: the link stands on its own title and address."""
    outline = normalise(outline)
    known = linked_records(outline)
    outline = tuple(replace(node, record_id=None)
                    if node.kind != NodeKind.LINK or index not in known else node
                    for index, node in enumerate(outline))
    errors: dict[int | None, list[str]] = {}
    for error in problems(outline):
        errors.setdefault(error.index, []).append(_message(error))
    embedded = resolve(actor, outline)
    for index, node in enumerate(outline):
        if node.kind != NodeKind.MATERIAL or node.material_id is None:
            continue
        problem = _embed_problem(actor, node, embedded[index])
        if problem:
            errors.setdefault(index, []).append(problem)
    if errors:
        raise InvalidOutline(errors)
    return outline


def _embed_problem(actor: Actor, node: Node, embedded: Embedded) -> str | None:
    material, version = embedded.material, embedded.version
    if material is None or not policy.can_view_material(actor, material):
        return _("There is no material number %(id)d that you can see.", id=node.material_id)
    if material.is_withdrawn:
        return _("This material was withdrawn and cannot be included.")
    if material.kind == MaterialKind.ARRANGEMENT:
        return _("An arrangement cannot include another arrangement; include its materials.")
    if version is None:
        return _("This version of the material is not available.")
    if not may_embed_in_collection(version.licence, modified=False):
        return _("This material's licence (%(licence)s) is unknown, so it cannot be included.",
                 licence=version.licence)
    return None


def embed_problem(actor: Actor, node: Node) -> str | None:
    """Why ``actor`` could not include ``node``'s material as it says (``None``: they can),
    for callers that build an outline from elsewhere (a cartridge import) and would rather
    fall back than refuse."""
    return _embed_problem(actor, node, resolve(actor, [node])[0])


def write_outline(version: MaterialVersion, outline: Outline) -> None:
    for position, node in enumerate(outline):
        db.session.add(ArrangementNode(
            version_id=version.id, position=position, depth=node.depth, kind=node.kind.value,
            title=node.title, body=node.body,
            body_html=str(render_markdown(node.body)) if node.body else "",
            material_id=node.material_id, pinned_version_id=node.pinned_version_id,
            url=node.url if node.kind == NodeKind.LINK else "",
            record_id=node.record_id if node.kind == NodeKind.LINK else None))
    db.session.flush()


def create_arrangement(actor: Actor, fields: VersionFields, outline: Iterable[Node],
                       summary: str = "", attachments: Sequence[AttachmentRef] = (),
                       addressed: Callable[[int, Outline], Iterable[Node]] | None = None
                       ) -> Material:
    """A new draft arrangement with its first version and outline (``attachments``: files
    stored already, e.g. those a cartridge import brought along).  ``addressed`` gives the
    outline its final form once the new material's number is known (an import links its
    pages to the files by the material's address); it is checked again then, and the first
    version is written with it: no second version."""
    require_permission(policy.can_create(actor))
    checked = _checked(actor, outline)
    material = materials.create_material(actor, MaterialKind.ARRANGEMENT, fields,
                                         attachments, summary=summary)
    if addressed is not None:
        checked = _checked(actor, addressed(material.id, checked))
    write_outline(db.session.get(MaterialVersion, material.latest_version_id), checked)
    return material


def save_arrangement(actor: Actor, material_id: int, base_version_id: int,
                     fields: VersionFields, outline: Iterable[Node], summary: str = ""
                     ) -> materials.SaveResult:
    """Save an edit that started from ``base_version_id`` (see the module docstring)."""
    material = materials.lock_head(material_id)
    require_permission(policy.can_edit(actor, material))
    if material.kind != MaterialKind.ARRANGEMENT:
        raise ValidationError(_("This material is not an arrangement."))
    checked = _checked(actor, outline)
    base = queries.own_version(material, base_version_id)
    if base is None:
        raise ValidationError(_("This edit started from an unknown version."))
    if base.id != material.latest_version_id:
        merged = merge_outlines(outline_of(base.id), checked,
                                outline_of(material.latest_version_id))
        if merged is None:
            raise OutlineConflict(material.latest_version)
        checked = merged
    # The builder has no file field: the files the version had (an import's) stay attached.
    result = materials.save_version(actor, material.id, base.id, fields,
                                    refs_of(base.attachments), summary)
    write_outline(result.version, checked)
    return result


def _copy_outline(source: MaterialVersion, target: MaterialVersion) -> None:
    """Every node as it is (sections, own pages, included materials with their pin, link
    parts): a revert, or a remix's first version, which references the same materials."""
    write_outline(target, outline_of(source.id))


def _merge_outline(base: MaterialVersion, ours: MaterialVersion, theirs: MaterialVersion
                   ) -> Callable[[MaterialVersion], None] | None:
    """A remix taking its original's changes: the outline merges as a whole, as a stale
    save does (``structure.merge``): the side that changed it wins; ``None`` when both did.
    The original's outline was checked when it was published, so it is written as it is."""
    merged = merge_outlines(outline_of(base.id), outline_of(ours.id), outline_of(theirs.id))
    if merged is None:
        return None
    return lambda target: write_outline(target, merged)


def _check_public_embeds(actor: Actor, version: MaterialVersion) -> None:
    """Before review: every embedded material must be visible to the public, or the
    published arrangement would have holes.  The message names each by the title ``actor``
    may see, else by number."""
    embedded = resolve(PUBLIC, outline_of(version.id))
    hidden = sorted({e.material_id for e in embedded.values() if e.version is None})
    if not hidden:
        return
    seen = {e.material_id: e for e in resolve(actor, [
        Node(NodeKind.MATERIAL, material_id=material_id) for material_id in hidden]).values()}
    names = [seen[i].version.title if seen[i].version else _("material %(id)d", id=i)
             for i in hidden]
    raise ValidationError(ngettext(
        "The included material “%(titles)s” is not published, so the public could not "
        "see it. Wait until it is published, or take it out.",
        "The included materials “%(titles)s” are not published, so the public could not "
        "see them. Wait until they are published, or take them out.",
        len(names), titles="”, “".join(names)))


def diff_text(version: MaterialVersion) -> str:
    """The introduction and the outline as text, one part per line and each page's text
    indented under it, so the diff page shows moves, renames and edits word by word.
    Included materials are named as the public sees them (a hidden one by number only)."""
    outline = outline_of(version.id)
    public = resolve(PUBLIC, outline)
    lines = [version.body.rstrip(), ""] if version.body.strip() else []
    for item in walk(tree(outline)):
        node = item.node
        indent = "    " * node.depth
        if node.kind == NodeKind.MATERIAL:
            shown = public.get(item.index)
            name = shown.version.title if shown and shown.version else ""
            pin = _("version %(n)d", n=shown.version.number) \
                if shown and shown.version and node.pinned_version_id else _("newest version")
            lines.append(f"{indent}{item.number} {_('Material')} {node.material_id}: "
                         f"{node.title or name} ({pin})")
            continue
        if node.kind == NodeKind.LINK:
            lines.append(f"{indent}{item.number} {_('Link')}: {node.title} <{node.url}>")
            continue
        label = _("Section") if node.kind == NodeKind.SECTION else _("Page")
        lines.append(f"{indent}{item.number} {label}: {node.title}")
        lines.extend(f"{indent}    {line}" if line else "" for line in node.body.splitlines())
    return "\n".join(lines)


rerender.register(rerender.StoredHtml("arrangement_nodes", ArrangementNode,
                                      ArrangementNode.version_id))
hooks.register(MaterialKind.ARRANGEMENT.value, hooks.KindHooks(
    copy_content=_copy_outline, check_submit=_check_public_embeds, diff_text=diff_text,
    merge_content=_merge_outline))
