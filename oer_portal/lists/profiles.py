"""Public profiles: what everyone may see of a teacher, in a fixed number of statements.

Only the display name is shown, never the e-mail address.  Who has a profile: teachers, and
anyone who has published a material (an administrator, say).  A student has none (*not
found*): pupils are often minors, and nothing they do on the portal is published under
their name.  Their public lists are still shareable by link; the list names its owner by
display name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select

from oer_portal.accounts import policy as accounts_policy
from oer_portal.accounts.models import User
from oer_portal.core.errors import NotFound
from oer_portal.extensions import db
from oer_portal.lists import service
from oer_portal.materials import queries
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialKind,
    MaterialStatus,
)
from oer_portal.materials.service import slugify
from oer_portal.remix import service as remix

#: A profile shows at most this many published materials, newest first, and says when
#: there are more (search finds the rest).
PROFILE_LIMIT = 60


@dataclass(frozen=True)
class RemixedMaterial:
    """One of the teacher's materials that others (or they) remixed, and how often."""

    card: queries.MaterialCard
    count: int


@dataclass(frozen=True)
class RemixOf:
    """One of the teacher's materials that is a remix, and the original it adapts."""

    card: queries.MaterialCard
    source: remix.PublishedSource


@dataclass(frozen=True)
class ProfilePage:
    user_id: int
    name: str
    slug: str
    member_since: datetime
    is_teacher: bool
    materials: tuple[queries.MaterialCard, ...]
    arrangements: tuple[queries.MaterialCard, ...]
    #: More published materials than ``PROFILE_LIMIT``.
    more: bool
    lists: tuple[service.ListSummary, ...]
    remixed: tuple[RemixedMaterial, ...]
    remixes_of: tuple[RemixOf, ...]

    @property
    def has_published(self) -> bool:
        return bool(self.materials or self.arrangements)


def person_slug(display_name: str) -> str:
    return slugify(display_name)


def display_name(user_id: int) -> str:
    return db.session.scalar(select(User.display_name).where(User.id == user_id)) or ""


def _authored(user_id: int) -> object:
    """Materials the user owns or co-authors."""
    return or_(Material.owner_id == user_id, exists().where(
        MaterialCoAuthor.material_id == Material.id, MaterialCoAuthor.user_id == user_id))


def profile(user_id: int) -> ProfilePage:
    """The profile of ``user_id``, or *not found* when they have none (see the module)."""
    user = db.session.get(User, user_id)
    if user is None or user.credited_anonymously:
        raise NotFound()  # an anonymous author's works are not gathered on one page
    ids = list(db.session.scalars(
        select(Material.id)
        .where(_authored(user_id), Material.status == MaterialStatus.PUBLISHED)
        .order_by(Material.published_at.desc(), Material.id.desc())
        .limit(PROFILE_LIMIT + 1)))
    is_teacher = accounts_policy.is_teacher(user)
    if not is_teacher and not ids:
        raise NotFound()
    more, ids = len(ids) > PROFILE_LIMIT, ids[:PROFILE_LIMIT]
    cards = queries.published_cards(ids)
    shown = [card.material_id for card in cards]
    counts = remix.remix_counts(shown)
    sources = remix.published_sources(shown)
    return ProfilePage(
        user_id=user.id, name=user.display_name, slug=person_slug(user.display_name),
        member_since=user.created_at, is_teacher=is_teacher,
        materials=tuple(c for c in cards if c.kind != MaterialKind.ARRANGEMENT),
        arrangements=tuple(c for c in cards if c.kind == MaterialKind.ARRANGEMENT),
        more=more, lists=tuple(service.public_lists_of(user.id)),
        remixed=tuple(RemixedMaterial(c, counts[c.material_id]) for c in cards
                      if c.material_id in counts),
        remixes_of=tuple(RemixOf(c, sources[c.material_id]) for c in cards
                         if c.material_id in sources))
