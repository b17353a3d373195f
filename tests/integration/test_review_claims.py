"""Claims on review requests ("Ik pak deze op"): a claim keeps every other moderator from
deciding (on every decision path) until it is released, runs out or the claimant decides;
nobody claims their own work or a closed request; every claim, release and take-over is
audited; two moderators claiming at once: exactly one gets it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from oer_portal.core.audit import AuditEntry
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.reviews import ReviewRequest
from tests.integration.test_review import (
    as_user,
    decide,
    head_id,
    save,
    submit,
    text,
)


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "max": make_user("moderator", name="Max Moderator"),
            "admin": make_user("admin", name="Ada Admin"),
            "student": make_user("student", name="Sam Student"),
            "tom": make_user("teacher", name="Tom Teacher"),
            "teaching_mod": make_user("teacher", "moderator", name="Tess Docent")}


@pytest.fixture()
def submitted(app, people, make_material):
    """Anna's lesson, version 1 waiting for review."""
    material_id = make_material(people["anna"], body="Breuken zijn delen van een geheel.\n")
    return material_id, submit(app, people["anna"], material_id)


def claim(client, review_id: int, back: str = "queue", **extra):
    return client.post(f"/moderation/reviews/{review_id}/claim", {"back": back, **extra})


def release(client, review_id: int, back: str = "queue"):
    return client.post(f"/moderation/reviews/{review_id}/release", {"back": back})


def state(app, review_id: int) -> tuple[str, int | None]:
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        return request.status, request.claimed_by_id


def audit_rows(app, prefix: str = "review.c") -> list[tuple[str, int, dict]]:
    with app.app_context():
        return [(row.action, row.actor_id, row.details) for row in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(
                ("review.claimed", "review.released", "review.claim_taken_over")))
            .order_by(AuditEntry.id))]


def age_claim(app, review_id: int, minutes: int) -> None:
    """Make the claim ``minutes`` old."""
    with app.app_context():
        db.session.execute(update(ReviewRequest).where(ReviewRequest.id == review_id)
                           .values(claimed_at=utcnow() - timedelta(minutes=minutes)))
        current_uow().commit()


def _comment_for(decision: str) -> str:
    return "" if decision == "approve" else "Graag de bronnen erbij."


@pytest.mark.parametrize("decision", ["approve", "request_changes", "reject"])
def test_a_claim_blocks_another_moderators_decision_until_it_is_released(
        app, new_client, people, submitted, decision):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    assert claim(mo, review_id).status_code == 302
    assert state(app, review_id) == ("pending", people["mo"].id)

    refused = decide(max_, review_id, decision, head_id(app, material_id),
                     comment=_comment_for(decision))
    assert refused.status_code == 409
    assert "Mo Moderator has taken this review on" in text(refused)
    assert state(app, review_id) == ("pending", people["mo"].id)
    # The queue's one-click decisions go through the same rule.
    version = str(head_id(app, material_id))
    for one_click in (max_.post(f"/moderation/reviews/{review_id}/approve",
                                {"version_id": version}, follow_redirects=True),
                      max_.post(f"/moderation/reviews/{review_id}/reject",
                                {"reason": "Nee.", "version_id": version},
                                follow_redirects=True)):
        assert "Mo Moderator has taken this review on" in text(one_click)
    assert state(app, review_id) == ("pending", people["mo"].id)
    # Max is told who has it, in the queue and on the review screen, and is offered no
    # decision there.
    queue = text(max_.get("/moderation/"))
    assert "Taken on by Mo Moderator (since" in queue and "Approve and publish" not in queue
    screen = text(max_.get(f"/moderation/reviews/{review_id}"))
    assert "Taken on by Mo Moderator (since" in screen and 'name="decision"' not in screen
    assert "You have taken this on" in text(mo.get(f"/moderation/reviews/{review_id}"))

    assert release(mo, review_id).status_code == 302
    assert state(app, review_id) == ("pending", None)
    done = decide(max_, review_id, decision, head_id(app, material_id),
                  comment=_comment_for(decision))
    assert done.status_code == 302
    assert state(app, review_id)[0] == {"approve": "approved", "reject": "rejected",
                                        "request_changes": "changes_requested"}[decision]


def test_the_claimant_decides_and_the_decision_ends_the_claim(app, new_client, people,
                                                              submitted):
    material_id, review_id = submitted
    mo = as_user(new_client, people["mo"])
    claim(mo, review_id, back="review")
    response = decide(mo, review_id, "request_changes", head_id(app, material_id),
                      comment="Meer voorbeelden.")
    assert response.status_code == 302
    assert state(app, review_id) == ("changes_requested", None)
    # The author's next version continues the request, unclaimed: anyone may take it on.
    save(app, people["anna"], material_id, "Breuken, met voorbeelden.\n")
    submit(app, people["anna"], material_id)
    assert state(app, review_id) == ("pending", None)
    max_ = as_user(new_client, people["max"])
    assert decide(max_, review_id, "approve", head_id(app, material_id)).status_code == 302
    assert state(app, review_id) == ("approved", None)


def test_a_claim_that_ran_out_lets_another_moderator_claim_and_decide(
        app, new_client, people, submitted):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    claim(mo, review_id)
    # Still holding after 59 minutes: Max is refused.
    age_claim(app, review_id, 59)
    claim(max_, review_id)
    assert state(app, review_id) == ("pending", people["mo"].id)
    # After the hour (MODERATION_CLAIM_MINUTES, 60 by default) it no longer holds.
    age_claim(app, review_id, 61)
    assert "Taken on by" not in text(max_.get("/moderation/"))
    assert claim(max_, review_id).status_code == 302
    assert state(app, review_id) == ("pending", people["max"].id)
    assert decide(max_, review_id, "approve", head_id(app, material_id)).status_code == 302
    entries = audit_rows(app)
    assert entries[-1][0] == "review.claimed"
    assert entries[-1][2]["lapsed_claim_of"] == people["mo"].id
    # Mo's claim ran out and then ended with the decision: nothing left to release.
    assert release(mo, review_id).status_code == 302
    assert [row[0] for row in audit_rows(app)].count("review.released") == 0


def test_the_claim_time_is_configured_in_the_environment(
        app, another_app, tmp_path, monkeypatch, people, submitted):
    """``OER_MODERATION_CLAIM_MINUTES=15``: a claim of 14 minutes still blocks another
    moderator, one of 16 minutes has run out."""
    from tests.conftest import Client, make_config

    monkeypatch.setenv("OER_MODERATION_CLAIM_MINUTES", "15")
    portal = another_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))

    def signed_in(person):
        client = Client(portal.test_client())
        client.login(person.email)
        return client

    material_id, review_id = submitted
    mo, max_ = signed_in(people["mo"]), signed_in(people["max"])
    assert claim(mo, review_id).status_code == 302
    age_claim(app, review_id, 14)
    refused = decide(max_, review_id, "approve", head_id(app, material_id))
    assert refused.status_code == 409 and "has taken this review on" in text(refused)
    assert state(app, review_id) == ("pending", people["mo"].id)
    age_claim(app, review_id, 16)
    assert decide(max_, review_id, "approve", head_id(app, material_id)).status_code == 302
    assert state(app, review_id) == ("approved", None)


def test_with_a_claim_time_of_zero_a_claim_never_blocks(app, new_client, people, submitted):
    material_id, review_id = submitted
    app.config["MODERATION_CLAIM_MINUTES"] = 0
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    claim(mo, review_id)
    assert decide(max_, review_id, "approve", head_id(app, material_id)).status_code == 302


def test_a_second_claim_is_refused_and_says_who_has_it(app, new_client, people, submitted):
    _material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    claim(mo, review_id)
    refused = claim(max_, review_id, back="review")
    assert refused.headers["Location"].endswith(f"/moderation/reviews/{review_id}")
    page = text(max_.get(refused.headers["Location"]))
    assert "Mo Moderator has taken this review on (since" in page
    assert state(app, review_id) == ("pending", people["mo"].id)
    # Nor may Max release Mo's claim.
    release(max_, review_id)
    assert state(app, review_id) == ("pending", people["mo"].id)
    assert "You have not taken this review on" in text(max_.get("/moderation/"))


def test_an_admin_takes_over_a_claim_explicitly_and_a_moderator_may_not(
        app, new_client, people, submitted):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    admin = as_user(new_client, people["admin"])
    claim(mo, review_id)
    assert "Take it over from Mo Moderator" in text(admin.get("/moderation/"))
    assert "Take it over" not in text(max_.get("/moderation/"))
    assert claim(max_, review_id, take_over="1").status_code == 403
    assert state(app, review_id) == ("pending", people["mo"].id)
    assert claim(admin, review_id, take_over="1").status_code == 302
    assert state(app, review_id) == ("pending", people["admin"].id)
    action, actor, details = audit_rows(app)[-1]
    assert (action, actor) == ("review.claim_taken_over", people["admin"].id)
    assert details["previous"] == people["mo"].id and details["review"] == review_id
    assert decide(mo, review_id, "approve", head_id(app, material_id)).status_code == 409


def test_nobody_claims_their_own_work(app, new_client, people, make_material):
    material_id = make_material(people["teaching_mod"], body="Eigen les.\n")
    review_id = submit(app, people["teaching_mod"], material_id)
    own = as_user(new_client, people["teaching_mod"])
    assert claim(own, review_id).status_code == 403
    assert state(app, review_id) == ("pending", None)
    queue = text(own.get("/moderation/"))
    assert "your own work" in queue and "I&#39;ll take this one" not in queue


@pytest.mark.parametrize("who, status", [("student", 404), ("tom", 404), ("anna", 403),
                                         (None, 302)])
def test_only_moderators_claim_or_release(app, new_client, people, submitted, who, status):
    _material_id, review_id = submitted
    mo = as_user(new_client, people["mo"])
    client = as_user(new_client, people[who]) if who else new_client()
    assert claim(client, review_id).status_code == status
    assert state(app, review_id) == ("pending", None)
    claim(mo, review_id)
    assert release(client, review_id).status_code == status
    assert state(app, review_id) == ("pending", people["mo"].id)
    if who is None:
        assert "/account/login" in claim(client, review_id).headers["Location"]


def test_a_closed_request_cannot_be_claimed(app, new_client, people, submitted):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    decide(mo, review_id, "reject", head_id(app, material_id), comment="Te kort.")
    claim(max_, review_id)
    assert state(app, review_id) == ("rejected", None)
    assert "not waiting for a decision" in text(max_.get("/moderation/"))
    assert claim(max_, 9999).status_code == 404


def test_claims_and_releases_are_audited(app, new_client, people, submitted):
    material_id, review_id = submitted
    mo = as_user(new_client, people["mo"])
    claim(mo, review_id)
    claim(mo, review_id)  # renewed
    release(mo, review_id)
    rows = audit_rows(app)
    assert [(action, actor) for action, actor, _details in rows] == [
        ("review.claimed", people["mo"].id), ("review.claimed", people["mo"].id),
        ("review.released", people["mo"].id)]
    assert rows[0][2]["review"] == review_id and rows[0][2]["version"] == 1
    assert [rows[0][2]["renewed"], rows[1][2]["renewed"]] == [False, True]
    with app.app_context():
        targets = {(row.target_type, row.target_id) for row in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("review.%")))}
    assert targets == {("material", material_id)}


def test_two_moderators_claiming_at_once_exactly_one_gets_it(app, new_client, people,
                                                             submitted):
    _material_id, review_id = submitted
    clients = [as_user(new_client, people["mo"]), as_user(new_client, people["max"])]
    for client in clients:  # the CSRF token is read before the race starts
        client.csrf_token()
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def race(client) -> None:
        token = client.csrf_token("/moderation/")
        start.wait()
        answers.append(client.raw.post(f"/moderation/reviews/{review_id}/claim",
                                       data={"csrf_token": token, "back": "queue"}).status_code)

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [302, 302]
    claimed = [row for row in audit_rows(app) if row[0] == "review.claimed"]
    assert len(claimed) == 1
    assert state(app, review_id) == ("pending", claimed[0][1])


def test_the_lesson_page_offers_another_moderator_no_decision_while_claimed(
        app, new_client, people, submitted):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    claim(mo, review_id)
    assert 'name="decision"' not in text(max_.get(f"/materials/{material_id}",
                                                  follow_redirects=True))
    assert 'name="decision"' in text(mo.get(f"/materials/{material_id}",
                                            follow_redirects=True))
    screen = text(max_.get(f"/moderation/reviews/{review_id}"))
    assert "waiting for your review" not in screen and "Submitted by Anna Auteur." in screen
    # A decision posted from the lesson page anyway is refused on the review screen.
    refused = decide(max_, review_id, "approve", head_id(app, material_id), back="material")
    assert refused.status_code == 409 and "Mo Moderator has taken this review on" in text(refused)


def test_the_lesson_page_offers_the_claim_and_shows_who_has_it(app, new_client, people,
                                                               submitted):
    material_id, review_id = submitted
    mo, max_ = as_user(new_client, people["mo"]), as_user(new_client, people["max"])
    page = text(mo.get(f"/materials/{material_id}", follow_redirects=True))
    assert "take this one</button>" in page and 'name="material_id"' in page
    response = claim(mo, review_id, back="material", material_id=str(material_id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/materials/{material_id}")
    assert state(app, review_id) == ("pending", people["mo"].id)
    # The claimant sees it is theirs and keeps the decision; the other moderator sees who
    # has it and gets no decision form and no claim button.
    own = text(mo.get(f"/materials/{material_id}", follow_redirects=True))
    assert "You have taken this on" in own and "Your decision on version 1" in own
    other = text(max_.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Taken on by Mo Moderator" in other
    # ... and the banner does not tell them it waits for them.
    assert "Mo Moderator has taken the review on." in other
    assert "waiting for your review" not in other
    assert "waiting for your review" in own
    assert "Your decision on version 1" not in other and "take this one</button>" not in other
    # The author sees neither the claim nor its buttons.
    author = text(as_user(new_client, people["anna"]).get(f"/materials/{material_id}",
                                                           follow_redirects=True))
    assert "Taken on by" not in author and "take this one" not in author


def test_a_claimed_revision_tells_another_moderator_who_reviews_it(app, new_client, people,
                                                                   make_material):
    material_id = make_material(people["anna"], body="Eerste versie.\n", publish_by=people["mo"])
    save(app, people["anna"], material_id, "Tweede versie.\n")
    review_id = submit(app, people["anna"], material_id)
    max_ = as_user(new_client, people["max"])
    assert "is waiting for your review" in text(max_.get(f"/materials/{material_id}",
                                                          follow_redirects=True))
    claim(as_user(new_client, people["mo"]), review_id)
    page = text(max_.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Version 2, submitted by Anna Auteur, is being reviewed by Mo Moderator." in page
    assert "is waiting for your review" not in page
