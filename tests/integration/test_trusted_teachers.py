"""Trusted teachers and post-review: moderators grant and revoke trust on their page; a
trusted teacher's submission is public at once and waits for a moderator's look on the
post-review list (never in the queue); the look is "seen" or a request for changes that the
author's next submission continues; every revision of a published material is reviewed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import TrustedTeacher
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db
from oer_portal.materials.reviews import ReviewRequest, ReviewRound
from oer_portal.moderation.models import ReviewMessage
from oer_portal.notifications.models import Notification
from tests.integration.test_review import (
    as_user,
    head_id,
    published_id,
    requests_of,
    save,
    submit,
    text,
)


@pytest.fixture()
def people(make_user):
    return {"tina": make_user("teacher", name="Tina Trusted"),
            "uwe": make_user("teacher", name="Uwe Untrusted"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "max": make_user("moderator", name="Max Moderator"),
            "mota": make_user("moderator", "teacher", name="Mota Modteacher"),
            "admin": make_user("admin", name="Ada Admin"),
            "student": make_user("student", name="Sam Student")}


def audit_rows(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                       .order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def trusted_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(TrustedTeacher.user_id)))


def grant(client, user_id: int, note: str = "", **kwargs):
    return client.post("/moderation/trusted/grant", {"user_id": str(user_id), "note": note},
                       **kwargs)


def revoke(client, user_id: int, note: str = "", **kwargs):
    return client.post("/moderation/trusted/revoke", {"user_id": str(user_id), "note": note},
                       **kwargs)


@pytest.fixture()
def trusted(app, new_client, people):
    """Mo trusts Tina through the page; returns Mo's client."""
    mo = as_user(new_client, people["mo"])
    assert grant(mo, people["tina"].id, "Levert al jaren goed werk.").status_code == 303
    assert trusted_ids(app) == {people["tina"].id}
    return mo


def post_review_ids(client) -> str:
    return text(client.get("/moderation/post-review"))


# -- Granting and revoking ---------------------------------------------------------------------


def test_a_moderator_grants_and_revokes_trust_on_the_page_and_each_is_audited(
        app, new_client, people):
    mo = as_user(new_client, people["mo"])
    found = text(mo.get("/moderation/trusted?find=tina"))
    assert "Tina Trusted" in found and 'action="/moderation/trusted/grant"' in found
    # By e-mail too.
    assert "Tina Trusted" in text(mo.get(f"/moderation/trusted?find={people['tina'].email}"))

    response = grant(mo, people["tina"].id, "Levert al jaren goed werk.")
    assert response.status_code == 303
    page = text(mo.get("/moderation/trusted"))
    assert "Tina Trusted" in page and "Mo Moderator" in page
    assert "Levert al jaren goed werk." in page
    assert trusted_ids(app) == {people["tina"].id}
    [granted] = audit_rows(app, "trust.granted")
    assert (granted.actor_id, granted.target_type, granted.target_id) == (
        people["mo"].id, "user", people["tina"].id)
    assert granted.details["note"] == "Levert al jaren goed werk."

    again = grant(mo, people["tina"].id, follow_redirects=True)
    assert "already trusted" in text(again)
    assert len(audit_rows(app, "trust.granted")) == 1

    # Another moderator (or an admin) revokes it.
    admin = as_user(new_client, people["admin"])
    assert revoke(admin, people["tina"].id, "Te veel fouten.").status_code == 303
    assert trusted_ids(app) == set()
    assert "No teacher is trusted yet." in text(admin.get("/moderation/trusted"))
    [revoked] = audit_rows(app, "trust.revoked")
    assert (revoked.actor_id, revoked.target_id, revoked.details["note"]) == (
        people["admin"].id, people["tina"].id, "Te veel fouten.")
    assert "not trusted" in text(revoke(admin, people["tina"].id, follow_redirects=True))


def test_only_moderators_and_admins_manage_trust(app, new_client, people):
    for who in ("tina", "uwe", "student"):
        client = as_user(new_client, people[who])
        assert client.get("/moderation/trusted").status_code == 403
        assert grant(client, people["uwe"].id).status_code == 403
        assert revoke(client, people["uwe"].id).status_code == 403
    assert trusted_ids(app) == set()
    assert len(audit_rows(app, "access.denied")) == 9
    assert audit_rows(app, "trust.granted") == []
    anonymous = new_client()
    assert anonymous.get("/moderation/trusted").status_code == 302  # to the login page
    assert grant(anonymous, people["uwe"].id).status_code == 302
    assert trusted_ids(app) == set()


def test_self_grant_and_non_teachers_are_refused(app, new_client, people):
    mota = as_user(new_client, people["mota"])
    own = grant(mota, people["mota"].id, follow_redirects=True)
    assert "You cannot trust yourself" in text(own)
    assert "You cannot trust yourself." in text(mota.get("/moderation/trusted?find=Mota"))
    for who in ("student", "mo", "admin"):
        refused = grant(mota, people[who].id, follow_redirects=True)
        assert "Only teachers can be trusted" in text(refused)
    assert "Not a teacher" in text(mota.get("/moderation/trusted?find=Sam"))
    assert grant(mota, 9999).status_code == 404
    assert trusted_ids(app) == set() and audit_rows(app, "trust.granted") == []
    # Without CSRF nothing happens.
    assert mota.raw.post("/moderation/trusted/grant",
                         data={"user_id": str(people["uwe"].id)}).status_code == 400
    assert trusted_ids(app) == set()
    # A trusted moderator-teacher is trusted by another moderator, not by themself.
    assert grant(as_user(new_client, people["mo"]), people["mota"].id).status_code == 303
    assert trusted_ids(app) == {people["mota"].id}


# -- Post-review ---------------------------------------------------------------------------


def _search_ids(client, q: str) -> list[int]:
    return [r["id"] for r in client.get("/api/v1/search", query_string={"q": q}
                                        ).get_json()["results"]]


def test_a_trusted_teachers_submission_is_public_at_once_and_listed_for_post_review(
        app, client, new_client, runner, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Zonnestelsel in stappen",
                                body="De planeten draaien rond de zon.\n")
    tina = as_user(new_client, people["tina"])
    response = tina.post(f"/materials/{material_id}/submit", follow_redirects=True)
    assert "Published at once: you are a trusted teacher" in text(response)
    version = head_id(app, material_id)
    assert published_id(app, material_id) == version
    [(review_id, status, reviewed)] = requests_of(app, material_id)
    assert (status, reviewed) == ("approved", version)

    # Anyone sees it; search finds it once the outbox is drained.
    public = new_client().get(f"/materials/{material_id}", follow_redirects=True)
    assert public.status_code == 200 and "De planeten draaien rond de zon." in text(public)
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    assert _search_ids(new_client(), "zonnestelsel") == [material_id]

    # Listed for post-review, not in the queue.
    listed = post_review_ids(trusted)
    assert "Zonnestelsel in stappen" in listed and "First publication" in listed
    assert f"/moderation/post-review/{review_id}/seen" in listed
    assert "Zonnestelsel" not in text(trusted.get("/moderation/"))
    # The author is told, on the material and on the dashboard.
    assert "You are a trusted teacher, so this version was published at once" in text(
        tina.get(f"/materials/{material_id}", follow_redirects=True))
    assert "Published directly" in text(tina.get("/my/materials"))
    [submitted] = audit_rows(app, "review.submitted")
    assert submitted.details["post_review"] is True
    assert [e.actor_id for e in audit_rows(app, "material.published")] == [people["tina"].id]
    with app.app_context():
        assert db.session.scalar(select(ReviewRound.published_directly)) is True


def test_mark_reviewed_takes_it_off_the_list(app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Getallenlijn")
    review_id = submit(app, people["tina"], material_id)
    version = head_id(app, material_id)
    # The author herself, a student and a teacher cannot; the admin and Max can.
    assert as_user(new_client, people["tina"]).post(
        f"/moderation/post-review/{review_id}/seen", {"version_id": version}).status_code == 403
    assert as_user(new_client, people["uwe"]).get("/moderation/post-review").status_code == 403
    assert as_user(new_client, people["student"]).post(
        f"/moderation/post-review/{review_id}/changes",
        {"version_id": version, "comment": "x"}).status_code == 403

    response = trusted.post(f"/moderation/post-review/{review_id}/seen",
                            {"version_id": str(version)}, follow_redirects=True)
    assert "Marked as seen" in text(response)
    assert "Getallenlijn" not in post_review_ids(trusted)
    assert "Nothing is waiting for post-review." in post_review_ids(trusted)
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        assert (request.status, request.post_review, request.decided_by_id) == (
            "approved", False, people["mo"].id)
        assert [m.kind for m in db.session.scalars(select(ReviewMessage))] == ["approved"]
    assert published_id(app, material_id) == version
    [seen] = audit_rows(app, "review.post_reviewed")
    assert (seen.actor_id, seen.target_id, seen.details["version_id"]) == (
        people["mo"].id, material_id, version)
    # A second look finds it done.
    again = as_user(new_client, people["max"]).post(
        f"/moderation/post-review/{review_id}/seen", {"version_id": str(version)},
        follow_redirects=True)
    assert "looked at this publication already" in text(again)
    assert len(audit_rows(app, "review.post_reviewed")) == 1


def test_a_moderator_never_looks_at_their_own_trusted_work(app, new_client, people,
                                                          make_material):
    mo = as_user(new_client, people["mo"])
    grant(mo, people["mota"].id)
    material_id = make_material(people["mota"], title="Eigen werk")
    review_id = submit(app, people["mota"], material_id)
    mota = as_user(new_client, people["mota"])
    assert "This is your own work; another moderator looks at it." in text(
        mota.get("/moderation/post-review"))
    assert mota.post(f"/moderation/post-review/{review_id}/seen",
                     {"version_id": str(head_id(app, material_id))}).status_code == 403
    assert mota.post(f"/moderation/post-review/{review_id}/changes",
                     {"comment": "Prima", "version_id": ""}).status_code == 403
    assert requests_of(app, material_id)[0][1] == "approved"
    assert len(audit_rows(app, "review.post_reviewed")) == 0


def test_request_changes_keeps_it_published_tells_the_author_and_the_next_version_continues(
        app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Breuken", body="Eerste tekst.\n")
    review_id = submit(app, people["tina"], material_id)
    first = head_id(app, material_id)
    refused = trusted.post(f"/moderation/post-review/{review_id}/changes",
                           {"version_id": str(first), "comment": " "}, follow_redirects=True)
    assert "Tell the author what to change." in text(refused)
    stale = trusted.post(f"/moderation/post-review/{review_id}/changes",
                         {"version_id": "99999", "comment": "Iets"}, follow_redirects=True)
    assert "published version 1 meanwhile" in text(stale)
    response = trusted.post(f"/moderation/post-review/{review_id}/changes",
                            {"version_id": str(first), "comment": "Voeg een plaatje toe."})
    assert response.status_code == 303
    assert published_id(app, material_id) == first  # stays published
    assert requests_of(app, material_id) == [(review_id, "changes_requested", first)]
    assert "Breuken" not in post_review_ids(trusted)
    with app.app_context():
        [note] = db.session.scalars(select(Notification).where(
            Notification.user_id == people["tina"].id)).all()
        assert (note.kind, note.target_type, note.target_id) == (
            "review.changes_requested", "review", review_id)
        assert note.params["comment"] == "Voeg een plaatje toe."
    [changes] = audit_rows(app, "review.changes_requested")
    assert changes.details["post_review"] is True and changes.actor_id == people["mo"].id
    tina = as_user(new_client, people["tina"])
    assert "Voeg een plaatje toe." in text(tina.get(f"/materials/{material_id}",
                                                    follow_redirects=True))

    # The revision continues the same request: published at once, back on the list.
    save(app, people["tina"], material_id, "Tweede tekst met plaatje.\n")
    assert submit(app, people["tina"], material_id) == review_id
    second = head_id(app, material_id)
    assert published_id(app, material_id) == second
    assert requests_of(app, material_id) == [(review_id, "approved", second)]
    listed = post_review_ids(trusted)
    assert "Compare with the version published before (1)" in listed
    with app.app_context():
        kinds = [m.kind for m in db.session.scalars(select(ReviewMessage).where(
            ReviewMessage.request_id == review_id))]
        rounds = db.session.scalars(select(ReviewRound.version_id).where(
            ReviewRound.request_id == review_id).order_by(ReviewRound.id)).all()
    assert kinds == ["changes_requested"] and rounds == [first, second]
    assert [e.action for e in audit_rows(app, "review.resubmitted")] == ["review.resubmitted"]


def test_after_revocation_submissions_go_through_the_queue_again(
        app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Vulkanen", body="Versie een.\n")
    review_id = submit(app, people["tina"], material_id)
    first = head_id(app, material_id)
    assert revoke(trusted, people["tina"].id).status_code == 303

    save(app, people["tina"], material_id, "Versie twee.\n", title="Vulkanen")
    # The request waiting for post-review continues, now pending in the queue.
    assert submit(app, people["tina"], material_id) == review_id
    second = head_id(app, material_id)
    assert published_id(app, material_id) == first
    assert requests_of(app, material_id) == [(review_id, "pending", second)]
    assert "Vulkanen" in text(trusted.get("/moderation/"))
    assert "Vulkanen" not in post_review_ids(trusted)
    public = text(new_client().get(f"/materials/{material_id}", follow_redirects=True))
    assert "Versie een." in public and "Versie twee." not in public


def test_every_revision_of_a_published_material_is_reviewed(
        app, new_client, people, make_material, trusted):
    """An untrusted teacher's second and third revisions each wait for approval while the
    public keeps the published one; a trusted teacher's revision goes to post-review."""
    from tests.integration.test_review import decide

    material_id = make_material(people["uwe"], title="Rivieren", body="Gepubliceerd.\n",
                                publish_by=people["mo"])
    published, public_text = head_id(app, material_id), "Gepubliceerd."
    for round_, body in enumerate(("Tweede versie.\n", "Derde versie.\n"), start=2):
        save(app, people["uwe"], material_id, body, title="Rivieren")
        review_id = submit(app, people["uwe"], material_id)
        revision = head_id(app, material_id)
        assert published_id(app, material_id) == published
        public = text(new_client().get(f"/materials/{material_id}", follow_redirects=True))
        assert public_text in public and body.strip() not in public
        assert "Rivieren" in text(trusted.get("/moderation/"))
        assert "Rivieren" not in post_review_ids(trusted)
        assert decide(trusted, review_id, "approve", revision).status_code == 302
        published, public_text = revision, body.strip()
        assert published_id(app, material_id) == revision, round_
        assert public_text in text(new_client().get(f"/materials/{material_id}",
                                                    follow_redirects=True))

    tina_material = make_material(people["tina"], title="Bergen", body="Eerst.\n",
                                  publish_by=people["mo"])
    save(app, people["tina"], tina_material, "Herzien.\n", title="Bergen")
    submit(app, people["tina"], tina_material)
    assert published_id(app, tina_material) == head_id(app, tina_material)
    assert "Bergen" in post_review_ids(trusted)
    assert "Bergen" not in text(trusted.get("/moderation/"))


def test_a_trusted_teachers_save_and_submit_in_the_editor_publishes(
        app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Editor", body="Een.\n")
    tina = as_user(new_client, people["tina"])
    page = text(tina.get(f"/materials/{material_id}/edit"))
    base = re.search(r'name="base_version_id"[^>]*value="(\d+)"', page)
    assert base is not None
    response = tina.post(f"/materials/{material_id}/edit", {
        "base_version_id": base.group(1), "title": "Editor", "body": "Twee.\n",
        "licence": "CC-BY-4.0", "language": "nl", "save_and_submit": "1"},
        follow_redirects=True)
    assert "Saved and published at once" in text(response)
    assert published_id(app, material_id) == head_id(app, material_id)


def test_withdrawing_takes_a_publication_off_the_post_review_list(
        app, new_client, people, make_material, trusted):
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle
    from oer_portal.materials.models import Material
    from tests.integration.test_review import _user

    material_id = make_material(people["tina"], title="Ingetrokken")
    submit(app, people["tina"], material_id)
    with app.app_context():
        lifecycle.withdraw(_user(people["tina"].id), db.session.get(Material, material_id),
                           "Verouderd.")
        current_uow().commit()
    assert "Ingetrokken" not in post_review_ids(trusted)


def test_the_review_screen_and_the_material_page_say_it_waits_for_post_review(
        app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Sterren")
    review_id = submit(app, people["tina"], material_id)
    screen = text(as_user(new_client, people["max"]).get(f"/moderation/reviews/{review_id}"))
    assert "Published directly" in screen and "waits for a moderator's look" in screen
    assert "/moderation/post-review" in screen
    assert "Your decision on version" not in screen  # decided on the list, not here
    page = text(trusted.get(f"/materials/{material_id}", follow_redirects=True))
    assert "A trusted teacher's version, published at once." in page
    # The conversation stays open while it waits: the author can write, the moderator too.
    tina = as_user(new_client, people["tina"])
    assert tina.post(f"/moderation/reviews/{review_id}/comments",
                     {"body": "Ik heb een bron toegevoegd.", "back": "material"}
                     ).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ReviewMessage.body)) == "Ik heb een bron toegevoegd."


def test_the_post_review_list_reads_the_same_statements_for_one_item_or_many(
        app, new_client, people, make_material, trusted):
    from tests.fixtures.statements import page_statements

    submit(app, people["tina"], make_material(people["tina"], title="Eén"))
    few = page_statements(app, trusted, "/moderation/post-review")
    for n in range(6):
        material_id = make_material(people["tina"], title=f"Les {n}",
                                    publish_by=people["max"])
        save(app, people["tina"], material_id, f"Herzien {n}.\n", title=f"Les {n}")
        submit(app, people["tina"], material_id)
    many = page_statements(app, trusted, "/moderation/post-review")
    assert "Les 5" in post_review_ids(trusted)
    assert len(many) == len(few)


def test_a_moderator_takes_a_trusted_publication_offline_from_the_post_review_list(
        app, new_client, people, make_material, trusted):
    material_id = make_material(people["tina"], title="Getallenlijn")
    review_id = submit(app, people["tina"], material_id)
    listing = post_review_ids(trusted)
    assert f'action="/moderation/materials/{material_id}/unpublish"' in listing
    assert f'for="offline-{review_id}"' in listing and 'value="post_review"' in listing
    response = trusted.post(f"/moderation/materials/{material_id}/unpublish",
                            {"reason": "Bevat namen van leerlingen.", "back": "post_review"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/moderation/post-review")
    # Offline: gone for the public, off the list, the look closed, the author told.
    assert new_client().get(f"/materials/{material_id}",
                            follow_redirects=True).status_code == 410
    assert "Getallenlijn" not in post_review_ids(trusted)
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        assert (request.status, request.post_review) == ("approved", False)
        assert db.session.scalars(select(Notification.kind).where(
            Notification.user_id == people["tina"].id)).all()[-1] == "report.outcome"
    [entry] = audit_rows(app, "material.unpublished")
    assert entry.actor_id == people["mo"].id
