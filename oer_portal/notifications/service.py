"""Telling people: ``notify`` writes a notification for each recipient in the caller's unit
of work, so it exists exactly when the decision it tells of was committed.

Features call ``notify`` from their services (a review decision, a teacher-role decision, a
report's outcome); the actor is never told of their own action.  Sending e-mail is work
after the commit (``on_commit``): a failed send never undoes a decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update

from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.notifications.models import Notification, NotificationKind, TargetType

#: Called after the commit with the new notifications' ids (e-mail is registered here).
_after_commit: list[Callable[[Sequence[int]], None]] = []

PAGE = 50


def on_notified(listener: Callable[[Sequence[int]], None]) -> None:
    """Run ``listener(ids)`` after a commit that wrote notifications (e-mail registers)."""
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


def inbox(user_id: int, page: int = 1) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether there are more."""
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.id.desc())
                              .offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    return list(rows[:PAGE]), len(rows) > PAGE


def mark_read(user_id: int, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or those given) read; returns how many changed.
    Another user's ids are ignored."""
    statement = update(Notification).where(Notification.user_id == user_id,
                                           Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    return db.session.execute(statement.values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount
