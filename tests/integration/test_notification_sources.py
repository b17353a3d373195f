"""The two sources wired here: an admin's decision on a teacher request tells the applicant,
and a new published version of an original tells the owners and co-authors of its remixes
(through the publish listeners of ``materials.publishing``, which materials owns and the
remix feature subscribes to)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, publishing
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material
from oer_portal.notifications.models import Notification, NotificationKind
from oer_portal.remix import service as remixing
from tests.integration.test_notification_inbox import _badge, text_of
from tests.integration.test_teacher_requests import _ask, _request_id


def _notifications(app, kind: NotificationKind | None = None) -> list[Notification]:
    with app.app_context():
        statement = select(Notification).order_by(Notification.id)
        if kind is not None:
            statement = statement.where(Notification.kind == kind)
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


# --- teacher decisions ---------------------------------------------------------------------


def _asked(app, client, new_client, make_user) -> tuple[Any, Any, Any, int]:
    """A student who asked for the teacher role (signed in on ``client``) and an admin
    signed in on a client of their own; the request's id."""
    student, admin = make_user("student"), make_user("admin", name="Bram Beheerder")
    client.login(student.email)
    assert _ask(client).status_code == 302
    admin_client = new_client()
    admin_client.login(admin.email)
    return student, admin, admin_client, _request_id(app)


@pytest.mark.parametrize(("approve", "kind", "sentence"), [
    (True, NotificationKind.TEACHER_APPROVED,
     "Bram Beheerder approved your request for the teacher role."),
    (False, NotificationKind.TEACHER_REJECTED,
     "Bram Beheerder rejected your request for the teacher role."),
], ids=["approved", "rejected"])
def test_a_teacher_decision_tells_the_applicant_and_nobody_else(
        app, client, new_client, make_user, approve, kind, sentence):
    student, admin, admin_client, request_id = _asked(app, client, new_client, make_user)
    admin_client.post(f"/admin/teacher-requests/{request_id}",
                      {"approve" if approve else "reject": "1", "note": "Zie de voorwaarden."})

    [told] = _notifications(app)
    assert (told.user_id, told.kind, told.target_type, told.target_id, told.actor_id) == (
        student.id, kind, "teacher_request", request_id, admin.id)
    # The header's notice tells it once, as before; the inbox keeps it.
    first = client.get("/").get_data(as_text=True)
    assert 'class="decision-notice' in first and "Zie de voorwaarden." in first
    assert _badge(first) == "Unread notifications: 1"  # the page that claims the notice too
    assert 'class="decision-notice' not in client.get("/").get_data(as_text=True)
    inbox = client.get("/my/notifications").get_data(as_text=True)
    assert sentence in text_of(inbox)
    response = client.post(f"/my/notifications/{told.id}/open")
    assert response.headers["Location"] == "/account/teacher-request"


def test_a_refused_decision_tells_nobody(app, client, new_client, make_user):
    *_people, admin_client, request_id = _asked(app, client, new_client, make_user)
    url = f"/admin/teacher-requests/{request_id}"
    admin_client.post(url, {"approve": "1"})
    admin_client.post(url, {"reject": "1"})  # already decided: refused
    assert [n.kind for n in _notifications(app)] == [NotificationKind.TEACHER_APPROVED]


# --- upstream changes ----------------------------------------------------------------------


@pytest.fixture()
def people(make_user) -> dict[str, Any]:
    return {name: make_user("teacher", name=full) for name, full in (
        ("anna", "Anna Aalders"), ("bea", "Bea Bakker"), ("cor", "Cor Claassen"),
        ("dan", "Dan Dekker"), ("eva", "Eva Evers"), ("fay", "Fay Faber"))} | {
        "mod": make_user("moderator", name="Mo Moderator")}


def _user(record) -> User:
    return db.session.get(User, record.id)


def _remix(app, who, material_id: int, title: str, co_author=None) -> int:
    with app.app_context():
        remix = remixing.remix(_user(who), material_id, None, "CC-BY-4.0", title)
        if co_author is not None:
            materials.add_co_author(_user(who), remix.id, co_author.email)
        current_uow().commit()
        return remix.id


def _new_version(app, who, material_id: int, body: str) -> None:
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        materials.save_version(_user(who), material_id, head.id,
                               replace(VersionFields.of(head), body=body),
                               refs_of(head.attachments))
        current_uow().commit()


def _approve_by_page(app, moderator_client, who, material_id: int) -> None:
    """The author submits, the moderator approves on the review queue (a real request)."""
    with app.app_context():
        review = lifecycle.submit_for_review(_user(who), db.session.get(Material, material_id))
        current_uow().commit()
        review_id = review.id
        version_id = review.version_id
    response = moderator_client.post(f"/moderation/reviews/{review_id}/approve",
                                     {"version_id": str(version_id)})
    assert response.status_code == 302


def test_a_new_version_of_an_original_tells_the_remixers_who_are_behind(
        app, client, new_client, people, make_material):
    anna, bea, cor, dan, eva, fay, mod = (people[n] for n in
                                          ("anna", "bea", "cor", "dan", "eva", "fay", "mod"))
    original = make_material(anna, title="Breuken", publish_by=mod)
    behind = _remix(app, bea, original, "Breuken voor groep 7", co_author=cor)
    withdrawn = _remix(app, dan, original, "Breuken van Dan")
    dan_client = new_client()
    dan_client.login(dan.email)
    assert dan_client.post(f"/materials/{withdrawn}/withdraw",
                           {"reason": ""}).status_code == 302
    moderator = new_client()
    moderator.login(mod.email)
    with app.app_context():  # Bea's remix is published, and Fay remixes the remix
        material = db.session.get(Material, behind)
        lifecycle.publish(material, material.latest_version, _user(mod))
        current_uow().commit()
    _remix(app, fay, behind, "Breuken voor groep 8")

    _new_version(app, anna, original, "Regel een\nRegel twee\n")
    assert _notifications(app, NotificationKind.UPSTREAM_CHANGED) == []  # a draft is no news
    _approve_by_page(app, moderator, anna, original)

    told = _notifications(app, NotificationKind.UPSTREAM_CHANGED)
    assert sorted(n.user_id for n in told) == sorted([bea.id, cor.id])
    assert {(n.target_type, n.target_id, n.actor_id) for n in told} == {
        ("material", behind, mod.id)}
    assert told[0].params == {"title": "Breuken voor groep 7", "source_title": "Breuken",
                              "version": 2, "source_id": original}

    client.login(cor.email)
    inbox = client.get("/my/notifications").get_data(as_text=True)
    assert ("The original of your remix “Breuken voor groep 7” has a new version: version 2 "
            "of “Breuken”.") in text_of(inbox)
    [opened] = re.findall(r'action="(/my/notifications/\d+/open)"', inbox)
    assert client.post(opened).headers["Location"] == f"/materials/{behind}/upstream"
    assert client.get(f"/materials/{behind}/upstream").status_code == 200  # a co-author acts

    # Eva remixes version 2; version 3 tells her, and Bea and Cor again (still behind).
    in_step = _remix(app, eva, original, "Breuken van Eva")
    _new_version(app, anna, original, "Regel een\nRegel twee\nRegel drie\n")
    _approve_by_page(app, moderator, anna, original)
    third = [n for n in _notifications(app, NotificationKind.UPSTREAM_CHANGED)
             if n.params["version"] == 3]
    assert sorted((n.user_id, n.target_id) for n in third) == sorted(
        [(bea.id, behind), (cor.id, behind), (eva.id, in_step)])


def test_a_remix_that_pulled_the_new_version_is_not_told_again(
        app, client, people, make_material):
    anna, bea, mod = people["anna"], people["bea"], people["mod"]
    original = make_material(anna, title="Breuken", publish_by=mod)
    remix = _remix(app, bea, original, "Breuken voor groep 7")
    _new_version(app, anna, original, "Regel een\nRegel twee\n")
    with app.app_context():
        material = db.session.get(Material, original)
        lifecycle.publish(material, material.latest_version, _user(mod))
        current_uow().commit()
    client.login(bea.email)
    page = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    source_version = re.search(r'name="source_version_id" value="(\d+)"', page)[1]
    assert client.post(f"/materials/{remix}/upstream/pull",
                       {"source_version_id": source_version}).status_code == 302
    with app.app_context():  # published again (an import re-publishing the same version)
        material = db.session.get(Material, original)
        lifecycle.publish(material, material.published_version, _user(mod))
        current_uow().commit()
    assert len(_notifications(app, NotificationKind.UPSTREAM_CHANGED)) == 1


def test_a_publish_listener_registered_twice_hears_each_publication_once(
        app, people, make_material):
    heard: list[int] = []

    def listener(material, version, by) -> None:
        heard.append(version.number)

    publishing.on_published(listener)
    publishing.on_published(listener)
    try:
        make_material(people["anna"], publish_by=people["mod"])
    finally:
        publishing._LISTENERS.remove(listener)
    assert heard == [1]
