"""Privacy rights (AVG/GDPR, issue 16): a signed-in user downloads all their personal data as
JSON and deletes their account.  Deleting erases what is personal, deletes drafts, keeps
published work under its licence, credited by name or as "anonymous author" as the user
chose, and leaves the audit log whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DatabaseError

from oer_portal.accounts import service as accounts
from oer_portal.accounts import tokens
from oer_portal.accounts.models import TeacherRequest, User, UserRole
from oer_portal.accounts.sessions import UserSession
from oer_portal.community import reviews
from oer_portal.community import service as ratings
from oer_portal.community.models import Rating, WrittenReview
from oer_portal.core.audit import AuditEntry
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.lists import service as lists
from oer_portal.lists.models import MaterialList
from oer_portal.materials import lifecycle
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialKind,
    MaterialVersion,
    VersionAttachment,
)
from oer_portal.moderation import conversation, reports
from oer_portal.notifications import service as notifications
from oer_portal.notifications.models import (
    Notification,
    NotificationKind,
    NotificationSetting,
    TargetType,
)
from oer_portal.proposals import service as proposals
from oer_portal.remix import service as remix

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    anna: Any
    bea: Any
    mod: Any
    anna_published: int
    anna_draft: int
    anna_submitted: int
    bea_published: int
    bea_draft: int


def _user(record: Any) -> User:
    return db.session.get(User, record.id)


@pytest.fixture()
def world(app, make_user, make_material) -> World:
    """Anna and Bea, teachers, each with a published lesson, drafts, ratings, reviews, lists,
    tokens, proposals, a report and notifications: everything a deletion must sort out."""
    anna = make_user("teacher", email="anna@example.org", name="Anna Aalders",
                     password=PASSWORD)
    bea = make_user("teacher", email="bea@example.org", name="Bea Bakker")
    mod = make_user("moderator", name="Mo Moderator")
    anna_published = make_material(anna, title="Annas breuken", body="ANNA-PUBLISHED-TEXT\n",
                                   publish_by=mod)
    anna_draft = make_material(anna, title="Annas concept", body="ANNA-DRAFT-TEXT\n")
    anna_submitted = make_material(anna, title="Annas ingediend", body="ANNA-SUBMITTED\n")
    bea_published = make_material(bea, title="Beas procenten", body="BEA-PUBLISHED-TEXT\n",
                                  publish_by=mod)
    bea_draft = make_material(bea, title="Beas concept", body="BEA-DRAFT-TEXT\n")
    with app.app_context():
        a, b, m = _user(anna), _user(bea), _user(mod)
        request = lifecycle.submit_for_review(a, db.session.get(Material, anna_submitted))
        db.session.flush()
        conversation.add_comment(m, request.id, "MOD-COMMENT")
        conversation.add_comment(a, request.id, "ANNA-REPLY")
        ratings.rate(a, bea_published, 4)
        reviews.write_review(a, bea_published, reviews.ReviewInput(
            stars=4, title="ANNA-REVIEW", body="ANNA-REVIEW-BODY"))
        reviews.write_review(b, anna_published, reviews.ReviewInput(
            stars=5, title="BEA-REVIEW", body="BEA-REVIEW-BODY"))
        anna_list = lists.create_list(a, "ANNA-LIST", "ANNA-LIST-DESCRIPTION")
        lists.add_item(a, anna_list.id, bea_published)
        bea_list = lists.create_list(b, "BEA-LIST")
        lists.add_item(b, bea_list.id, anna_published)
        proposal = proposals.propose(a, bea_published, "Beas procenten", "",
                                     "ANNA-PROPOSAL-TEXT\n", "ANNA-PROPOSAL-WHY")
        db.session.flush()
        proposals.comment(a, bea_published, proposal.id, "ANNA-PROPOSAL-COMMENT")
        proposals.propose(b, anna_published, "Annas breuken", "", "BEA-PROPOSAL-TEXT\n",
                          "BEA-PROPOSAL-WHY")
        reports.file_report(a, bea_published, "incorrect", "ANNA-REPORT-COMMENT")
        tokens.issue(a, name="ANNA-TOKEN", scope=tokens.Scope.READ, expires_in_days=30)
        tokens.issue(b, name="BEA-TOKEN", scope=tokens.Scope.READ, expires_in_days=30)
        notifications.save_email_settings(a.id, [NotificationKind.REVIEW_APPROVED])
        current_uow().commit()
    return World(anna, bea, mod, anna_published, anna_draft, anna_submitted, bea_published,
                 bea_draft)


def _download(client) -> tuple[Any, dict[str, Any]]:
    response = client.post("/account/privacy/export")
    return response, json.loads(response.get_data(as_text=True))


# --- download my data ----------------------------------------------------------------------


def test_the_profile_links_the_privacy_page(client, world):
    client.login(world.anna.email, PASSWORD)
    assert 'href="/account/privacy"' in client.get("/account/profile").get_data(as_text=True)
    page = client.get("/account/privacy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/account/privacy/export"' in html
    assert 'action="/account/privacy/delete"' in html


def test_the_export_holds_each_section_with_the_users_data_and_nothing_of_another(
        client, world):
    client.login(world.anna.email, PASSWORD)
    response, data = _download(client)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "oer-portal-data-20" in disposition and disposition.endswith('.json"')

    assert data["account"]["email"] == "anna@example.org"
    assert data["account"]["display_name"] == "Anna Aalders"
    assert "password_hash" not in data["account"] and "session_token" not in data["account"]
    assert [row["role"] for row in data["roles"]] == ["teacher"]
    assert len(data["sessions"]) == 1 and "token" not in json.dumps(data["sessions"])
    assert [t["name"] for t in data["api_tokens"]] == ["ANNA-TOKEN"]
    assert set(data["api_tokens"][0]) >= {"scope", "created_at", "expires_at"}
    assert [r["stars"] for r in data["ratings"]] == [4]
    assert data["ratings"][0]["material_id"] == world.bea_published
    assert [r["title"] for r in data["written_reviews"]] == ["ANNA-REVIEW"]
    assert [entry["name"] for entry in data["lists"]] == ["ANNA-LIST"]
    assert data["lists"][0]["items"][0]["material_id"] == world.bea_published
    assert [p["body"] for p in data["change_proposals"]] == ["ANNA-PROPOSAL-TEXT\n"]
    assert [c["body"] for c in data["change_proposals"][0]["comments"]] == [
        "ANNA-PROPOSAL-COMMENT"]
    assert [m["body"] for m in data["review_messages"]] == ["ANNA-REPLY"]
    assert [r["comment"] for r in data["reports"]] == ["ANNA-REPORT-COMMENT"]
    assert data["notifications"], "Bea's proposal told Anna"
    assert {"kind": NotificationKind.REVIEW_APPROVED.value, "email": True} in \
        data["email_settings"]
    assert {"kind": NotificationKind.REVIEW_COMMENT.value, "email": False} in \
        data["email_settings"]
    owned = {m["id"]: m for m in data["materials"]}
    assert set(owned) == {world.anna_published, world.anna_draft, world.anna_submitted}
    assert owned[world.anna_draft]["status"] == "draft"
    assert owned[world.anna_draft]["versions"][0]["body"] == "ANNA-DRAFT-TEXT\n"
    assert owned[world.anna_published]["role"] == "owner"
    actions = {row["action"] for row in data["audit"]}
    assert {"account.created", "login.succeeded", "token.created"} <= actions
    assert "teacher_requests" in data

    raw = json.dumps(data)
    for theirs in ("bea@example.org", "BEA-TOKEN", "BEA-LIST", "BEA-DRAFT-TEXT",
                   "BEA-REVIEW", "BEA-PROPOSAL-TEXT", "BEA-PUBLISHED-TEXT"):
        assert theirs not in raw, theirs
    # The moderator's words reached Anna only as her notification; the conversation's
    # other messages are not hers.
    assert "MOD-COMMENT" not in json.dumps({name: value for name, value in data.items()
                                            if name != "notifications"})
    with client.raw.application.app_context():
        token_hash = db.session.scalar(select(tokens.ApiToken.token_hash).where(
            tokens.ApiToken.name == "ANNA-TOKEN"))
    assert token_hash not in raw


def test_a_teacher_request_is_in_the_export(client, make_user):
    student = make_user("student", email="sam@example.org", name="Sam Student")
    with client.raw.application.app_context():
        accounts.request_teacher_role(_user(student), "SAMS-SCHOOL", "SAMS-MOTIVATION")
        current_uow().commit()
    client.login(student.email)
    _response, data = _download(client)
    assert [(r["school"], r["motivation"]) for r in data["teacher_requests"]] == [
        ("SAMS-SCHOOL", "SAMS-MOTIVATION")]


def test_the_export_needs_a_signed_in_user_and_a_csrf_token(client, world):
    assert client.post("/account/privacy/export").status_code == 302  # to the login page
    client.login(world.anna.email, PASSWORD)
    assert client.raw.post("/account/privacy/export").status_code == 400
    assert client.get("/account/privacy/export").status_code == 405


def test_every_section_is_registered_once():
    from oer_portal.privacy import export

    names = export.section_names()
    assert len(names) == len(set(names))
    assert {"account", "roles", "sessions", "teacher_requests", "api_tokens", "ratings",
            "written_reviews", "lists", "change_proposals", "review_messages", "reports",
            "notifications", "email_settings", "materials", "audit"} <= set(names)


# --- delete my account ---------------------------------------------------------------------


def _delete(client, password: str = PASSWORD, credit: str = "name"):
    return client.post("/account/privacy/delete", {"password": password, "credit": credit})


def test_a_wrong_password_deletes_nothing(app, client, world):
    client.login(world.anna.email, PASSWORD)
    response = _delete(client, password="not my password")
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    with app.app_context():
        assert _user(world.anna).deleted_at is None
        assert _user(world.anna).email == "anna@example.org"
    assert client.get("/account/profile").status_code == 200


def test_a_post_without_csrf_token_deletes_nothing(app, client, world):
    client.login(world.anna.email, PASSWORD)
    response = client.raw.post("/account/privacy/delete",
                               data={"password": PASSWORD, "credit": "name"})
    assert response.status_code == 400
    with app.app_context():
        assert _user(world.anna).deleted_at is None


def test_the_page_says_plainly_what_deleting_does(client, world):
    client.login(world.anna.email, PASSWORD)
    html = client.get("/account/privacy").get_data(as_text=True)
    for words in ("drafts", "licence", "anonymous author", "cannot be undone"):
        assert words in html, words


def test_deleting_erases_personal_data_keeps_published_work_and_logs_out(
        app, client, new_client, world):
    client.login(world.anna.email, PASSWORD)
    response = _delete(client, credit="name")
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 302  # logged out
    with app.app_context():
        anna = _user(world.anna)
        assert anna.deleted_at is not None
        assert "@" not in anna.email and anna.locale is None
        assert anna.display_name == "Anna Aalders"  # as chosen
        assert db.session.scalar(select(func.count()).select_from(UserRole)
                                 .where(UserRole.user_id == anna.id)) == 0
        for model, column in ((Rating, Rating.user_id), (WrittenReview, WrittenReview.user_id),
                              (MaterialList, MaterialList.owner_id),
                              (tokens.ApiToken, tokens.ApiToken.user_id),
                              (Notification, Notification.user_id),
                              (NotificationSetting, NotificationSetting.user_id),
                              (TeacherRequest, TeacherRequest.user_id),
                              (UserSession, UserSession.user_id)):
            assert db.session.scalar(select(func.count()).select_from(model)
                                     .where(column == anna.id)) == 0, model
        # Drafts are gone with their versions; the published lesson stays.
        assert db.session.get(Material, world.anna_draft) is None
        assert db.session.get(Material, world.anna_submitted) is None
        assert db.session.scalar(select(func.count()).select_from(MaterialVersion).where(
            MaterialVersion.material_id.in_([world.anna_draft, world.anna_submitted]))) == 0
        assert db.session.get(Material, world.anna_published).status == "published"
        # Bea's things are untouched, her review of Anna's lesson too.
        assert db.session.get(Material, world.bea_draft) is not None
        assert db.session.scalar(select(func.count()).select_from(WrittenReview)
                                 .where(WrittenReview.user_id == world.bea.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(tokens.ApiToken)
                                 .where(tokens.ApiToken.user_id == world.bea.id)) == 1
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted"))
        assert entry is not None and entry.target_id == anna.id
        assert "anna@example.org" not in json.dumps(entry.details)
    page = client.get(f"/materials/{world.anna_published}", follow_redirects=True)
    assert page.status_code == 200 and "Anna Aalders" in page.get_data(as_text=True)

    # The account cannot log in; the address can register again.
    client.login("anna@example.org", PASSWORD)
    assert client.get("/account/profile").status_code == 302
    again = new_client()
    again.post("/account/register", {"display_name": "Anna Opnieuw",
                                     "email": "anna@example.org", "password": PASSWORD,
                                     "confirm": PASSWORD})
    with app.app_context():
        fresh = accounts.find_by_email("anna@example.org")
        assert fresh is not None and fresh.id != world.anna.id


def test_the_audit_log_is_kept_whole(app, client, world):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            (AuditEntry.actor_id == world.anna.id)
            | ((AuditEntry.target_type == "user") & (AuditEntry.target_id == world.anna.id))))
    client.login(world.anna.email, PASSWORD)
    _delete(client)
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            (AuditEntry.actor_id == world.anna.id)
            | ((AuditEntry.target_type == "user") & (AuditEntry.target_id == world.anna.id))))
    assert after >= before + 1  # the login and account.deleted were added; nothing removed


def _anonymous_everywhere(client, world, label: str) -> None:
    material = world.anna_published
    page = client.get(f"/materials/{material}", follow_redirects=True).get_data(as_text=True)
    assert label in page and "Anna Aalders" not in page
    api = client.get(f"/api/v1/materials/{material}").get_json()
    assert api["owner"]["name"] == label
    assert api["owner"]["url"] is None  # no profile to link
    assert "Anna Aalders" not in json.dumps(api)
    oai = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").get_data(as_text=True)
    assert label in oai and "Anna Aalders" not in oai


def test_an_anonymous_author_is_credited_so_everywhere(app, client, new_client, world):
    with app.app_context():  # Bea remixes Anna's lesson: the credits name Anna's as source
        derived = remix.remix(_user(world.bea), world.anna_published, None, "CC-BY-4.0")
        current_uow().commit()
        remix_id = derived.id
    client.login(world.anna.email, PASSWORD)
    assert _delete(client, credit="anonymous").status_code == 302
    with app.app_context():
        assert _user(world.anna).stored_name == ""  # the name itself is erased
    _anonymous_everywhere(new_client("en"), world, "anonymous author")
    _anonymous_everywhere(new_client("nl"), world, "anonieme auteur")
    english = new_client("en")
    page = english.get(f"/materials/{world.anna_published}", follow_redirects=True)
    from tests.fixtures.syndication import jsonld_of

    blocks = jsonld_of(page.get_data(as_text=True))
    assert blocks[0]["author"] == [{"@type": "Person", "name": "anonymous author"}]
    assert f"/people/{world.anna.id}" not in page.get_data(as_text=True)
    bea = new_client("en")
    bea.login(world.bea.email)
    credits = bea.get(f"/materials/{remix_id}", follow_redirects=True).get_data(as_text=True)
    assert "anonymous author" in credits and "Anna Aalders" not in credits
    # The profile and the feed of an anonymous author do not exist, and nothing links them.
    assert english.get(f"/people/{world.anna.id}").status_code == 404
    assert english.get(f"/feeds/people/{world.anna.id}.atom").status_code == 404
    feed = english.get("/feeds/materials.atom").get_data(as_text=True)
    assert "anonymous author" in feed and "Anna Aalders" not in feed
    assert f"/people/{world.anna.id}" not in feed


def test_a_draft_with_co_authors_stays_with_them(app, client, world):
    with app.app_context():
        material = db.session.get(Material, world.anna_draft)
        db.session.add(MaterialCoAuthor(material_id=material.id, user_id=world.bea.id))
        current_uow().commit()
    client.login(world.anna.email, PASSWORD)
    _delete(client)
    with app.app_context():
        material = db.session.get(Material, world.anna_draft)
        assert material is not None and material.owner_id == world.bea.id


def test_versions_stay_immutable_outside_an_erasure(app, world):
    """The exception for erasing a draft is narrow: without the erasure's mark, and for any
    material that was ever published, the database still refuses."""
    with app.app_context():
        for material_id in (world.anna_draft, world.anna_published):
            version_id = db.session.scalar(select(MaterialVersion.id).where(
                MaterialVersion.material_id == material_id))
            with pytest.raises(DatabaseError):
                db.session.execute(delete(VersionAttachment).where(
                    VersionAttachment.version_id == version_id))
                db.session.execute(text("DELETE FROM material_versions WHERE id = :id"),
                                   {"id": version_id})
            db.session.rollback()
        from oer_portal.privacy.models import ErasureMark

        version_id = db.session.scalar(select(MaterialVersion.id).where(
            MaterialVersion.material_id == world.anna_published))
        db.session.add(ErasureMark(material_id=world.anna_published))
        db.session.flush()
        with pytest.raises(DatabaseError):
            db.session.execute(text("DELETE FROM material_versions WHERE id = :id"),
                               {"id": version_id})
        db.session.rollback()


def test_an_arrangement_draft_is_deleted_with_its_outline(app, client, world):
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind

    with app.app_context():
        arrangement = arrangements.create_arrangement(
            _user(world.anna), VersionFields(title="Annas reeks", body="Intro\n"),
            [Node(NodeKind.SECTION, title="Deel 1"),
             Node(NodeKind.PAGE, depth=1, title="Pagina", body="ANNA-PAGE\n"),
             Node(NodeKind.MATERIAL, depth=1, material_id=world.anna_draft)])
        current_uow().commit()
        arrangement_id = arrangement.id
        assert arrangement.kind == MaterialKind.ARRANGEMENT
    client.login(world.anna.email, PASSWORD)
    assert _delete(client).status_code == 302
    with app.app_context():
        assert db.session.get(Material, arrangement_id) is None


def test_every_session_of_the_account_ends(client, new_client, world):
    other_device = new_client()
    other_device.login(world.anna.email, PASSWORD)
    assert other_device.get("/account/profile").status_code == 200
    client.login(world.anna.email, PASSWORD)
    _delete(client)
    assert other_device.get("/account/profile").status_code == 302


def test_a_deleted_account_is_not_mailed(app, client, world):
    with app.app_context():
        owner_id = world.anna.id
    client.login(world.anna.email, PASSWORD)
    _delete(client)
    with app.app_context():
        created = notifications.notify([owner_id], NotificationKind.REVIEW_COMMENT,
                                       (TargetType.MATERIAL,
                                        world.anna_published))
        db.session.flush()
        assert notifications.deliveries([n.id for n in created]) == []
        db.session.rollback()


def test_search_forgets_an_anonymous_authors_name(app, client, world):
    assert world.anna_published in _found(client, "Aalders")
    client.login(world.anna.email, PASSWORD)
    _delete(client, credit="anonymous")
    assert world.anna_published not in _found(client, "Aalders")


def _found(client, words: str) -> list[int]:
    return [hit["id"] for hit in client.get(f"/api/v1/search?q={words}").get_json()["results"]]


def test_the_last_administrator_cannot_leave(app, client, make_user):
    admin = make_user("admin", email="admin@example.org")
    client.login(admin.email)
    response = _delete(client, password=admin.password)
    assert "only administrator" in response.get_data(as_text=True)
    with app.app_context():
        assert _user(admin).deleted_at is None
    other = make_user("admin")
    assert _delete(client, password=admin.password).status_code == 302
    with app.app_context():
        assert _user(admin).deleted_at is not None and _user(other).deleted_at is None
