"""Remixing: a new material from a published version, and the chain of sources behind it.

A remix is an ordinary material (draft → review → publish) whose first version copies the
source version's content, metadata and attachments; the files are shared by reference, so
no byte is copied.  ``Material.derived_from_version_id`` records the source version and is
set only here: the credits are generated from it, so a remixer cannot edit them away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased, joinedload

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import DomainError, Forbidden, NotFound
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.licences.compatibility import Adaptation, allowed_licences_for_adaptation
from oer_portal.materials import licensing, queries
from oer_portal.materials import policy as material_policy
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.hooks import hooks_for
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialStatus, MaterialVersion
from oer_portal.materials.panels import PageLinks
from oer_portal.remix import policy
from oer_portal.remix.credits import Author, CreditEntry, Credits
from oer_portal.remix.models import RemixPull, RemixUpstream

#: How far the credits follow ``derived_from``; a longer chain (or a cycle, which only broken
#: data could make) ends with a note that earlier sources are credited on the pages above.
MAX_CHAIN = 50


class RemixRefused(DomainError):
    """The licence of the source does not allow a remix; ``message`` says why."""

    status_code = 403


@dataclass(frozen=True)
class RemixOptions:
    """What the remix form needs: the source version and what its licence allows."""

    material: Material
    version: MaterialVersion
    adaptation: Adaptation

    @property
    def allowed(self) -> tuple[registry.Licence, ...]:
        return self.adaptation.allowed


def current_locale() -> str:
    """The language of the request or command (the licence engine words its reasons in it)."""
    return str(get_locale() or "nl")


def remix_options(actor: Actor, material_id: int, number: int | None = None) -> RemixOptions:
    """The version ``actor`` wants to remix (the published one by default), checked.

    An invisible material or version is not found (as everywhere); a visible one that was
    never published (a draft, or someone's pending version seen by a moderator) is refused.
    """
    material = queries.material_for(actor, material_id)
    require_permission(policy.may_remix_at_all(actor))
    if material.is_withdrawn:
        raise Forbidden(_("A withdrawn material cannot be remixed."))
    if material.kind not in policy.REMIXABLE_KINDS:
        raise NotFound()
    if number is not None:
        version = queries.version_for(actor, material, number)
    elif material.published_version_id is not None:
        version = db.session.get(MaterialVersion, material.published_version_id)
    else:
        version = material.latest_version
    if not policy.is_remixable_version(material, version, queries.published_ids(material.id)):
        raise Forbidden(_("Only published versions can be remixed. This version is a draft "
                          "or still waiting for review."))
    return RemixOptions(material, version, allowed_licences_for_adaptation([version.licence]))


def remix(actor: Actor, material_id: int, number: int | None, licence: str,
          title: str | None = None) -> Material:
    """A new draft material owned by ``actor``, copying the source version.

    The copy keeps the content and the descriptive metadata; the provenance fields of an
    imported source (its authors, source URL, attribution line and leftover import data) are
    not copied, because they describe the source, not the remix: the credits name them as
    the source's, generated from ``derived_from``.

    An arrangement's outline is copied node by node (``materials.hooks``' ``copy_content``):
    its included materials stay included by reference, with the same pin, under their own
    licences (the collection rule), while its introduction and own pages, which the remix
    adapts, take the remix's licence: so the licences offered are those the *arrangement's*
    licence allows for adaptation, and an ND arrangement is refused.
    """
    options = remix_options(actor, material_id, number)
    if not options.adaptation.ok:
        raise RemixRefused(options.adaptation.reason(current_locale()))
    source, version = options.material, options.version
    fields = replace(VersionFields.of(version), title=(title or "").strip() or version.title,
                     licence=licence, authors=(), source_url=None, attribution=None,
                     extra={})
    summary = _("Remix of “%(title)s” version %(number)d", title=version.title,
                number=version.number)
    # The licence rule is checked where the version is written (materials.licensing).
    created = materials.create_material(actor, MaterialKind(source.kind), fields,
                                        refs_of(version.attachments), summary=summary,
                                        derived_from=version)
    hooks_for(source.kind).copy_content(
        version, db.session.get(MaterialVersion, created.latest_version_id))
    audit.record("material.remixed", actor_id=actor.id, target=("material", created.id),
                 details={"source": source.id, "version": version.number})
    return created


# -- The chain of sources -----------------------------------------------------------------


@dataclass(frozen=True)
class Ancestry:
    """The sources of a material: (material, the version adapted), nearest first."""

    links: tuple[tuple[Material, MaterialVersion], ...]
    #: The walk stopped early (longer than ``MAX_CHAIN``, or a cycle in broken data).
    truncated: bool = False


def ancestry(material: Material, version: MaterialVersion | None = None,
             limit: int = MAX_CHAIN) -> Ancestry:
    """Follow the sources of ``version`` (the head's when ``None``) to the original, through
    withdrawn sources too (their credit stays: they were public when they were adapted)."""
    seen = {material.id}
    links: list[tuple[Material, MaterialVersion]] = []
    current, current_version = material, version
    while current.derived_from_version_id is not None:
        source_version = db.session.get(MaterialVersion, based_on(current, current_version))
        if source_version is None:
            break
        source = source_version.material
        if source.id in seen or len(links) >= limit:
            return Ancestry(tuple(links), truncated=True)
        seen.add(source.id)
        links.append((source, source_version))
        current, current_version = source, source_version
    return Ancestry(tuple(links))


def based_on(remix: Material, version: MaterialVersion | None) -> int | None:
    """The original's version that ``version`` of ``remix`` is based on: the one its last
    pull (at or before it) merged in, else the one the remix was made from."""
    if remix.derived_from_version_id is None:
        return None
    if version is not None:
        pulled = db.session.scalar(
            select(RemixPull.source_version_id)
            .join(MaterialVersion, MaterialVersion.id == RemixPull.version_id)
            .where(RemixPull.material_id == remix.id, MaterialVersion.number <= version.number)
            .order_by(MaterialVersion.number.desc()).limit(1))
        if pulled is not None:
            return pulled
    return remix.derived_from_version_id


def based_on_column(material_id: ColumnElement[int],
                    derived_from_version_id: ColumnElement[int | None],
                    version_number: ColumnElement[int]) -> ColumnElement[int | None]:
    """:func:`based_on` as an expression of a statement's columns (the remix's id, its
    ``derived_from_version_id`` and the number of its version in question): lists of many
    remixes (the review queue) find every source in their one statement."""
    pulled_version = aliased(MaterialVersion)
    pulled = (select(RemixPull.source_version_id)
              .join(pulled_version, pulled_version.id == RemixPull.version_id)
              .where(RemixPull.material_id == material_id,
                     pulled_version.number <= version_number)
              .order_by(pulled_version.number.desc()).limit(1)
              .correlate_except(RemixPull, pulled_version).scalar_subquery())
    return func.coalesce(pulled, derived_from_version_id)


def sources_for(remix: Material, version: MaterialVersion | None) -> list[MaterialVersion]:
    """The original's version that ``version`` of ``remix`` adapts; for the next version
    (``None``), the one the remix is in step with now (``upstream.pull`` moves it before it
    saves).  Registered as the licence rule's lookup below."""
    if version is None:
        synced = db.session.scalar(select(RemixUpstream.synced_version_id).where(
            RemixUpstream.material_id == remix.id))
        source_id = synced or remix.derived_from_version_id
    else:
        source_id = based_on(remix, version)
    source = db.session.get(MaterialVersion, source_id) if source_id else None
    return [source] if source is not None else []


licensing.register_sources(sources_for)


def authors_of(material: Material, version: MaterialVersion, links: PageLinks
               ) -> tuple[Author, ...]:
    """Who is credited: the names an import brought, else the owner and the co-authors."""
    named = VersionFields.of(version, with_body=False).authors
    if named:
        return tuple(Author(name) for name in named)
    users = (material.owner, *materials.co_authors(material))
    return tuple(Author(user.display_name, _profile(user, links)) for user in users)


def _profile(user: User, links: PageLinks) -> str | None:
    """An anonymous author has no profile to link (it would gather their works again)."""
    return None if user.credited_anonymously else links.profile(user)


#: Who else wrote part of each version, beside its authors: ``[(material, version), …]`` →
#: ``{version id: users}``, for many versions at once (an arrangement credits every part it
#: includes, in one query per source).  The change proposals feature registers the
#: proposers of accepted proposals (it builds on this feature's credits, so this one cannot
#: import it).
ContributorSource = Callable[[Sequence[tuple[Material, MaterialVersion]]],
                             Mapping[int, Sequence[User]]]
_CONTRIBUTOR_SOURCES: list[ContributorSource] = []


def register_contributors(source: ContributorSource) -> None:
    """Name ``source``'s users in the credits of the material itself ("with contributions
    from"); once per source however often it is registered."""
    if source not in _CONTRIBUTOR_SOURCES:
        _CONTRIBUTOR_SOURCES.append(source)


def contributors_of(pairs: Sequence[tuple[Material, MaterialVersion]]
                    ) -> dict[int, tuple[User, ...]]:
    """Version id → who contributed to it beside its authors, for every version of
    ``pairs`` (one query per registered source, however many versions)."""
    found: dict[int, dict[User, None]] = {version.id: {} for _material, version in pairs}
    for source in _CONTRIBUTOR_SOURCES:
        for version_id, users in source(pairs).items():
            found.setdefault(version_id, {}).update(dict.fromkeys(users))
    return {version_id: tuple(users) for version_id, users in found.items()}


def credits(material: Material, version: MaterialVersion, links: PageLinks,
            chain: Ancestry | None = None,
            contributors: Sequence[User] | None = None) -> Credits:
    """TASL credits of ``version`` and of every source down to the original (``chain``: its
    ancestry, and ``contributors``: :func:`contributors_of` for it, when the caller has them
    already).  A withdrawn source is linked to its tombstone, which says when and why it
    went."""
    chain = chain if chain is not None else ancestry(material, version)
    if contributors is None:
        contributors = contributors_of([(material, version)]).get(version.id, ())
    return Credits(
        work=replace(_entry(material, version, links, None),
                     contributors=tuple(Author(user.display_name, _profile(user, links))
                                        for user in contributors)),
        sources=tuple(_entry(source, adapted, links, adapted.number)
                      for source, adapted in chain.links),
        truncated=chain.truncated)


def _entry(material: Material, version: MaterialVersion, links: PageLinks,
           number: int | None) -> CreditEntry:
    fields = VersionFields.of(version, with_body=False)
    url = links.material(material, None if material.is_withdrawn else number)
    return CreditEntry(title=version.title, authors=authors_of(material, version, links),
                       url=url, licence=version.licence, version_number=number,
                       withdrawn=material.is_withdrawn, source_url=fields.source_url,
                       attribution=fields.attribution)


# -- Descendants --------------------------------------------------------------------------

#: The family tree shows at most this many descendants, this many generations deep.
MAX_DESCENDANTS = 120
MAX_GENERATIONS = 8


@dataclass
class Descendant:
    material: Material
    title: str
    parent_id: int
    children: list[Descendant]


def _title_for(actor: Actor, material: Material, published_title: str | None) -> str | None:
    """The title ``actor`` may see: the published one, or the head's for authors and staff."""
    if published_title is not None:
        return published_title
    if material.latest_version_id is None or \
            not material_policy.can_see_unpublished(actor, material):
        return None
    return db.session.scalar(select(MaterialVersion.title).where(
        MaterialVersion.id == material.latest_version_id))


def descendants(actor: Actor, material: Material, chain: Ancestry | None = None
                ) -> tuple[list[Descendant], bool]:
    """The remixes of ``material``, and theirs, as a forest ``actor`` may see (a withdrawn
    remix stays in it: its tombstone is public); and whether the walk was cut short."""
    chain = chain if chain is not None else ancestry(material)
    roots: list[Descendant] = []
    nodes: dict[int, Descendant] = {}
    seen = {material.id} | {source.id for source, _version in chain.links}
    frontier = [material.id]
    for _generation in range(MAX_GENERATIONS):
        if not frontier:
            break
        # One query per generation: the remixes, their owners and their published titles.
        published = aliased(MaterialVersion)
        rows = db.session.execute(
            _remixes_of(frontier)
            .outerjoin(published, published.id == Material.published_version_id)
            .add_columns(MaterialVersion.material_id, published.title)
            .options(joinedload(Material.owner))
            .order_by(Material.created_at, Material.id)).all()
        frontier = []
        for child, parent_id, published_title in rows:
            if child.id in seen or not material_policy.can_view_material(actor, child):
                continue
            if len(nodes) >= MAX_DESCENDANTS:
                return roots, True
            title = _title_for(actor, child, published_title)
            if title is None:
                continue
            seen.add(child.id)
            node = Descendant(child, title, parent_id, [])
            nodes[child.id] = node
            (roots if parent_id == material.id else nodes[parent_id].children).append(node)
            frontier.append(child.id)
    # Generations beyond the last one shown: say so rather than pretend the family ends.
    deeper = bool(frontier) and db.session.scalar(
        _remixes_of(frontier).with_only_columns(Material.id).limit(1)) is not None
    return roots, deeper


def _remixes_of(material_ids: list[int]) -> Select[tuple[Material]]:
    """Materials derived from any version of the given materials."""
    return (select(Material)
            .join(MaterialVersion, MaterialVersion.id == Material.derived_from_version_id)
            .where(MaterialVersion.material_id.in_(material_ids)))


# -- A family at a glance: many materials at once (a teacher's profile) ----------------------


def remix_counts(material_ids: list[int]) -> dict[int, int]:
    """How many published remixes were made directly from each of ``material_ids`` (those
    without any are left out): one grouped statement, however many materials."""
    if not material_ids:
        return {}
    rows = db.session.execute(
        select(MaterialVersion.material_id, func.count(Material.id))
        .select_from(Material)
        .join(MaterialVersion, MaterialVersion.id == Material.derived_from_version_id)
        .where(MaterialVersion.material_id.in_(material_ids),
               Material.status == MaterialStatus.PUBLISHED)
        .group_by(MaterialVersion.material_id))
    return {material_id: count for material_id, count in rows}


@dataclass(frozen=True)
class PublishedSource:
    """The published original a remix was made from, and who owns it."""

    material_id: int
    slug: str
    title: str
    owner_id: int
    owner_name: str


def published_sources(material_ids: list[int]) -> dict[int, PublishedSource]:
    """For those of ``material_ids`` that are remixes of a material that is published now,
    that original (its published title and its owner's display name), by remix id: one
    statement.  An original that was withdrawn is left out (its credit stays on the remix's
    own page)."""
    if not material_ids:
        return {}
    made_from = aliased(MaterialVersion)
    source = aliased(Material)
    published = aliased(MaterialVersion)
    rows = db.session.execute(
        select(Material.id, source.id, source.slug, published.title, User.id,
               User.display_name)
        .join(made_from, made_from.id == Material.derived_from_version_id)
        .join(source, source.id == made_from.material_id)
        .join(published, published.id == source.published_version_id)
        .join(User, User.id == source.owner_id)
        .where(Material.id.in_(material_ids), source.status == MaterialStatus.PUBLISHED))
    return {remix_id: PublishedSource(source_id, slug, title, owner_id, owner_name)
            for remix_id, source_id, slug, title, owner_id, owner_name in rows}
