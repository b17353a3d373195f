"""The inbox at /my/notifications: one's own notifications only, newest first, a page at a
time, unread ones marked and opened by a POST that marks them read and goes where they lead;
each worded in the reader's language; the unread count in the header."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.notifications import service
from oer_portal.notifications.models import Notification, NotificationKind, TargetType

OPEN = re.compile(r'action="/my/notifications/(\d+)/open"')


def tell(app, recipient, kind: NotificationKind = NotificationKind.REVIEW_APPROVED,
         target: tuple[TargetType, int] = (TargetType.MATERIAL, 7),
         params: dict[str, Any] | None = None, actor=None) -> int:
    """One committed notification; its id."""
    with app.app_context():
        made = service.notify([recipient.id], kind, target,
                              {"title": "Breuken", "version": 3} if params is None else params,
                              actor_id=actor.id if actor else None)
        current_uow().commit()
        return made[0].id


def read_at(app, notification_id: int):
    with app.app_context():
        return db.session.scalar(select(Notification.read_at)
                                 .where(Notification.id == notification_id))


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture()
def people(make_user):
    return {"reader": make_user("teacher", name="Rik Reader"),
            "other": make_user("teacher", name="Olga Other"),
            "mod": make_user("moderator", name="Mo Moderator")}


def test_the_inbox_lists_only_ones_own_newest_first_with_the_unread_marked(
        app, client, people):
    reader, other, mod = people["reader"], people["other"], people["mod"]
    first = tell(app, reader, params={"title": "Breuken", "version": 1}, actor=mod)
    tell(app, other, params={"title": "Geheim van Olga", "version": 1}, actor=mod)
    second = tell(app, reader, NotificationKind.REVIEW_REJECTED,
                  params={"title": "Procenten", "version": 2}, actor=mod)
    with app.app_context():
        service.mark_read(reader.id, [first])
        current_uow().commit()

    client.login(reader.email)
    page = client.get("/my/notifications").get_data(as_text=True)
    assert "<title>Notifications ·" in page
    text = text_of(page)
    assert "Geheim van Olga" not in text
    newest = text.index("Mo Moderator rejected version 2 of “Procenten”.")
    assert newest < text.index("Mo Moderator approved version 1 of “Breuken”.")
    assert OPEN.findall(page) == [str(second)]  # only the unread one is opened by a POST
    assert "New: Mo Moderator rejected" in text
    assert "1 unread notification" in text


def test_the_inbox_is_for_signed_in_users(client):
    response = client.get("/my/notifications")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/my/notifications/read").status_code == 302


def test_the_inbox_pages_fifty_at_a_time(app, client, people):
    reader = people["reader"]
    with app.app_context():
        for number in range(1, 56):
            service.notify([reader.id], NotificationKind.REVIEW_APPROVED,
                           (TargetType.MATERIAL, number), {"title": f"Les {number}",
                                                           "version": 1})
        current_uow().commit()
    client.login(reader.email)

    first = text_of(client.get("/my/notifications").get_data(as_text=True))
    assert "“Les 55”" in first and "“Les 6”" in first and "“Les 5”" not in first
    assert "Older notifications" in first and "Newer notifications" not in first
    second = text_of(client.get("/my/notifications?page=2").get_data(as_text=True))
    assert [n for n in range(1, 56) if f"“Les {n}”" in second] == [1, 2, 3, 4, 5]
    assert "Newer notifications" in second and "Older notifications" not in second
    beyond = text_of(client.get("/my/notifications?page=9").get_data(as_text=True))
    assert "There are no notifications on this page." in beyond
    for odd in ("0", "-3", "many"):  # a page that is no page is the first
        assert "“Les 55”" in client.get(f"/my/notifications?page={odd}").get_data(as_text=True)


def test_opening_one_marks_it_read_and_goes_where_it_leads(app, client, people):
    reader = people["reader"]
    notification = tell(app, reader, target=(TargetType.MATERIAL, 42), actor=people["mod"])
    client.login(reader.email)
    assert client.get(f"/my/notifications/{notification}/open").status_code == 405  # no GET
    assert read_at(app, notification) is None

    response = client.post(f"/my/notifications/{notification}/open")
    assert response.status_code == 303
    assert response.headers["Location"] == "/materials/42"
    assert read_at(app, notification) is not None
    page = client.get("/my/notifications").get_data(as_text=True)
    assert OPEN.findall(page) == [] and 'href="/materials/42"' in page  # now a plain link
    again = client.post(f"/my/notifications/{notification}/open")  # still leads there
    assert again.headers["Location"] == "/materials/42"


def test_someone_elses_notification_cannot_be_opened_or_marked(app, client, people):
    reader, other = people["reader"], people["other"]
    theirs = tell(app, other)
    client.login(reader.email)
    assert client.post(f"/my/notifications/{theirs}/open").status_code == 404
    assert client.post("/my/notifications/999999/open").status_code == 404
    client.post("/my/notifications/read", {"up_to": str(theirs)})
    assert read_at(app, theirs) is None


@pytest.mark.parametrize(("kind", "target", "params", "link"), [
    (NotificationKind.REVIEW_APPROVED, (TargetType.MATERIAL, 12), {}, "/materials/12"),
    (NotificationKind.REVIEW_COMMENT, (TargetType.REVIEW, 5), {}, "/moderation/reviews/5"),
    (NotificationKind.REVIEW_CHANGES_REQUESTED, (TargetType.REVIEW, 6), {},
     "/moderation/reviews/6"),
    (NotificationKind.REPORT_OUTCOME, (TargetType.REPORT, 3), {"material_id": 12},
     "/materials/12"),
    (NotificationKind.TEACHER_APPROVED, (TargetType.TEACHER_REQUEST, 9), {},
     "/account/teacher-request"),
    (NotificationKind.UPSTREAM_CHANGED, (TargetType.MATERIAL, 12), {},
     "/materials/12/upstream"),
], ids=["material", "review-comment", "review-decision", "report", "teacher-request",
        "upstream"])
def test_each_target_links_to_the_place_to_act(app, client, people, kind, target, params,
                                               link):
    reader = people["reader"]
    notification = tell(app, reader, kind, target, {"title": "Breuken", "version": 2, **params})
    client.login(reader.email)
    response = client.post(f"/my/notifications/{notification}/open")
    assert response.headers["Location"] == link
    assert f'href="{link}"' in client.get("/my/notifications").get_data(as_text=True)


def test_a_report_without_its_material_leads_back_to_the_inbox(app, client, people):
    reader = people["reader"]
    notification = tell(app, reader, NotificationKind.REPORT_OUTCOME, (TargetType.REPORT, 3))
    client.login(reader.email)
    response = client.post(f"/my/notifications/{notification}/open")
    assert response.headers["Location"] == "/my/notifications"
    page = client.get("/my/notifications").get_data(as_text=True)
    assert '<p class="notification__text">' in page


@pytest.mark.parametrize(("locale", "sentences"), [
    ("nl", ["Mo Moderator heeft versie 3 van “Breuken” goedgekeurd.",
            "Mo Moderator heeft je aanvraag voor de docentrol goedgekeurd.",
            "Het origineel van je remix “Breuken voor groep 7” heeft een nieuwe versie: "
            "versie 4 van “Breuken”.",
            "Een moderator heeft versie 2 van “Procenten” afgewezen."]),
    ("en", ["Mo Moderator approved version 3 of “Breuken”.",
            "Mo Moderator approved your request for the teacher role.",
            "The original of your remix “Breuken voor groep 7” has a new version: version 4 "
            "of “Breuken”.",
            "A moderator rejected version 2 of “Procenten”."]),
])
def test_each_notification_is_worded_in_the_readers_language(app, new_client, people,
                                                             locale, sentences):
    reader, mod = people["reader"], people["mod"]
    tell(app, reader, params={"title": "Breuken", "version": 3}, actor=mod)
    tell(app, reader, NotificationKind.TEACHER_APPROVED, (TargetType.TEACHER_REQUEST, 1),
         params={}, actor=mod)
    tell(app, reader, NotificationKind.UPSTREAM_CHANGED, (TargetType.MATERIAL, 8),
         params={"title": "Breuken voor groep 7", "source_title": "Breuken", "version": 4},
         actor=mod)
    # A moderator whose account is gone is "a moderator".
    tell(app, reader, NotificationKind.REVIEW_REJECTED, params={"title": "Procenten",
                                                                "version": 2})
    client = new_client(locale)
    client.login(reader.email)
    text = text_of(client.get("/my/notifications").get_data(as_text=True))
    for sentence in sentences:
        assert sentence in text


def test_names_are_escaped_and_a_broken_notification_still_reads(app, client, people):
    reader = people["reader"]
    tell(app, reader, params={"title": "<script>alert(1)</script>", "version": 1})
    tell(app, reader, params={})  # a caller that forgot the params
    with app.app_context():  # a kind added elsewhere before its sentence was
        db.session.add(Notification(user_id=reader.id, kind="future.kind",
                                    target_type="future", target_id=1, params={}))
        current_uow().commit()
    client.login(reader.email)
    page = client.get("/my/notifications").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = text_of(page)
    assert "A moderator approved version … of “…”." in text
    assert "You have a new notification." in text


def _badge(page: str) -> str | None:
    """The header's count of unread notifications as a screen reader reads it (beside the
    name, linked to the inbox), or ``None`` when there is none."""
    nav = page[page.index('aria-label="Account"'):page.index("</nav>")]
    link = re.search(r'<a class="count-badge" href="/my/notifications">(.*?)</a>', nav, re.S)
    return text_of(link[1]) if link else None


def test_the_header_counts_the_unread(app, client, people):
    reader = people["reader"]
    client.login(reader.email)
    assert _badge(client.get("/").get_data(as_text=True)) is None
    seen = [tell(app, reader) for _ in range(2)]
    assert _badge(client.get("/").get_data(as_text=True)) == "Unread notifications: 2"

    late = tell(app, reader)  # arrives after the reader looked at the inbox
    response = client.post("/my/notifications/read", {"up_to": str(seen[-1])})
    assert response.headers["Location"] == "/my/notifications"
    assert [read_at(app, n) is not None for n in (*seen, late)] == [True, True, False]
    assert _badge(client.get("/").get_data(as_text=True)) == "Unread notifications: 1"
    client.post("/my/notifications/read", {"up_to": str(late)})
    assert _badge(client.get("/").get_data(as_text=True)) is None


def test_the_header_keeps_a_long_count_short(app, client, people):
    reader = people["reader"]
    with app.app_context():
        for number in range(12):
            service.notify([reader.id], NotificationKind.REVIEW_COMMENT,
                           (TargetType.REVIEW, number), {"title": "Breuken"})
        current_uow().commit()
    client.login(reader.email)
    assert _badge(client.get("/").get_data(as_text=True)) == "Unread notifications: 9+"
    assert "12 unread notifications" in text_of(client.get("/my/notifications").get_data(
        as_text=True))


def test_the_inbox_is_dutch_by_default(app, new_client, people):
    reader = people["reader"]
    tell(app, reader, actor=people["mod"])
    client = new_client(None)
    client.login(reader.email)
    page = client.get("/my/notifications").get_data(as_text=True)
    assert "<h1>Meldingen</h1>" in page and "Alles als gelezen markeren" in page
    assert _badge(client.get("/").get_data(as_text=True)) == "Ongelezen meldingen: 1"
