"""The review of a request: the review screen, the three decisions (on the review screen, the
lesson page, the diff page and the queue alike), one conversation across the versions a
request goes through, and who may see and do what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialCoAuthor
from oer_portal.materials.reviews import ReviewRequest, ReviewRound
from oer_portal.moderation.models import ReviewMessage
from oer_portal.notifications.models import Notification
from tests.fixtures.statements import page_statements


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "cas": make_user("teacher", name="Cas Coauteur"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "max": make_user("moderator", name="Max Moderator"),
            "admin": make_user("admin", name="Ada Admin"),
            "student": make_user("student", name="Sam Student"),
            "tom": make_user("teacher", name="Tom Teacher")}


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def save(app, person, material_id: int, body: str, **fields) -> int:
    """A new version from the head, saved by ``person``; returns its id."""
    with app.app_context():
        material = db.session.get(Material, material_id)
        version = service.save_version(
            _user(person.id), material_id, material.latest_version_id,
            VersionFields(title=fields.pop("title", "Breuken"), body=body, **fields), []).version
        current_uow().commit()
        return version.id


def submit(app, person, material_id: int) -> int:
    with app.app_context():
        request = lifecycle.submit_for_review(_user(person.id),
                                              db.session.get(Material, material_id))
        current_uow().commit()
        return request.id


def head_id(app, material_id: int) -> int:
    with app.app_context():
        return db.session.get(Material, material_id).latest_version_id


def published_id(app, material_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Material, material_id).published_version_id


def requests_of(app, material_id: int) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(ReviewRequest.id, ReviewRequest.status, ReviewRequest.version_id)
            .where(ReviewRequest.material_id == material_id).order_by(ReviewRequest.id))]


def add_co_author(app, material_id: int, person) -> None:
    with app.app_context():
        db.session.add(MaterialCoAuthor(material_id=material_id, user_id=person.id))
        current_uow().commit()


def decide(client, review_id: int, decision: str, version_id: int | None, comment: str = "",
           checklist: tuple[str, ...] = (), back: str = "review", **kwargs):
    data = {"decision": decision, "comment": comment, "back": back,
            "checklist": list(checklist)}
    if version_id is not None:
        data["version_id"] = str(version_id)
    return client.post(f"/moderation/reviews/{review_id}/decision", data, **kwargs)


def comment(client, review_id: int, body: str, parent_id: int | None = None,
            back: str = "material", **kwargs):
    data = {"body": body, "back": back}
    if parent_id is not None:
        data["parent_id"] = str(parent_id)
    return client.post(f"/moderation/reviews/{review_id}/comments", data, **kwargs)


def as_user(new_client, person, locale: str | None = "en"):
    client = new_client(locale)
    client.login(person.email)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture()
def submitted(app, people, make_material):
    """Anna's lesson, never published, version 1 submitted for review."""
    material_id = make_material(people["anna"], body="Breuken zijn delen van een geheel.\n")
    return material_id, submit(app, people["anna"], material_id)


# -- Approve --------------------------------------------------------------------------------


def test_approve_publishes_exactly_the_reviewed_version_while_a_newer_draft_waits(
        app, new_client, people, submitted):
    material_id, review_id = submitted
    reviewed = head_id(app, material_id)
    # The author saves a newer draft while the moderator reads: it neither cancels the
    # request nor is published by it.
    newer = save(app, people["anna"], material_id, "Een nieuwere, nog ongeziene zin.\n")
    assert requests_of(app, material_id) == [(review_id, "pending", reviewed)]

    mo = as_user(new_client, people["mo"])
    screen = text(mo.get(f"/moderation/reviews/{review_id}"))
    assert "The authors have saved version 2 since" in screen
    response = decide(mo, review_id, "approve", reviewed, checklist=("rights", "privacy"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/moderation/")
    assert published_id(app, material_id) == reviewed
    assert head_id(app, material_id) == newer
    assert requests_of(app, material_id) == [(review_id, "approved", reviewed)]
    public = text(new_client().get(f"/materials/{material_id}", follow_redirects=True))
    assert "delen van een geheel" in public and "ongeziene" not in public


def test_a_decision_names_the_version_and_a_review_that_moved_on_is_refused(
        app, new_client, people, submitted):
    material_id, review_id = submitted
    first = head_id(app, material_id)
    mo = as_user(new_client, people["mo"])
    assert "Your decision on version 1" in text(mo.get(f"/moderation/reviews/{review_id}"))
    # Meanwhile the author submits a newer version instead: the same request continues.
    save(app, people["anna"], material_id, "Tweede versie.\n")
    assert submit(app, people["anna"], material_id) == review_id
    second = head_id(app, material_id)

    stale = decide(mo, review_id, "approve", first, comment="Mooi.")
    assert stale.status_code == 409
    assert "The author submitted version 2 meanwhile" in text(stale)
    assert f'name="version_id" value="{second}"' in text(stale)  # the form names v2 now
    assert "Mooi." in text(stale)  # the moderator's words are kept
    assert published_id(app, material_id) is None

    assert decide(mo, review_id, "approve", second).status_code == 302
    assert published_id(app, material_id) == second
    again = decide(as_user(new_client, people["max"]), review_id, "reject", second,
                   comment="Toch niet.")
    assert again.status_code == 409 and "already been decided" in text(again)
    assert requests_of(app, material_id) == [(review_id, "approved", second)]


def test_a_tampered_decision_or_version_id_changes_nothing(app, new_client, people, submitted):
    material_id, review_id = submitted
    other = save(app, people["anna"], material_id, "Niet ingediend.\n")
    mo = as_user(new_client, people["mo"])
    assert decide(mo, review_id, "publish-everything", head_id(app, material_id)
                  ).status_code == 400
    assert decide(mo, review_id, "approve", other).status_code == 409
    assert decide(mo, 9999, "approve", other).status_code == 404
    assert requests_of(app, material_id)[0][1] == "pending"
    assert published_id(app, material_id) is None


# -- Request changes: one conversation across versions ---------------------------------------


def test_request_changes_then_the_revision_continues_the_same_request_to_approval(
        app, client, new_client, people, submitted):
    material_id, review_id = submitted
    first = head_id(app, material_id)
    mo = as_user(new_client, people["mo"])
    refused = decide(mo, review_id, "request_changes", first, comment="  ")
    assert refused.status_code == 422 and "Tell the author what to change." in text(refused)
    response = decide(mo, review_id, "request_changes", first,
                      comment="Voeg een voorbeeld met taart toe.",
                      checklist=("rights", "metadata", "privacy"))
    assert response.status_code == 302
    assert requests_of(app, material_id) == [(review_id, "changes_requested", first)]
    assert f"/moderation/reviews/{review_id}" not in text(mo.get("/moderation/"))

    # The author reads it on the material, with the points not met, and on the dashboard.
    client.login(people["anna"].email)
    page = text(client.get(f"/materials/{material_id}", follow_redirects=True))
    assert "A moderator asked for changes to version 1:" in page
    assert "Voeg een voorbeeld met taart toe." in page
    assert "Not met yet:" in page and "Images have alt text" in page
    assert "Submit again without changes" in page  # the version asked about is the head
    dashboard = text(client.get("/my/materials"))
    assert "Changes requested" in dashboard and "Voeg een voorbeeld met taart toe." in dashboard
    assert "Moderators ask for changes" in dashboard
    comment(client, review_id, "Taart of pizza?")

    # The author revises and submits: the same request, a second round.
    response = client.post(f"/materials/{material_id}/edit", {
        "title": "Breuken", "language": "nl", "licence": "CC-BY-4.0",
        "body": "Breuken zijn delen van een geheel, zoals een taart.\n",
        "base_version_id": str(first), "summary": "Voorbeeld met taart",
        "save_and_submit": "1"})
    assert response.status_code == 302
    second = head_id(app, material_id)
    assert requests_of(app, material_id) == [(review_id, "pending", second)]
    with app.app_context():
        assert list(db.session.scalars(select(ReviewRound.version_id).where(
            ReviewRound.request_id == review_id).order_by(ReviewRound.id))) == [first, second]

    screen = text(mo.get(f"/moderation/reviews/{review_id}"))
    assert "Taart of pizza?" in screen and "Voeg een voorbeeld met taart toe." in screen
    assert "submitted version 2: the review continues with it" in screen
    assert "diff?from=1&amp;to=2" in screen  # what changed since the request for changes

    # The moderator approves from the lesson page (the version under review is shown).
    lesson = text(mo.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Submitted by Anna Auteur — waiting for your review." in lesson
    assert "Your decision on version 2" in lesson
    response = decide(mo, review_id, "approve", second, back="material",
                      checklist=("rights", "metadata", "level", "alt_text", "privacy"))
    assert response.status_code == 302 and f"/materials/{material_id}-" in \
        response.headers["Location"]
    assert published_id(app, material_id) == second
    assert requests_of(app, material_id) == [(review_id, "approved", second)]
    with app.app_context():
        kinds = list(db.session.execute(select(ReviewMessage.kind, ReviewMessage.version_id)
                                        .where(ReviewMessage.request_id == review_id)
                                        .order_by(ReviewMessage.id)))
    assert [tuple(k) for k in kinds] == [("changes_requested", first), ("comment", first),
                                         ("approved", second)]


def test_a_rejected_request_is_closed_and_the_next_submission_starts_a_new_one(
        app, client, new_client, people, submitted):
    material_id, review_id = submitted
    mo = as_user(new_client, people["mo"])
    decide(mo, review_id, "reject", head_id(app, material_id), comment="Bronnen ontbreken.")
    client.login(people["anna"].email)
    page = text(client.get(f"/materials/{material_id}", follow_redirects=True))
    assert "A moderator rejected version 1: Bronnen ontbreken." in page
    assert "This review has been decided; its conversation is closed." in page
    closed = comment(client, review_id, "Maar waarom?", follow_redirects=True)
    assert "its conversation is closed" in text(closed)
    dashboard = text(client.get("/my/materials"))
    assert "Rejected" in dashboard and "Bronnen ontbreken." in dashboard
    save(app, people["anna"], material_id, "Met bronnen.\n")
    new_review = submit(app, people["anna"], material_id)
    assert new_review != review_id
    assert [status for _id, status, _v in requests_of(app, material_id)] == ["rejected",
                                                                           "pending"]


def test_answering_a_request_for_changes_unchanged_continues_the_request(
        app, client, new_client, people, submitted):
    """An author who disagrees says so in the conversation and submits the same version
    again: the request goes back to the queue, with a second round of the same version."""
    material_id, review_id = submitted
    first = head_id(app, material_id)
    decide(as_user(new_client, people["mo"]), review_id, "request_changes", first,
           comment="Is dit niveau niet te hoog?")
    client.login(people["anna"].email)
    comment(client, review_id, "Nee, dit is havo 4.")
    assert client.post(f"/materials/{material_id}/submit").status_code == 302
    assert requests_of(app, material_id) == [(review_id, "pending", first)]
    with app.app_context():
        assert db.session.scalars(select(ReviewRound.version_id).where(
            ReviewRound.request_id == review_id)).all() == [first, first]
    refused = client.post(f"/materials/{material_id}/submit", follow_redirects=True)
    assert "already waiting for review" in text(refused)


def test_a_material_has_one_open_request_which_the_database_keeps(app, people, submitted):
    from sqlalchemy.exc import IntegrityError

    material_id, _review_id = submitted
    with app.app_context():
        db.session.add(ReviewRequest(material_id=material_id,
                                     version_id=head_id(app, material_id),
                                     submitted_by_id=people["anna"].id,
                                     status="changes_requested"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_withdrawing_cancels_the_open_request_also_when_it_waits_for_changes(
        app, client, new_client, people, submitted):
    material_id, review_id = submitted
    decide(as_user(new_client, people["mo"]), review_id, "request_changes",
           head_id(app, material_id), comment="Graag een bron.")
    client.login(people["anna"].email)
    client.post(f"/materials/{material_id}/withdraw", {"confirm": "y"})
    assert requests_of(app, material_id)[0][1] == "cancelled"


# -- Own work --------------------------------------------------------------------------------


def test_a_moderator_never_decides_on_their_own_work_on_any_path(
        app, client, new_client, people, make_user, make_material):
    both = make_user("teacher", "moderator", name="Bo Beide")
    material_id = make_material(people["anna"], body="Eerste zin.\n", publish_by=people["mo"])
    add_co_author(app, material_id, both)
    save(app, both, material_id, "Eerste zin. Tweede zin.\n")
    review_id = submit(app, people["anna"], material_id)
    version = head_id(app, material_id)
    client.login(both.email)

    screen = text(client.get(f"/moderation/reviews/{review_id}"))
    assert "this is your own work; another moderator decides" in screen
    assert 'name="decision"' not in screen
    lesson = text(client.get(f"/materials/{material_id}/v/2"))
    assert 'name="decision"' not in lesson and "This is your own work" in lesson
    diff = text(client.get(f"/materials/{material_id}/diff?from=1&to=2"))
    assert 'name="decision"' not in diff
    queue = text(client.get("/moderation/"))
    assert "your own work" in queue
    for decision in ("approve", "request_changes", "reject"):
        assert decide(client, review_id, decision, version, comment="Ik mag dit niet."
                      ).status_code == 403
    assert client.post(f"/moderation/reviews/{review_id}/approve").status_code == 403
    assert requests_of(app, material_id) == [(review_id, "pending", version)]
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(
            AuditEntry.actor_id == both.id).order_by(AuditEntry.id.desc())) == "access.denied"


def test_an_admin_who_wrote_a_version_since_publication_does_not_decide_on_it(
        app, new_client, people, make_material):
    material_id = make_material(people["anna"], body="Eerste zin.\n", publish_by=people["mo"])
    save(app, people["admin"], material_id, "Eerste zin, door de beheerder verbeterd.\n")
    save(app, people["anna"], material_id, "Eerste zin, verbeterd. En meer.\n")
    review_id = submit(app, people["anna"], material_id)
    admin = as_user(new_client, people["admin"])
    assert 'name="decision"' not in text(admin.get(f"/moderation/reviews/{review_id}"))
    assert decide(admin, review_id, "approve", head_id(app, material_id)).status_code == 403
    assert decide(as_user(new_client, people["mo"]), review_id, "approve",
                  head_id(app, material_id)).status_code == 302


@pytest.mark.parametrize("who", ["anna", "tom", "student", None])
def test_only_moderators_decide(app, new_client, people, submitted, who):
    material_id, review_id = submitted
    client = as_user(new_client, people[who]) if who else new_client()
    response = decide(client, review_id, "approve", head_id(app, material_id))
    # The author may know of the request (403); anyone else never learns it exists (404).
    assert response.status_code == (403 if who == "anna" else 404)
    assert published_id(app, material_id) is None


# -- The conversation: visible to authors and moderators only --------------------------------


@pytest.fixture()
def conversation(app, client, new_client, people, make_material):
    """A published lesson with version 2 waiting, a moderator's comment and the author's
    reply in its conversation."""
    material_id = make_material(people["anna"], body="Openbare zin.\n",
                                publish_by=people["mo"])
    add_co_author(app, material_id, people["cas"])
    save(app, people["anna"], material_id, "Openbare zin. Nieuwe zin.\n")
    review_id = submit(app, people["anna"], material_id)
    mo = as_user(new_client, people["mo"])
    assert comment(mo, review_id, "Geheimwoordzebra: kun je dit uitleggen?",
                   back="review").status_code == 302
    with app.app_context():
        first = db.session.scalar(select(ReviewMessage.id))
    client.login(people["anna"].email)
    assert comment(client, review_id, "Natuurlijk.", parent_id=first).status_code == 302
    return material_id, review_id, first


@pytest.mark.parametrize("who", ["tom", "student", None])
def test_nobody_else_sees_the_conversation_anywhere(app, new_client, people, conversation,
                                                    who):
    material_id, review_id, first = conversation
    client = as_user(new_client, people[who]) if who else new_client()
    assert client.get(f"/moderation/reviews/{review_id}").status_code == 404
    assert comment(client, review_id, "Ik doe mee.").status_code == 404
    assert comment(client, review_id, "Ik ook.", parent_id=first).status_code == 404
    page = text(client.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Openbare zin." in page  # the published version, without its review
    assert "Geheimwoordzebra" not in page and "Conversation" not in page
    assert client.get(f"/materials/{material_id}/v/2").status_code == 404
    for path in ("/search?q=geheimwoordzebra", "/api/v1/search?q=geheimwoordzebra"):
        found = client.get(path)
        assert found.status_code == 200 and "Openbare" not in text(found)
    assert client.get("/api/v1/search?q=openbare").get_json()["total"] == 1
    with app.app_context():
        assert db.session.scalar(select(ReviewMessage.id).where(
            ReviewMessage.body.like("%Ik doe mee%"))) is None


def test_authors_read_it_on_their_material_and_moderators_on_the_review_screen(
        app, client, new_client, people, conversation):
    material_id, review_id, _first = conversation
    cas = as_user(new_client, people["cas"])
    page = text(cas.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Geheimwoordzebra" in page and "Natuurlijk." in page
    # An author who follows the review's address (a notification) lands on the material.
    moved = cas.get(f"/moderation/reviews/{review_id}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("#review")
    screen = text(as_user(new_client, people["max"]).get(f"/moderation/reviews/{review_id}"))
    assert "Geheimwoordzebra" in screen and "Natuurlijk." in screen


def test_replies_join_their_thread_and_a_parent_from_another_request_is_not_found(
        app, client, new_client, people, make_material, conversation):
    _material_id, review_id, first = conversation
    with app.app_context():
        reply = db.session.scalar(select(ReviewMessage.id).where(
            ReviewMessage.parent_id == first))
    assert comment(client, review_id, "Nog een antwoord.", parent_id=reply).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ReviewMessage.parent_id).where(
            ReviewMessage.body == "Nog een antwoord.")) == first
    other_material = make_material(people["anna"], title="Ander")
    other_review = submit(app, people["anna"], other_material)
    assert comment(client, other_review, "Verkeerde draad.", parent_id=first
                   ).status_code == 404
    assert "Write a comment first." in text(comment(client, review_id, "  ",
                                                    follow_redirects=True))
    empty = comment(as_user(new_client, people["mo"]), review_id, " ", back="review")
    assert empty.status_code == 422 and 'aria-invalid="true"' in text(empty)
    with app.app_context():
        assert db.session.scalar(select(ReviewMessage.id).where(
            ReviewMessage.body == "Verkeerde draad.")) is None


# -- Notifications and audit -------------------------------------------------------------------


def _notifications(app) -> list[tuple[int, str, str, int, dict]]:
    with app.app_context():
        return [(n.user_id, n.kind, n.target_type, n.target_id, n.params)
                for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def test_every_step_tells_the_other_side(app, client, new_client, people, submitted):
    material_id, review_id = submitted
    add_co_author(app, material_id, people["cas"])
    anna, cas, mo = people["anna"].id, people["cas"].id, people["mo"].id
    moderator = as_user(new_client, people["mo"])
    client.login(people["anna"].email)

    comment(client, review_id, "Is er al iemand?")  # no moderator has taken part yet
    assert _notifications(app) == []
    decide(moderator, review_id, "request_changes", head_id(app, material_id),
           comment="Graag een plaatje.")
    told = _notifications(app)
    assert [(u, k) for u, k, *_ in told] == [(anna, "review.changes_requested"),
                                             (cas, "review.changes_requested")]
    assert told[0][2:4] == ("review", review_id)
    assert told[0][4] == {"title": "Breuken", "version": 1, "material_id": material_id,
                          "moderator": "Mo Moderator", "comment": "Graag een plaatje."}
    comment(client, review_id, "Komt eraan.")  # the author answers: the moderator is told
    assert _notifications(app)[-1][:2] == (mo, "review.comment")
    assert _notifications(app)[-1][4]["commenter"] == "Anna Auteur"
    comment(moderator, review_id, "Fijn.", back="review")
    assert [(u, k) for u, k, *_ in _notifications(app)[-2:]] == [
        (anna, "review.comment"), (cas, "review.comment")]
    save(app, people["anna"], material_id, "Met plaatje.\n")
    submit(app, people["anna"], material_id)
    # The new version answers the request: the moderator who took part hears it, with the
    # new version's number (the authors do not: they did it).
    assert _notifications(app)[-1] == (mo, "review.resubmitted", "review", review_id, {
        "title": "Breuken", "version": 2, "material_id": material_id})
    decide(moderator, review_id, "reject", head_id(app, material_id), comment="Toch niet.")
    assert {(u, k) for u, k, *_ in _notifications(app)[-2:]} == {
        (anna, "review.rejected"), (cas, "review.rejected")}
    assert _notifications(app)[-1][4]["reason"] == "Toch niet."
    assert _notifications(app)[-1][4]["version"] == 2

    other = save(app, people["anna"], material_id, "Opnieuw.\n")
    second_review = submit(app, people["anna"], material_id)
    decide(moderator, second_review, "approve", other)
    assert {(u, k, t) for u, k, _type, t, _p in _notifications(app)[-2:]} == {
        (anna, "review.approved", second_review), (cas, "review.approved", second_review)}
    assert all(user != mo or kind in ("review.comment", "review.resubmitted")
               for user, kind, *_ in _notifications(app))  # never the actor


def test_every_step_is_audited(app, client, new_client, people, submitted):
    material_id, review_id = submitted
    moderator = as_user(new_client, people["mo"])
    decide(moderator, review_id, "request_changes", head_id(app, material_id),
           comment="Meer oefeningen.", checklist=("rights", "level"))
    client.login(people["anna"].email)
    comment(client, review_id, "Doe ik.")
    save(app, people["anna"], material_id, "Met oefeningen.\n")
    submit(app, people["anna"], material_id)
    decide(moderator, review_id, "approve", head_id(app, material_id), checklist=("rights",))
    with app.app_context():
        rows = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id,
                                         AuditEntry.details)
                                  .where(AuditEntry.action.like("review.%"))
                                  .order_by(AuditEntry.id)).all()
    assert [(action, actor) for action, actor, _ in rows] == [
        ("review.submitted", people["anna"].id),
        ("review.changes_requested", people["mo"].id),
        ("review.comment", people["anna"].id),
        ("review.resubmitted", people["anna"].id),
        ("review.approved", people["mo"].id)]
    assert rows[1][2]["checklist"] == ["rights", "level"]
    assert rows[4][2]["checklist"] == ["rights"] and rows[4][2]["version"] == 2


# -- The review screen -----------------------------------------------------------------------


def test_the_review_screen_shows_the_whole_first_submission_and_the_checklist(
        app, new_client, people, submitted):
    _material_id, review_id = submitted
    screen = text(as_user(new_client, people["mo"]).get(f"/moderation/reviews/{review_id}"))
    assert "<h1>Review: Breuken</h1>" in screen
    assert "<title>Review: Breuken · " in screen  # the tab says what the heading says
    assert "Nothing yet: this is the first submission." in screen
    assert "The whole text" in screen and "Breuken zijn delen van een geheel." in screen
    assert screen.count('name="checklist"') == 5
    assert "Credits" in screen and "Anna Auteur" in screen
    assert 'name="robots" content="noindex"' in screen


def test_the_review_screen_shows_the_changes_and_a_remix_with_another_licence(
        app, new_client, people, make_material):
    source = make_material(people["tom"], title="Taartbreuken", licence="CC-BY-4.0",
                           body="Taart in stukken.\n", publish_by=people["mo"])
    with app.app_context():
        from oer_portal.remix import service as remix_service

        remix = remix_service.remix(_user(people["anna"].id), source, None, "CC-BY-SA-4.0")
        current_uow().commit()
        remix_id = remix.id
    lifecycle_publish(app, remix_id, people["mo"])
    save(app, people["anna"], remix_id, "Taart in stukken. En pizza.\n", title="Taartbreuken",
         licence="CC-BY-SA-4.0")
    review_id = submit(app, people["anna"], remix_id)
    screen = text(as_user(new_client, people["mo"]).get(f"/moderation/reviews/{review_id}"))
    assert "Changes against the published version 1" in screen
    assert '<ins class="diff-ins">' in screen and "pizza" in screen
    assert "remix of “Taartbreuken” (CC BY 4.0)" in screen
    assert "Check the licence:" in screen and "The licence rules allow it" in screen
    assert "Tom Teacher" in screen  # the original's author in the full credits
    inline = text(as_user(new_client, people["mo"]).get(
        f"/moderation/reviews/{review_id}?view=inline"))
    assert 'class="diff diff--inline"' in inline


def lifecycle_publish(app, material_id: int, moderator) -> None:
    with app.app_context():
        material = db.session.get(Material, material_id)
        lifecycle.publish(material, material.latest_version, _user(moderator.id))
        current_uow().commit()




def test_the_review_screen_reads_a_fixed_number_of_statements(
        app, client, new_client, people, make_material):
    material_id = make_material(people["anna"], body="Een.\n", publish_by=people["mo"])
    add_co_author(app, material_id, people["cas"])
    save(app, people["anna"], material_id, "Een. Twee.\n")
    review_id = submit(app, people["anna"], material_id)
    mo = as_user(new_client, people["mo"])
    client.login(people["anna"].email)
    few = page_statements(app, mo, f"/moderation/reviews/{review_id}")

    # Three more rounds, with comments, replies and decisions by several people.
    for n in range(3):
        decide(mo, review_id, "request_changes", head_id(app, material_id),
               comment=f"Ronde {n}: meer.")
        for m in range(4):
            comment(client, review_id, f"Antwoord {n}.{m}")
            comment(mo, review_id, f"Reactie {n}.{m}", back="review")
        save(app, people["cas"], material_id, f"Een. Twee. Drie {n}.\n")
        submit(app, people["cas"], material_id)
    many = page_statements(app, mo, f"/moderation/reviews/{review_id}")
    assert "Reactie 2.3" in text(mo.get(f"/moderation/reviews/{review_id}"))
    # The session's user; the request, its material and co-authors; both versions with
    # their files; what was ever published (the comparison); the co-authors for the
    # credits; who contributed through accepted change proposals (the credits); the rounds;
    # the messages; whether it is the moderator's own work; the vocabularies: 14, however
    # long the conversation is.
    assert len(many) == len(few), (few, many)
    assert len(many) <= 14, many


def test_the_decisions_work_from_the_diff_page(app, new_client, people, make_material):
    material_id = make_material(people["anna"], body="Een.\n", publish_by=people["mo"])
    save(app, people["anna"], material_id, "Een. Twee.\n")
    review_id = submit(app, people["anna"], material_id)
    mo = as_user(new_client, people["mo"])
    diff = text(mo.get(f"/materials/{material_id}/diff?from=1&to=2"))
    assert "Submitted by Anna Auteur — waiting for your review." in diff
    assert "Your decision on version 2" in diff and 'value="material"' in diff
    older = text(mo.get(f"/materials/{material_id}/diff?from=2&to=1"))
    assert 'name="decision"' not in older  # not the version under review
    author = text(as_user(new_client, people["anna"]).get(
        f"/materials/{material_id}/diff?from=1&to=2"))
    assert 'name="decision"' not in author and "waiting for your review" not in author
    response = decide(mo, review_id, "request_changes", head_id(app, material_id),
                      comment="Drie erbij.", back="material")
    assert response.status_code == 302
    assert requests_of(app, material_id)[0][1] == "changes_requested"


def test_the_lesson_page_speaks_to_the_moderator_and_to_the_author(
        app, client, new_client, people, submitted):
    material_id, review_id = submitted
    mo = as_user(new_client, people["mo"])
    page = text(mo.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Submitted by Anna Auteur — waiting for your review." in page
    assert "Only you" not in page
    assert f"/moderation/reviews/{review_id}\"" in page  # to the review screen
    client.login(people["anna"].email)
    own = text(client.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Draft: not published yet. Only you and moderators can see it." in own
    assert "Version 1 is waiting for review by a moderator." in own
    assert 'name="decision"' not in own
    dutch = as_user(new_client, people["max"], locale=None)  # the portal's first language
    assert "Ingediend door Anna Auteur — wacht op jouw beoordeling." in text(
        dutch.get(f"/materials/{material_id}", follow_redirects=True))


def test_the_queue_links_each_request_to_its_review_screen(app, new_client, people,
                                                          submitted):
    _material_id, review_id = submitted
    queue = text(as_user(new_client, people["mo"]).get("/moderation/"))
    assert re.search(rf'href="/moderation/reviews/{review_id}">Open the review of version 1',
                     queue)


def test_the_history_says_where_each_version_stands_in_its_review(app, client, new_client,
                                                                   people, submitted):
    material_id, review_id = submitted
    first = head_id(app, material_id)
    mo = as_user(new_client, people["mo"])
    decide(mo, review_id, "request_changes", first, comment="Graag een voorbeeld.")
    client.login(people["anna"].email)

    def states() -> list[str]:
        page = text(client.get(f"/materials/{material_id}/history"))
        return re.findall(r'<span class="state(?: [^"]*)?">([^<]+)</span>', page)

    save(app, people["anna"], material_id, "Met een voorbeeld.\n")
    assert states() == ["Draft", "Changes requested"]  # newest first
    submit(app, people["anna"], material_id)
    # Version 2 waits; version 1 was the review's earlier round.
    assert "a newer version continued its review" in text(
        client.get(f"/materials/{material_id}/history"))
    assert states() == ["Waiting for review", "Earlier round"]
    decide(mo, review_id, "approve", head_id(app, material_id))
    assert states() == ["Published", "Earlier round"]
