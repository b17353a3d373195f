"""Notifications are written in the unit of work of what they tell, for everyone but the
actor, and read, counted and marked per user only."""

from __future__ import annotations

from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.notifications import service
from oer_portal.notifications.models import Notification, NotificationKind, TargetType


def test_everyone_but_the_actor_is_told_once_and_only_after_the_commit(app, make_user):
    author, co_author, moderator = (make_user("teacher"), make_user("teacher"),
                                    make_user("moderator"))
    sent: list[list[int]] = []
    service.on_notified(lambda ids: sent.append(list(ids)))
    try:
        with app.app_context():
            made = service.notify([author.id, co_author.id, author.id, moderator.id],
                                  NotificationKind.REVIEW_APPROVED, (TargetType.MATERIAL, 7),
                                  {"title": "Breuken", "version": 2}, actor_id=moderator.id)
            assert {n.user_id for n in made} == {author.id, co_author.id}
            assert sent == []  # nothing leaves before the commit
            current_uow().commit()
            assert sent == [[n.id for n in made]]
            current_uow().rollback()
        with app.app_context():
            service.notify([author.id], NotificationKind.REVIEW_COMMENT,
                           (TargetType.REVIEW, 3))
            current_uow().rollback()  # a decision undone takes its notification with it
            assert db.session.query(Notification).count() == 2
            assert len(sent) == 1  # a rolled-back notification is never sent
    finally:
        service._after_commit.clear()


def test_inbox_count_and_marking_read_belong_to_their_user(app, make_user):
    reader, other = make_user("teacher"), make_user("teacher")
    with app.app_context():
        for number in range(3):
            service.notify([reader.id, other.id], NotificationKind.UPSTREAM_CHANGED,
                           (TargetType.MATERIAL, number), {"number": number})
        current_uow().commit()
        mine, more = service.inbox(reader.id)
        assert [n.params["number"] for n in mine] == [2, 1, 0] and not more
        theirs = service.inbox(other.id)[0]
        assert service.mark_read(reader.id, [theirs[0].id]) == 0  # not the reader's to mark
        assert service.mark_read(reader.id, [mine[0].id]) == 1
        current_uow().commit()
        assert (service.unread_count(reader.id), service.unread_count(other.id)) == (2, 3)
        assert service.mark_read(reader.id) == 2
        current_uow().commit()
        assert service.unread_count(reader.id) == 0
