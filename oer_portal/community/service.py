"""Star ratings: rate, change, remove, and the summaries that pages and search show.

A rating is one row per (material, user).  Every change records the material in the search
outbox, because the index carries the material's rating score; the index itself is never
called from here (ARCHITECTURE.md section 6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from oer_portal.accounts.policy import Actor
from oer_portal.community import policy
from oer_portal.community.models import MAX_STARS, MIN_STARS, Rating
from oer_portal.core import outbox
from oer_portal.core.errors import Forbidden, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials import queries
from oer_portal.materials.models import Material

#: The score starts every material at this many imaginary ratings of ``PRIOR_MEAN`` stars.
#: With a plain average, one enthusiastic 5-star rating would outrank fifty ratings averaging
#: 4.8; with the prior, a material needs several good ratings to rise above the middle, and a
#: single 1-star rating cannot bury a new material either.
PRIOR_MEAN = 3.0
PRIOR_WEIGHT = 2

#: ``summaries`` asks for at most this many materials per query: far below the bind
#: parameter limits of SQLite (32766) and PostgreSQL (65535).
SUMMARY_BATCH = 5000

_STAR_DIGITS = frozenset(str(n) for n in range(MIN_STARS, MAX_STARS + 1))


@dataclass(frozen=True)
class RatingSummary:
    """What is known about a material's ratings."""

    #: The plain mean of the stars; ``None`` without ratings.
    average: float | None
    count: int
    #: How many ratings gave 1, 2, 3, 4 and 5 stars.
    distribution: tuple[int, int, int, int, int]

    @classmethod
    def of(cls, distribution: tuple[int, int, int, int, int]) -> RatingSummary:
        count = sum(distribution)
        average = total_stars(distribution) / count if count else None
        return cls(average, count, distribution)

    @property
    def score(self) -> float:
        """The Bayesian average that search ranks by: ``PRIOR_MEAN`` (3.0) without ratings,
        moving towards the plain average as ratings come in (see ``PRIOR_WEIGHT``)."""
        return bayesian_score(total_stars(self.distribution), self.count)


EMPTY = RatingSummary.of((0, 0, 0, 0, 0))


def total_stars(distribution: tuple[int, ...]) -> int:
    return sum(stars * n for stars, n in enumerate(distribution, start=MIN_STARS))


def bayesian_score(total: int, count: int) -> float:
    """``(PRIOR_WEIGHT * PRIOR_MEAN + total) / (PRIOR_WEIGHT + count)``."""
    return (PRIOR_WEIGHT * PRIOR_MEAN + total) / (PRIOR_WEIGHT + count)


@dataclass(frozen=True)
class RatingChange:
    """What ``rate`` or ``remove_rating`` did; the view redirects to the material's page."""

    material: Material
    #: Whether a row was written or deleted (rating the same stars again changes nothing).
    changed: bool


# -- Changing ratings ---------------------------------------------------------------------


def rate(user: Actor, material_id: int, stars: object) -> RatingChange:
    """Give ``material_id`` ``stars`` (1 to 5) from ``user``, or change their rating.

    An invisible material is not found (its existence must not leak); a visible one that may
    not be rated is refused with the reason.  The insert is an upsert on the primary key, so
    two concurrent first ratings by the same user (a double click, two tabs) end as one row
    instead of a unique-key error.
    """
    material = _rateable(user, material_id)
    value = valid_stars(stars)
    user_id = _user_id(user)
    now = utcnow()
    statement = _insert().values(material_id=material.id, user_id=user_id, stars=value,
                                 created_at=now, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[Rating.material_id, Rating.user_id],
        set_={"stars": value, "updated_at": now},
        where=Rating.stars != value)
    # RETURNING, not rowcount: an ORM-enabled upsert reports no rowcount on psycopg.  A row
    # comes back when one was inserted or changed, none when the stars were the same.
    changed = db.session.execute(statement.returning(Rating.stars)).first() is not None
    if changed:
        outbox.record_change("material", material.id)
    return RatingChange(material, changed)


def remove_rating(user: Actor, material_id: int) -> RatingChange:
    """Delete ``user``'s rating of the material, if there is one (idempotent).

    Allowed on any material the user can see, withdrawn ones included: the rating is the
    user's own data, and they may always take it back.
    """
    material = queries.material_for(user, material_id)
    result = db.session.execute(delete(Rating).where(Rating.material_id == material.id,
                                                     Rating.user_id == _user_id(user)))
    changed = result.rowcount > 0
    if changed:
        outbox.record_change("material", material.id)
    return RatingChange(material, changed)


def valid_stars(stars: object) -> int:
    """``stars`` as an int from 1 to 5 (the digit as a string is accepted, a bool is not)."""
    if isinstance(stars, str) and stars.strip() in _STAR_DIGITS:
        stars = int(stars)
    if isinstance(stars, bool) or not isinstance(stars, int) \
            or not MIN_STARS <= stars <= MAX_STARS:
        raise ValidationError(_("Choose a number of stars from 1 to 5."))
    return stars


def _rateable(user: Actor, material_id: int) -> Material:
    """The material, checked for ``user`` and share-locked until commit.

    The lock (PostgreSQL ``FOR SHARE``; SQLite writers already hold the database lock) lets
    several people rate at once but makes a concurrent withdrawal wait, so a rating is never
    stored for a material that was withdrawn in the meantime.
    """
    queries.material_for(user, material_id)  # NotFound when invisible to the user
    material = db.session.scalar(
        select(Material).where(Material.id == material_id)
        .with_for_update(read=True).execution_options(populate_existing=True))
    if material is None:
        raise NotFound()
    reason = refusal(user, material)
    if reason is not None:
        raise Forbidden(reason)
    return material


def refusal(actor: Actor | None, material: Material) -> str | None:
    """Why ``actor`` may not rate ``material`` (``None`` when they may), in their language."""
    if policy.can_rate(actor, material):
        return None
    if actor is None or not actor.is_authenticated:
        return _("Log in to rate materials.")
    if material_policy.is_author(actor, material):
        return _("You cannot rate a material you are an author of.")
    if material.is_withdrawn:
        return _("A withdrawn material cannot be rated.")
    return _("Only published materials can be rated.")


def _user_id(user: Actor) -> int:
    user_id = _signed_in_id(user)
    if user_id is None:
        raise Forbidden(_("Log in to rate materials."))
    return user_id


def _insert() -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT`` in the database's dialect (both support it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Rating)
    return sqlite.insert(Rating)


# -- Reading ratings ----------------------------------------------------------------------


def summary(material_id: int) -> RatingSummary:
    """The material's ratings in one indexed query (the primary key's prefix)."""
    return summaries([material_id])[material_id]


def summaries(material_ids: Iterable[int]) -> dict[int, RatingSummary]:
    """``summary`` for each of ``material_ids`` (every id is a key; unrated ones get the empty
    summary), counted in one grouped query per ``SUMMARY_BATCH`` ids."""
    ids = sorted(set(material_ids))
    counts: dict[int, list[int]] = {material_id: [0] * MAX_STARS for material_id in ids}
    for start in range(0, len(ids), SUMMARY_BATCH):
        batch = ids[start:start + SUMMARY_BATCH]
        rows = db.session.execute(
            select(Rating.material_id, Rating.stars, func.count())
            .where(Rating.material_id.in_(batch))
            .group_by(Rating.material_id, Rating.stars))
        for material_id, stars, n in rows:
            _count(counts[material_id], stars, n)
    return {material_id: RatingSummary.of(_distribution(row))
            for material_id, row in counts.items()}


def summary_and_own(material_id: int, user: Actor | None
                    ) -> tuple[RatingSummary, int | None]:
    """``summary`` and ``user_rating`` together, in the one grouped query of ``summary``:
    the material page shows both and keeps to a fixed number of queries."""
    user_id = _signed_in_id(user)
    mine = case((Rating.user_id == user_id, 1), else_=0) if user_id is not None \
        else literal(0)
    rows = db.session.execute(
        select(Rating.stars, func.count(), func.max(mine))
        .where(Rating.material_id == material_id)
        .group_by(Rating.stars))
    counts, own = [0] * MAX_STARS, None
    for stars, n, is_mine in rows:
        _count(counts, stars, n)
        if is_mine:
            own = stars
    return RatingSummary.of(_distribution(counts)), own


def user_rating(user: Actor | None, material_id: int) -> int | None:
    """The stars ``user`` gave the material, or ``None`` (also for anonymous visitors)."""
    user_id = _signed_in_id(user)
    if user_id is None:
        return None
    return db.session.scalar(select(Rating.stars).where(
        Rating.material_id == material_id, Rating.user_id == user_id))


def _signed_in_id(user: Actor | None) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    return int(user.get_user_id())  # type: ignore[attr-defined]


def _count(counts: list[int], stars: int, n: int) -> None:
    if MIN_STARS <= stars <= MAX_STARS:  # the CHECK constraint makes this always true
        counts[stars - MIN_STARS] = n


def _distribution(counts: list[int]) -> tuple[int, int, int, int, int]:
    one, two, three, four, five = counts
    return one, two, three, four, five
