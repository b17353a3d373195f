"""Telling people: ``notify`` writes a notification for each recipient in the caller's unit
of work, so it exists exactly when the decision it tells of was committed.

Features call ``notify`` from their services (a review decision, a teacher-role decision, a
report's outcome); the actor is never told of their own action.  The params each kind needs
are listed in ``messages.py``.  Sending e-mail is work after the commit (``on_notified``,
``mail.py``): a failed send never undoes a decision.

Reading is per user: the inbox, the unread count (the header reads it with the signed-in
user, ``unread_count_of``), opening one (marks it read) and the e-mail settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import aliased

from oer_portal.accounts.models import User
from oer_portal.core.errors import NotFound
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.notifications import messages
from oer_portal.notifications.models import (
    Notification,
    NotificationKind,
    NotificationSetting,
    TargetType,
)

#: Called after the commit with the new notifications' ids (e-mail is registered here).
_after_commit: list[Callable[[Sequence[int]], None]] = []

PAGE = 50


def on_notified(listener: Callable[[Sequence[int]], None]) -> None:
    """Run ``listener(ids)`` after a commit that wrote notifications (e-mail registers).

    Registering the same listener again changes nothing: every app created (one per test)
    registers its e-mail, and each notification must be mailed once.
    """
    if listener not in _after_commit:
        _after_commit.append(listener)


def notify(recipient_ids: Iterable[int], kind: NotificationKind, target: tuple[TargetType, int],
           params: Mapping[str, Any] | None = None, actor_id: int | None = None
           ) -> list[Notification]:
    """A notification of ``kind`` about ``target`` for every recipient but the actor."""
    from oer_portal.core.uow import current_uow

    created = [Notification(user_id=user_id, kind=kind.value, target_type=target[0].value,
                            target_id=target[1], params=dict(params or {}),
                            actor_id=actor_id, created_at=utcnow())
               for user_id in dict.fromkeys(recipient_ids) if user_id != actor_id]
    if not created:
        return []
    db.session.add_all(created)
    db.session.flush()
    ids = [notification.id for notification in created]
    for listener in _after_commit:
        current_uow().on_commit(lambda listener=listener: listener(ids))
    return created


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def unread_count_of(user_id: ColumnElement[int]) -> ColumnElement[int]:
    """The unread count of the user whose id is ``user_id`` (a column of the statement it
    goes in): the session loader reads it with the user, so the header's count costs no
    query of its own."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def inbox(user_id: int, page: int = 1, per_page: int = PAGE) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether there are more."""
    page = max(page, 1)
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.id.desc())
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return list(rows[:per_page]), len(rows) > per_page


@dataclass(frozen=True)
class InboxEntry:
    """A notification as the inbox shows it: with the name of who caused it."""

    notification: Notification
    actor_name: str | None

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    def sentence(self) -> str:
        """Worded in the locale in force when it is asked (the page's)."""
        n = self.notification
        return messages.sentence(n.kind, n.params or {}, self.actor_name)


@dataclass(frozen=True)
class InboxPage:
    entries: list[InboxEntry]
    page: int
    has_more: bool
    #: Unread notifications on every page, for "mark all read".
    unread: int
    #: The newest notification of the user when the page was made: "mark all read" marks
    #: up to it, not one that arrived after the reader looked.
    newest_id: int | None


def inbox_page(user_id: int, page: int = 1, per_page: int = PAGE) -> InboxPage:
    """A page of the inbox with the actors' names, read in one query for the page."""
    page = max(page, 1)
    notifications, more = inbox(user_id, page, per_page)
    names = _display_names({n.actor_id for n in notifications if n.actor_id is not None})
    unread, newest = db.session.execute(
        select(func.count(Notification.id).filter(Notification.read_at.is_(None)),
               func.max(Notification.id))
        .where(Notification.user_id == user_id)).one()
    return InboxPage([InboxEntry(n, names.get(n.actor_id) if n.actor_id else None)
                      for n in notifications], page, more, unread or 0, newest)


def _display_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(user_ids))).all())


def open_notification(user_id: int, notification_id: int) -> Notification:
    """The user's own notification, now read.  Another user's (a tampered id) is not found,
    as a notification that does not exist is: its existence is nobody else's business."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_read(user_id: int, notification_ids: Iterable[int] | None = None,
              up_to: int | None = None) -> int:
    """Mark the user's notifications (all, those given, or all up to the id ``up_to``: the
    newest the reader saw, so one that arrived meanwhile stays unread) read; returns how
    many changed.  Another user's ids are ignored."""
    statement = update(Notification).where(Notification.user_id == user_id,
                                           Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    if up_to is not None:
        statement = statement.where(Notification.id <= up_to)
    return db.session.execute(statement.values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount


# --- e-mail settings -----------------------------------------------------------------------


def email_settings(user_id: int) -> dict[NotificationKind, bool]:
    """Per kind, whether the user gets an e-mail: their choice, else the kind's default."""
    chosen = dict(db.session.execute(
        select(NotificationSetting.kind, NotificationSetting.email)
        .where(NotificationSetting.user_id == user_id)).all())
    return {kind: chosen.get(kind.value, messages.email_by_default(kind.value))
            for kind in NotificationKind}


def save_email_settings(user_id: int, emailed: Iterable[NotificationKind]) -> None:
    """E-mail the kinds in ``emailed`` to the user and no others.

    Only choices that differ from a kind's default are stored: someone who left a default
    alone follows it if it ever changes.  The user's row is locked first (PostgreSQL; SQLite's
    writer lock does it there) and the rows are deleted and written again, so two saves at
    once (two tabs) end as one of them, not a mix or a duplicate key.
    """
    wanted = set(emailed)
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    db.session.execute(delete(NotificationSetting)
                       .where(NotificationSetting.user_id == user_id))
    db.session.add_all(
        NotificationSetting(user_id=user_id, kind=kind.value, email=kind in wanted)
        for kind in NotificationKind
        if (kind in wanted) != messages.email_by_default(kind.value))
    db.session.flush()


@dataclass(frozen=True)
class Delivery:
    """One notification to e-mail: everything the message needs, read before sending so no
    database transaction stays open while the mail server is slow."""

    notification_id: int
    kind: str
    target_type: str
    target_id: int
    params: dict[str, Any]
    actor_name: str | None
    recipient_id: int
    email: str
    display_name: str
    locale: str | None


def deliveries(notification_ids: Sequence[int]) -> list[Delivery]:
    """The notifications among ``notification_ids`` whose recipients want them e-mailed."""
    if not notification_ids:
        return []
    actor = aliased(User)
    rows = db.session.execute(
        select(Notification, User.email, User.display_name, User.locale,
               actor.display_name, NotificationSetting.email)
        .join(User, User.id == Notification.user_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(NotificationSetting, (NotificationSetting.user_id == Notification.user_id)
                   & (NotificationSetting.kind == Notification.kind))
        .where(Notification.id.in_(list(notification_ids)),
               User.deleted_at.is_(None))  # a deleted account has no address to mail
        .order_by(Notification.id)).all()
    return [Delivery(n.id, n.kind, n.target_type, n.target_id, dict(n.params or {}),
                     actor_name, n.user_id, email, name, locale)
            for n, email, name, locale, actor_name, chosen in rows
            if (chosen if chosen is not None else messages.email_by_default(n.kind))]
