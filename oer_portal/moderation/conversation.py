"""The conversation on a review request: who may read and write it, comments and replies,
and the timeline a page shows (rounds of versions and threads of messages, in order).

The conversation belongs to the material's authors and the moderators: to anyone else a
request does not exist (``NotFound``, never ``Forbidden``), on every page and endpoint.  It
is plain text, never indexed, never part of an export.  Each message tells the other side
(``notify``): what an author writes goes to the moderators who took part, what a moderator
writes goes to the authors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.core import audit
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials import publishing
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest, ReviewRound
from oer_portal.moderation import checklist
from oer_portal.moderation.models import MessageKind, ReviewMessage
from oer_portal.notifications.models import NotificationKind, TargetType
from oer_portal.notifications.service import notify

#: Longer messages are refused (the form says so before sending).
MAX_LENGTH = 4000
#: How much of a message a notification quotes.
EXCERPT = 200


def may_take_part(actor: Actor | None, material: Material) -> bool:
    """The material's authors and the moderators (admins too) read and write the
    conversation; nobody else sees that there is one."""
    return material_policy.is_author(actor, material) or material_policy.is_staff(actor)


def request_for(actor: Actor, review_id: int) -> ReviewRequest:
    """The request, for someone who may take part in its conversation; else not found."""
    request = db.session.get(ReviewRequest, review_id)
    if request is None or not may_take_part(actor, request.material):
        raise NotFound()
    return request


def author_ids(material: Material) -> set[int]:
    return {material.owner_id, *material.co_author_ids}


def clean_text(text: str, required_message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(required_message)
    if len(text) > MAX_LENGTH:
        raise ValidationError(_("Keep it under %(n)d characters.", n=MAX_LENGTH))
    return text


def add_comment(actor: User, review_id: int, body: str, parent_id: int | None = None
                ) -> ReviewMessage:
    """A comment, or a reply to ``parent_id`` (a message of the same request; a reply to a
    reply joins its thread).  A decided request's conversation is closed: the next
    submission starts a new one."""
    request = request_for(actor, review_id)
    body = clean_text(body, _("Write a comment first."))
    parent = None
    if parent_id is not None:
        parent = db.session.get(ReviewMessage, parent_id)
        if parent is None or parent.request_id != request.id:
            raise NotFound()
        if parent.parent_id is not None:
            parent = db.session.get(ReviewMessage, parent.parent_id)
    if not request.is_open:
        raise ValidationError(_("This review has been decided; its conversation is closed."))
    message = ReviewMessage(request_id=request.id, parent_id=parent.id if parent else None,
                            author_id=actor.id, version_id=request.version_id,
                            kind=MessageKind.COMMENT, body=body, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    audit.record("review.comment", actor_id=actor.id, target=("material", request.material_id),
                 details={"review": request.id, "message": message.id,
                          "reply_to": message.parent_id})
    notify(other_side(actor, request), NotificationKind.REVIEW_COMMENT,
           (TargetType.REVIEW, request.id),
           {**about(request), "commenter": actor.display_name, "excerpt": excerpt(body)},
           actor_id=actor.id)
    return message


def record_decision(actor: User, request: ReviewRequest, kind: MessageKind, body: str,
                    checklist: Sequence[str]) -> ReviewMessage:
    """A moderator's decision as a message of the conversation, about the version decided."""
    message = ReviewMessage(request_id=request.id, author_id=actor.id,
                            version_id=request.version_id, kind=kind, body=body,
                            checklist=list(checklist), created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def other_side(actor: User, request: ReviewRequest) -> set[int]:
    """Who is told of what ``actor`` wrote or decided: a moderator's words go to the
    material's authors; an author's to the moderators who took part in the conversation
    (wrote or decided in it).  While no moderator has, the request waits in the queue, where
    every moderator sees the conversation."""
    authors = author_ids(request.material)
    if actor.id not in authors:
        return authors
    moderators = set(db.session.scalars(select(ReviewMessage.author_id).where(
        ReviewMessage.request_id == request.id).distinct()))
    if request.decided_by_id is not None:
        moderators.add(request.decided_by_id)
    return moderators - authors


def about(request: ReviewRequest) -> dict[str, Any]:
    """The names and numbers every review notification's message needs."""
    version = request.version
    return {"title": version.title, "version": version.number,
            "material_id": request.material_id}


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


# -- Reading: the timeline a page shows ------------------------------------------------------


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    body: str
    author_name: str
    #: Written by one of the material's authors (else by a moderator).
    by_author: bool
    version_number: int
    created_at: datetime
    #: Decisions: the checklist points ticked (codes).
    checklist: tuple[str, ...] | None
    replies: list[Message] = field(default_factory=list)

    @property
    def is_decision(self) -> bool:
        return self.kind != MessageKind.COMMENT

    @property
    def checked(self) -> tuple[str, ...]:
        """The checklist points the moderator ticked with this decision."""
        return checklist.labels(self.checklist or ())

    @property
    def not_checked(self) -> tuple[str, ...]:
        """The points left unticked: for the author, what is not met yet."""
        return checklist.labels(self.checklist or (), ticked=False)


@dataclass(frozen=True)
class Round:
    """A version submitted within the request."""

    version_number: int
    submitted_by: str
    submitted_at: datetime
    #: The request's first round (later ones continue it).
    first: bool


@dataclass(frozen=True)
class Entry:
    """One step of the timeline: a round or a thread (a message and its replies)."""

    at: datetime
    round: Round | None = None
    thread: Message | None = None


@dataclass(frozen=True)
class Conversation:
    request_id: int
    entries: tuple[Entry, ...]
    #: The versions the request went through, in order.
    rounds: tuple[Round, ...]
    #: Comments and replies are still taken (the request is open).
    open: bool
    message_count: int

    @property
    def threads(self) -> tuple[Message, ...]:
        return tuple(entry.thread for entry in self.entries if entry.thread is not None)


def conversation_of(request: ReviewRequest) -> Conversation:
    """The whole timeline of ``request`` in two statements, however long it is: the rounds
    with their version numbers and submitters, the messages with theirs."""
    authors = author_ids(request.material)
    rounds = tuple(
        Round(number, name, at, first=index == 0)
        for index, (number, name, at) in enumerate(db.session.execute(
            select(MaterialVersion.number, User.display_name, ReviewRound.submitted_at)
            .join(MaterialVersion, MaterialVersion.id == ReviewRound.version_id)
            .join(User, User.id == ReviewRound.submitted_by_id)
            .where(ReviewRound.request_id == request.id).order_by(ReviewRound.id))))
    rows = db.session.execute(
        select(ReviewMessage.id, ReviewMessage.parent_id, ReviewMessage.kind,
               ReviewMessage.body, ReviewMessage.author_id, User.display_name,
               MaterialVersion.number, ReviewMessage.created_at, ReviewMessage.checklist)
        .join(User, User.id == ReviewMessage.author_id)
        .join(MaterialVersion, MaterialVersion.id == ReviewMessage.version_id)
        .where(ReviewMessage.request_id == request.id).order_by(ReviewMessage.id)).all()
    threads: dict[int, Message] = {}
    for (message_id, parent_id, kind, body, author_id, name, number, at,
         ticked) in rows:
        message = Message(message_id, kind, body, name, author_id in authors, number, at,
                          tuple(ticked) if ticked is not None else None)
        parent = threads.get(parent_id) if parent_id is not None else None
        if parent is not None:
            parent.replies.append(message)
        else:
            threads[message_id] = message
    entries = sorted([Entry(r.submitted_at, round=r) for r in rounds]
                     + [Entry(m.created_at, thread=m) for m in threads.values()],
                     key=lambda entry: (entry.at, entry.thread is not None))
    return Conversation(request.id, tuple(entries), rounds, request.is_open, len(rows))


def notify_authors(actor: User, request: ReviewRequest, kind: NotificationKind,
                   params: dict[str, Any]) -> None:
    notify(author_ids(request.material), kind, (TargetType.REVIEW, request.id),
           {**about(request), **params}, actor_id=actor.id)


def tell_moderators_of_new_version(request: ReviewRequest, by: User) -> None:
    """The author answered (a request for changes, or a comment) with a new version: the
    moderators who took part in the conversation hear that the review continues; while
    none has, the request simply waits in the queue again."""
    if by.id not in author_ids(request.material):
        return  # an admin's version: nobody answered anyone
    notify(other_side(by, request), NotificationKind.REVIEW_RESUBMITTED,
           (TargetType.REVIEW, request.id), about(request), actor_id=by.id)


publishing.on_resubmitted(tell_moderators_of_new_version)
