"""Atom feeds (RFC 4287) of newly published materials: all, per subject, per level, per
author; and of a public list's materials (newest addition first).

A material is "newly published" when a version of it became public: publishing sets
``Material.published_at``, so a new version moves the material to the top again, with the
same entry id and a new ``updated`` (an updated entry, as Atom means it).  Only published,
not withdrawn materials, read through their published version: a draft or a version that
waits for review never reaches a feed.

A level's feed holds its narrower levels too (a havo lesson is in the feed of secondary
education), as the search filter and the home page's counts do.  Subjects and levels live
in the version's JSON metadata, which SQLite and PostgreSQL query differently; the feed
reads the newest published materials in batches (small columns only, never a version's
text) and keeps those that match, until it has ``size`` of them.

Service layer: the view gives the functions that make addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import ColumnElement, and_, case, exists, or_, select

from oer_portal.accounts import policy as accounts_policy
from oer_portal.accounts.models import ANONYMOUS_NAME, User
from oer_portal.accounts.policy import PUBLIC
from oer_portal.core.errors import NotFound
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.lists import service as lists
from oer_portal.lists.models import MaterialList, MaterialListItem
from oer_portal.materials.metadata import Term, vocabularies
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialStatus,
    MaterialVersion,
)

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
#: Rows read per batch while looking for a subject's or level's newest materials.
BATCH = 200


@dataclass(frozen=True)
class Person:
    name: str
    #: Their account (for a link to the profile); ``None`` for names an import brought.
    user_id: int | None = None


@dataclass(frozen=True)
class FeedEntry:
    material_id: int
    slug: str
    title: str
    description: str
    language: str
    licence: str
    published_at: datetime
    subjects: tuple[str, ...]
    levels: tuple[str, ...]
    keywords: tuple[str, ...]
    authors: tuple[Person, ...]


@dataclass(frozen=True)
class Feed:
    title: str
    entries: tuple[FeedEntry, ...]


def _profile_id(user: type[User]) -> ColumnElement[int | None]:
    """The user's id for the author's profile link, ``None`` for an anonymous author (an
    account deleted with that choice has no profile)."""
    return case((user.stored_name == ANONYMOUS_NAME, None), else_=user.id)


def _rows(condition: object | None) -> Iterator[object]:
    """Published materials, newest publication first, in keyset batches."""
    last: tuple[datetime, int] | None = None
    while True:
        statement = (
            select(Material.id, Material.slug, Material.published_at,
                   _profile_id(User).label("owner_id"),
                   User.display_name.label("owner_name"), MaterialVersion.title,
                   MaterialVersion.description, MaterialVersion.language,
                   MaterialVersion.licence,
                   MaterialVersion.meta["subjects"].label("subjects"),
                   MaterialVersion.meta["levels"].label("levels"),
                   MaterialVersion.meta["keywords"].label("keywords"),
                   MaterialVersion.meta["authors"].label("named_authors"))
            .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
            .join(User, User.id == Material.owner_id)
            .where(Material.status == MaterialStatus.PUBLISHED,
                   Material.published_at.is_not(None))
            .order_by(Material.published_at.desc(), Material.id.desc())
            .limit(BATCH))
        if condition is not None:
            statement = statement.where(condition)
        if last is not None:
            statement = statement.where(or_(
                Material.published_at < last[0],
                and_(Material.published_at == last[0], Material.id < last[1])))
        batch = db.session.execute(statement).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = (batch[-1].published_at, batch[-1].id)


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _newest(size: int, condition: object | None = None,
            keep: Callable[[object], bool] | None = None) -> tuple[FeedEntry, ...]:
    rows = []
    for row in _rows(condition):
        if keep is None or keep(row):
            rows.append(row)
            if len(rows) >= size:
                break
    co_authors: dict[int, list[Person]] = {}
    if rows:
        for material_id, user_id, name in db.session.execute(
                select(MaterialCoAuthor.material_id, _profile_id(User), User.display_name)
                .join(User, User.id == MaterialCoAuthor.user_id)
                .where(MaterialCoAuthor.material_id.in_([row.id for row in rows]))
                .order_by(User.display_name)):
            co_authors.setdefault(material_id, []).append(Person(name, user_id))
    entries = []
    for row in rows:
        named = _tuple(row.named_authors)
        authors = tuple(Person(name) for name in named) if named else (
            Person(row.owner_name, row.owner_id), *co_authors.get(row.id, ()))
        entries.append(FeedEntry(
            material_id=row.id, slug=row.slug, title=row.title,
            description=row.description or "", language=row.language, licence=row.licence,
            published_at=row.published_at, subjects=_tuple(row.subjects),
            levels=_tuple(row.levels), keywords=_tuple(row.keywords), authors=authors))
    return tuple(entries)


def all_materials(size: int) -> Feed:
    return Feed(_("New materials"), _newest(size))


def _term(vocabulary: str, code: str) -> Term:
    term = vocabularies()[vocabulary].get(code)
    if term is None:
        raise NotFound()
    return term


def _with_narrower(vocabulary: str, code: str) -> frozenset[str]:
    """``code`` and every term below it in the vocabulary's tree."""
    terms = vocabularies()[vocabulary]
    found = {code}
    while True:
        more = {c for c, term in terms.items() if term.parent_code in found} - found
        if not more:
            return frozenset(found)
        found |= more


def subject(code: str, size: int, locale: str) -> Feed:
    term = _term("subject", code)
    return Feed(_("New materials: %(term)s", term=term.label(locale)),
                _newest(size, keep=lambda row: code in _tuple(row.subjects)))


def level(code: str, size: int, locale: str) -> Feed:
    term = _term("level", code)
    codes = _with_narrower("level", code)
    return Feed(_("New materials: %(term)s", term=term.label(locale)),
                _newest(size, keep=lambda row: not codes.isdisjoint(_tuple(row.levels))))


def person(user_id: int, size: int) -> Feed:
    """The materials ``user_id`` owns or co-authors.  Only people with a public profile
    have a feed (``lists.profiles``: teachers, and anyone who published); others are *not
    found*, as their profile is."""
    user = db.session.get(User, user_id)
    if user is None or user.credited_anonymously:
        raise NotFound()  # as the profile: an anonymous author's works are not gathered
    authored = or_(Material.owner_id == user_id, exists().where(
        MaterialCoAuthor.material_id == Material.id, MaterialCoAuthor.user_id == user_id))
    entries = _newest(size, condition=authored)
    if not entries and not accounts_policy.is_teacher(user):
        raise NotFound()
    return Feed(_("New materials by %(name)s", name=user.display_name), entries)


def material_list(list_id: int, size: int) -> tuple[Feed, MaterialList]:
    """A public list's published materials, the newest addition first (an entry's
    ``updated`` is when it was added or, if later, when its material was last published).

    The list is asked for as the public sees it (``lists.service.visible_list`` with
    ``PUBLIC``): a private list has no feed, not even for its owner (a feed reader is not
    signed in), and is *not found* as its page is for everyone but the owner.  Items are
    read as every feed reads materials: published and not withdrawn, through their published
    version, so a draft, an unpublished or a withdrawn item never appears.  Harvested records
    on the list are not in the feed (they are other portals' lessons, with feeds of their
    own)."""
    material_list = lists.visible_list(PUBLIC, list_id)
    added = dict(db.session.execute(
        select(MaterialListItem.material_id, MaterialListItem.added_at)
        .where(MaterialListItem.list_id == material_list.id)).all())
    entries: tuple[FeedEntry, ...] = ()
    if added:
        found = _newest(len(added), condition=Material.id.in_(added))
        entries = tuple(sorted(
            (replace(entry, published_at=max(_aware(entry.published_at),
                                             _aware(added[entry.material_id])))
             for entry in found),
            key=lambda entry: (entry.published_at, entry.material_id), reverse=True))[:size]
    owner = db.session.get(User, material_list.owner_id)
    return Feed(_("%(name)s, a list by %(owner)s", name=material_list.name,
                  owner=owner.display_name if owner is not None else "?"),
                entries), material_list


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- Atom ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedLinks:
    """The addresses a feed names, absolute (made by the view)."""

    #: The feed itself, and the page it belongs to.
    self_url: str
    page_url: str
    #: A material's stable address (the entry's id) and its page.
    material_id: Callable[[int], str]
    material: Callable[[int, str], str]
    profile: Callable[[int, str], str]
    #: The scheme of category terms per vocabulary (``subject``, ``level``).
    scheme: Callable[[str], str]


def _atom_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _add(parent: etree._Element, tag: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def atom_xml(feed: Feed, links: FeedLinks, locale: str, generator: str) -> bytes:
    terms = vocabularies()
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set(XML_LANG, locale)
    _add(root, "id", links.self_url)
    _add(root, "title", feed.title)
    newest = feed.entries[0].published_at if feed.entries else datetime.now(UTC)
    _add(root, "updated", _atom_time(newest))
    _add(root, "link", rel="self", type="application/atom+xml", href=links.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=links.page_url)
    _add(root, "generator", generator)
    for entry in feed.entries:
        item = _add(root, "entry")
        item.set(XML_LANG, entry.language)
        _add(item, "id", links.material_id(entry.material_id))
        _add(item, "title", entry.title)
        _add(item, "updated", _atom_time(entry.published_at))
        _add(item, "link", rel="alternate", type="text/html",
             href=links.material(entry.material_id, entry.slug))
        for author in entry.authors or (Person(_("unknown author")),):
            element = _add(item, "author")
            _add(element, "name", author.name)
            if author.user_id is not None:
                _add(element, "uri", links.profile(author.user_id, author.name))
        if entry.description:
            _add(item, "summary", entry.description, type="text")
        licence = registry.get(entry.licence)
        if licence is not None:
            _add(item, "rights", f"{licence.name(locale)} ({licence.url})", type="text")
            _add(item, "link", rel="license", href=licence.url)
        else:
            _add(item, "rights", entry.licence, type="text")
        for vocabulary, codes in (("subject", entry.subjects), ("level", entry.levels)):
            for code in codes:
                term = terms[vocabulary].get(code)
                _add(item, "category", term=code, scheme=links.scheme(vocabulary),
                     label=term.label(locale) if term else code)
        for keyword in entry.keywords:
            _add(item, "category", term=keyword)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
