"""Written reviews: write, edit and delete one's own, vote one helpful, report one, and (for
moderators) hide one; and the pages of reviews the material page and the reviews page show.

Rules every path keeps:

- one review per user and material (a unique constraint holds it when two posts race); a
  second is refused and the author is sent to edit the first;
- only its author edits or deletes a review; anyone else gets 403 (404 if they cannot even
  see it);
- a review carries its author's rating: writing or editing one rates the material through
  ``service.rate``, so the average and the count include every review's stars;
- reviews exist for what can be rated (published, not withdrawn or offline): on anything
  else they are not shown, not voted on and not reported;
- a hidden review is gone for the public, but its author still sees it, with the reason;
  hiding is audited (``review_text.hidden``) in the same unit of work;
- reading a page of reviews is two queries (the count and one page of rows with their
  authors, stars and the visitor's votes), however many reviews there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from oer_portal.accounts import policy as account_policy
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.community import policy, service
from oer_portal.community.models import (
    MAX_REVIEW_BODY,
    MAX_REVIEW_TITLE,
    HelpfulVote,
    Rating,
    WrittenReview,
)
from oer_portal.core import audit
from oer_portal.core.errors import Conflict, Forbidden, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import queries
from oer_portal.materials.metadata import vocabularies
from oer_portal.materials.models import Material
from oer_portal.moderation import reports

#: Reviews on one page (the material page shows the first).
PER_PAGE = 10
#: The longest reason a moderator gives for hiding a review.
MAX_REASON = 2000


class Sort:
    NEWEST = "newest"
    HELPFUL = "helpful"
    ALL = (NEWEST, HELPFUL)


class ReviewErrors(ValidationError):
    """What is wrong with a submitted review, per field (the form shows each at its field)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class ReviewInput:
    """A review as the author submits it (unvalidated until ``clean``)."""

    stars: object
    title: str = ""
    body: str = ""
    used_in_class: bool = False
    class_level: str | None = None


@dataclass(frozen=True)
class _Clean:
    stars: int
    title: str
    body: str
    used_in_class: bool
    class_level: str | None


def clean(actor: Actor, data: ReviewInput) -> _Clean:
    """``data`` checked, or :class:`ReviewErrors` with a message per wrong field."""
    errors: dict[str, str] = {}
    stars = 0
    try:
        stars = service.valid_stars(data.stars)
    except ValidationError as error:
        errors["stars"] = error.message
    title = " ".join((data.title or "").split())
    if len(title) > MAX_REVIEW_TITLE:
        errors["title"] = _("Write a title of at most %(n)d characters.", n=MAX_REVIEW_TITLE)
    body = (data.body or "").replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = _("Write your review.")
    elif len(body) > MAX_REVIEW_BODY:
        errors["body"] = _("Write at most %(n)d characters.", n=MAX_REVIEW_BODY)
    used = bool(data.used_in_class) and policy.may_mark_used_in_class(actor)
    level = (data.class_level or "").strip() or None
    if used and level not in vocabularies()["level"]:
        errors["class_level"] = _("Choose the level of the class you used it in.")
    if errors:
        raise ReviewErrors(errors)
    return _Clean(stars, title, body, used, level if used else None)


# -- Writing ------------------------------------------------------------------------------


def own_stars(actor: Actor | None, material_id: int) -> int | None:
    """The stars ``actor`` gave the material (the review form starts with them)."""
    return service.user_rating(actor, material_id)


def own_review(actor: Actor | None, material_id: int) -> WrittenReview | None:
    """``actor``'s review of the material, if they wrote one."""
    user_id = _signed_in_id(actor)
    if user_id is None:
        return None
    return db.session.scalar(select(WrittenReview).where(
        WrittenReview.material_id == material_id, WrittenReview.user_id == user_id))


def write_review(actor: Actor, material_id: int, data: ReviewInput) -> WrittenReview:
    """A new review by ``actor``, with its rating.  A second one is a :class:`Conflict`
    (the view sends the author to edit the first)."""
    material = reviewable_material(actor, material_id)
    values = clean(actor, data)
    if own_review(actor, material.id) is not None:
        raise Conflict(_("You have already reviewed this material: you can edit your review."))
    now = utcnow()
    review = WrittenReview(material_id=material.id, user_id=_user_id(actor),
                           title=values.title, body=values.body,
                           used_in_class=values.used_in_class, class_level=values.class_level,
                           helpful_count=0, created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:  # a second post raced the first past the check above
        raise Conflict(_("You have already reviewed this material: you can edit your "
                         "review.")) from None
    service.rate(actor, material.id, values.stars)
    return review


def edit_review(actor: Actor, review_id: int, data: ReviewInput) -> WrittenReview:
    """Change ``actor``'s own review (and their rating with it)."""
    review = authors_review(actor, review_id)
    reviewable_material(actor, review.material_id)
    values = clean(actor, data)
    review.title, review.body = values.title, values.body
    review.used_in_class, review.class_level = values.used_in_class, values.class_level
    review.updated_at = utcnow()
    service.rate(actor, review.material_id, values.stars)
    return review


def delete_review(actor: Actor, review_id: int) -> Material:
    """Delete ``actor``'s own review (its helpful votes go with it; the rating stays, to be
    removed with the rating form).  Allowed on a withdrawn material too: it is their text."""
    review = authors_review(actor, review_id)
    material = queries.material_for(actor, review.material_id)
    db.session.delete(review)
    return material


def vote_helpful(actor: Actor, review_id: int) -> bool:
    """``actor`` finds the review helpful: ``True`` when counted, ``False`` when they had
    already voted (a vote counts once).  Never one's own review."""
    review = _visible(actor, review_id)
    user_id = _user_id(actor)
    if review.user_id == user_id:
        raise Forbidden(_("You cannot vote for your own review."))
    insert = postgresql.insert(HelpfulVote) \
        if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert(HelpfulVote)
    statement = insert.values(review_id=review.id, user_id=user_id, created_at=utcnow()) \
        .on_conflict_do_nothing(index_elements=[HelpfulVote.review_id, HelpfulVote.user_id])
    counted = db.session.execute(statement.returning(HelpfulVote.user_id)).first() is not None
    if counted:  # in SQL, so two votes at once both count
        db.session.execute(update(WrittenReview).where(WrittenReview.id == review.id)
                           .values(helpful_count=WrittenReview.helpful_count + 1)
                           .execution_options(synchronize_session=False))
    return counted


def report_review(actor: Actor, review_id: int, category: str, comment: str,
                  address: str) -> WrittenReview:
    """File a moderation report about the review.

    Reports are about materials (one open report per person and material), so this files
    one on the review's material whose comment names the review, its author and ``address``
    (the review's own page, where a moderator can hide it): the queue, the notifications
    and the audit of reports work unchanged, and nothing else has to learn about reviews.
    """
    review = _visible(actor, review_id)
    if review.user_id == _signed_in_id(actor):
        raise Forbidden(_("You cannot report your own review."))
    comment = (comment or "").strip()
    if category in {c.value for c in reports.COMMENT_REQUIRED} and not comment:
        raise ValidationError(_("Tell the moderators what is wrong with the review."))
    author = db.session.get(User, review.user_id)
    prefix = _("About review #%(id)d by %(author)s (%(address)s):", id=review.id,
               author=author.display_name if author else "?", address=address)
    if len(prefix) + 1 + len(comment) > reports.MAX_COMMENT:
        raise ValidationError(_("Write at most %(n)d characters.",
                                n=reports.MAX_COMMENT - len(prefix) - 1))
    reports.file_report(actor, review.material_id, category, f"{prefix} {comment}".strip())
    return review


def hide_review(actor: Actor, review_id: int, reason: str) -> WrittenReview:
    """A moderator hides the review from the public, with a reason its author sees."""
    account_policy.require(account_policy.is_moderator(actor))
    review = db.session.get(WrittenReview, review_id)
    if review is None:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason the author will see."))
    if len(reason) > MAX_REASON:
        raise ValidationError(_("Write at most %(n)d characters.", n=MAX_REASON))
    if review.is_hidden:
        raise Conflict(_("This review is already hidden."))
    review.hidden_at, review.hidden_reason = utcnow(), reason
    review.hidden_by_id = _user_id(actor)
    audit.record("review_text.hidden", actor_id=review.hidden_by_id,
                 target=("review_text", review.id),
                 details={"reason": reason, "material": review.material_id,
                          "author_id": review.user_id})
    return review


# -- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    """One review as a page shows it."""

    id: int
    material_id: int
    author_id: int
    author_name: str
    #: The author's rating now (``None`` if they removed it).
    stars: int | None
    title: str
    body: str
    used_in_class: bool
    class_level: str | None
    helpful_count: int
    created_at: datetime
    updated_at: datetime
    hidden: bool
    hidden_reason: str | None
    #: The visitor already voted it helpful.
    voted: bool
    #: The visitor wrote it.
    own: bool

    @property
    def edited(self) -> bool:
        return self.updated_at > self.created_at


@dataclass(frozen=True)
class ReviewPage:
    """One page of a material's reviews."""

    rows: tuple[ReviewRow, ...]
    total: int
    page: int
    sort: str
    per_page: int = PER_PAGE
    #: The id of the visitor's own review of the material (on any page), if they wrote one.
    own_review_id: int | None = None

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def review_page(actor: Actor | None, material_id: int, sort: str = Sort.NEWEST,
                page: int = 1, per_page: int = PER_PAGE) -> ReviewPage:
    """The reviews ``actor`` sees of the material, one page in ``sort`` order: the public's
    (not hidden) and the actor's own even when hidden.

    One query: the page's rows carry the total (a window count) and the id of the actor's
    own review (a scalar subquery).  Only a page past the end, which has no rows to carry
    them, asks a second time for the total; an empty first page means no reviews at all.
    """
    sort = sort if sort in Sort.ALL else Sort.NEWEST
    page = max(1, page)
    user_id = _signed_in_id(actor)
    seen = WrittenReview.hidden_at.is_(None)
    if user_id is not None:
        seen = or_(seen, WrittenReview.user_id == user_id)
    where = and_(WrittenReview.material_id == material_id, seen)
    order = (WrittenReview.created_at.desc(), WrittenReview.id.desc())
    if sort == Sort.HELPFUL:
        order = (WrittenReview.helpful_count.desc(), *order)
    voted = exists().where(HelpfulVote.review_id == WrittenReview.id,
                           HelpfulVote.user_id == user_id) \
        if user_id is not None else literal(False)
    mine = select(WrittenReview.id).where(WrittenReview.material_id == material_id,
                                          WrittenReview.user_id == user_id) \
        .scalar_subquery() if user_id is not None else literal(None)
    rows = db.session.execute(
        select(WrittenReview, User.display_name, Rating.stars, voted,
               func.count().over(), mine)
        .join(User, User.id == WrittenReview.user_id)
        .outerjoin(Rating, and_(Rating.material_id == WrittenReview.material_id,
                                Rating.user_id == WrittenReview.user_id))
        .where(where).order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        total, own_id = rows[0][4], rows[0][5]
    elif page == 1:
        total, own_id = 0, None
    else:
        total = db.session.scalar(select(func.count()).select_from(WrittenReview).where(where))
        own_id = None
    return ReviewPage(tuple(_row(r, name, stars, bool(v), user_id)
                            for r, name, stars, v, _total, _mine in rows),
                      int(total or 0), page, sort, per_page, own_id)


def review_for(actor: Actor | None, review_id: int) -> ReviewRow:
    """One review for its own page: the public's if not hidden; a hidden one only for its
    author and moderators."""
    user_id = _signed_in_id(actor)
    voted = exists().where(HelpfulVote.review_id == WrittenReview.id,
                           HelpfulVote.user_id == user_id) \
        if user_id is not None else false()
    found = db.session.execute(
        select(WrittenReview, User.display_name, Rating.stars, voted)
        .join(User, User.id == WrittenReview.user_id)
        .outerjoin(Rating, and_(Rating.material_id == WrittenReview.material_id,
                                Rating.user_id == WrittenReview.user_id))
        .where(WrittenReview.id == review_id)).first()
    if found is None:
        raise NotFound()
    review, name, stars, has_voted = found
    shown_material(actor, review.material_id)
    if review.is_hidden and review.user_id != user_id \
            and not account_policy.is_moderator(actor):
        raise NotFound()
    return _row(review, name, stars, bool(has_voted), user_id)


def level_labels(locale: str) -> dict[str, str]:
    """The level vocabulary's codes and their labels in ``locale``, in display order."""
    return {code: term.label(locale) for code, term in vocabularies()["level"].items()}


def _row(review: WrittenReview, name: str, stars: int | None, voted: bool,
         user_id: int | None) -> ReviewRow:
    return ReviewRow(review.id, review.material_id, review.user_id, name, stars,
                     review.title, review.body, review.used_in_class, review.class_level,
                     review.helpful_count, review.created_at, review.updated_at,
                     review.is_hidden, review.hidden_reason, voted,
                     user_id is not None and review.user_id == user_id)


# -- Helpers ------------------------------------------------------------------------------


def shown_material(actor: Actor | None, material_id: int) -> Material:
    """The material if its reviews are shown (visible to ``actor`` and rateable)."""
    material = queries.material_for(actor, material_id)  # type: ignore[arg-type]
    if not policy.is_rateable(material):
        raise NotFound()
    return material


def reviewable_material(actor: Actor, material_id: int) -> Material:
    material = shown_material(actor, material_id)
    if not policy.can_review(actor, material):
        raise Forbidden(service.refusal(actor, material))
    return material


def _visible(actor: Actor, review_id: int) -> WrittenReview:
    """A review the public sees (not hidden, on a shown material); anything else 404."""
    _user_id(actor)
    review = db.session.get(WrittenReview, review_id)
    if review is None or review.is_hidden:
        raise NotFound()
    shown_material(actor, review.material_id)
    return review


def authors_review(actor: Actor, review_id: int) -> WrittenReview:
    """The review if ``actor`` wrote it: 403 for someone else who can see it, else 404."""
    user_id = _user_id(actor)
    review = db.session.get(WrittenReview, review_id)
    if review is None:
        raise NotFound()
    if review.user_id != user_id:
        if review.is_hidden:
            raise NotFound()
        raise Forbidden(_("Only its author can change a review."))
    return review


def _signed_in_id(actor: Actor | None) -> int | None:
    if actor is None or not actor.is_authenticated:
        return None
    return int(actor.get_user_id())  # type: ignore[attr-defined]


def _user_id(actor: Actor) -> int:
    user_id = _signed_in_id(actor)
    if user_id is None:
        raise Forbidden(_("Log in to write reviews."))
    return user_id
