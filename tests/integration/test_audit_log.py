"""The audit log you can trust: the database refuses to change or delete an entry (SQLite and
PostgreSQL, whichever the run uses), a page load never writes to it, every moderation and
admin action is in it, and moderators read it on a page that costs a fixed number of
statements however long the log is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from oer_portal.accounts.models import User
from oer_portal.core import audit
from oer_portal.core.audit import AuditEntry
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.materials.reviews import ReviewRequest
from tests.fixtures.statements import page_statements


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "admin": make_user("admin", name="Ada Admin"),
            "student": make_user("student", name="Sam Student")}


def as_user(new_client, person):
    client = new_client()
    client.login(person.email)
    return client


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def rows(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        found = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return list(found)


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- 1. Append-only in the database ---------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_an_entry(app, people):
    """On SQLite ``RAISE(ABORT)``, on PostgreSQL a trigger function: whichever this run uses."""
    with app.app_context():
        entry = audit.record("role.granted", actor_id=people["admin"].id,
                             target=("user", people["anna"].id), details={"role": "teacher"})
        current_uow().commit()
        entry_id = entry.id
        for statement in ("UPDATE audit_entries SET action = 'role.revoked'",
                          "UPDATE audit_entries SET actor_id = NULL",
                          "DELETE FROM audit_entries",
                          f"DELETE FROM audit_entries WHERE id = {entry_id}"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        # Through the ORM too.
        loaded = db.session.get(AuditEntry, entry_id)
        loaded.details = {"role": "admin"}
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        kept = db.session.get(AuditEntry, entry_id)
        assert (kept.action, kept.actor_id, kept.details) == (
            "role.granted", people["admin"].id, {"role": "teacher"})


def test_adding_entries_still_works(app, people):
    before = audit_count(app)
    with app.app_context():
        db.session.execute(insert(AuditEntry).values(action="logout", details={},
                                                     created_at=utcnow()))
        audit.record("logout", actor_id=people["anna"].id)
        current_uow().commit()
    assert audit_count(app) == before + 2


def test_a_user_with_entries_cannot_be_deleted_and_the_entries_keep_their_actor(app, people):
    """``ON DELETE SET NULL`` would rewrite the entries; the key now refuses the deletion
    instead (accounts are never deleted in the portal)."""
    with app.app_context():
        entries_of_anna = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                            .where(AuditEntry.actor_id == people["anna"].id))
        assert entries_of_anna >= 1  # account.created
        with pytest.raises(IntegrityError):
            db.session.execute(text("DELETE FROM users WHERE id = :id"),
                               {"id": people["anna"].id})
        db.session.rollback()
        assert db.session.get(User, people["anna"].id) is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.actor_id == people["anna"].id)) == entries_of_anna


def test_a_user_without_entries_can_still_be_deleted(app):
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO users (email, display_name, password_hash, session_token, created_at) "
            "VALUES ('x@example.org', 'X', 'x', 't', :now)"), {"now": utcnow()})
        db.session.execute(text("DELETE FROM users WHERE email = 'x@example.org'"))
        db.session.commit()


# --- 3. Loading a page never writes to the log ------------------------------------------------

IMAGE_LOAD = {"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors",
              "Sec-Fetch-Site": "same-origin"}
NAVIGATION = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
              "Sec-Fetch-Site": "same-origin", "Sec-Fetch-User": "?1"}


@pytest.mark.parametrize("role, path", [
    ("student", "/admin/users/1"),
    ("student", "/admin/teacher-requests"),
    ("teacher", "/moderation/"),
    ("teacher", "/moderation/audit"),
])
def test_an_image_load_of_a_forbidden_page_is_refused_without_an_audit_row(
        app, new_client, make_user, role, path):
    client = as_user(new_client, make_user(role))
    before = audit_count(app)
    response = client.get(path, headers=IMAGE_LOAD)
    assert response.status_code == 403
    assert audit_count(app) == before
    # A script's fetch, a frame and a prefetch are no navigation either.
    for headers in ({"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"},
                    {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
                    {**NAVIGATION, "Sec-Purpose": "prefetch"}):
        assert client.get(path, headers=headers).status_code == 403
    assert audit_count(app) == before
    # A person opening the page is audited, with or without the headers (old browsers).
    assert client.get(path, headers=NAVIGATION).status_code == 403
    assert audit_count(app) == before + 1
    assert client.get(path).status_code == 403
    assert audit_count(app) == before + 2


def test_a_refused_change_is_audited_whatever_its_headers_say(app, new_client, people):
    client = as_user(new_client, people["student"])
    before = audit_count(app)
    response = client.post(f"/admin/users/{people['anna'].id}",
                           {"role": "admin", "action": "grant"}, headers=IMAGE_LOAD)
    assert response.status_code == 403
    assert audit_count(app) == before + 1
    denial = rows(app, "access.denied")[-1]
    assert denial.actor_id == people["student"].id
    assert denial.details == {"path": f"/admin/users/{people['anna'].id}", "method": "POST"}


def test_an_image_in_a_published_lesson_pointing_at_an_admin_page_writes_nothing(
        app, new_client, people, make_material, monkeypatch):
    """The attack of the issue, end to end, with HTML stored before the rule (the editor
    refuses such an image now, see below): the page drops the image's source when it is shown, and a
    browser's request for it would write nothing."""
    from markupsafe import Markup

    from oer_portal.materials import service

    monkeypatch.setattr(service, "render_markdown", lambda body: Markup(
        '<p>Kijk: <img alt="x" src="/admin/users/1" loading="lazy"></p>'))
    material_id = make_material(people["anna"], title="Plaatjes",
                                body="Kijk: ![x](/admin/users/1)\n", publish_by=people["mo"])
    monkeypatch.undo()
    reader = as_user(new_client, people["student"])
    before = audit_count(app)
    page = text_of(reader.get(f"/materials/{material_id}", follow_redirects=True))
    assert "/admin/users/1" not in page and '<img alt="x" loading="lazy">' in page
    assert reader.get("/admin/users/1", headers=IMAGE_LOAD).status_code == 403
    assert audit_count(app) == before


# --- 2. The audit page -----------------------------------------------------------------------


def add_entries(app, n: int, actor_id: int | None, action: str = "login.succeeded",
                target: tuple[str, int] | None = None, details: dict | None = None,
                at=None) -> None:
    """``n`` entries written straight into the table (one statement), oldest first."""
    start = at or utcnow() - timedelta(days=1)
    with app.app_context():
        db.session.execute(insert(AuditEntry), [
            {"action": action, "actor_id": actor_id, "details": details or {},
             "target_type": target[0] if target else None,
             "target_id": target[1] if target else None,
             "created_at": start + timedelta(seconds=i)} for i in range(n)])
        db.session.commit()


def entry_ids(page: str) -> list[str]:
    return re.findall(r'<time datetime="([^"]+)"', page)


@pytest.mark.parametrize("role, status", [("moderator", 200), ("admin", 200),
                                          ("teacher", 403), ("student", 403)])
def test_only_moderators_and_admins_read_the_log(app, new_client, make_user, role, status):
    response = as_user(new_client, make_user(role)).get("/moderation/audit")
    assert response.status_code == status
    if status == 200:
        page = text_of(response)
        assert "<h1>Audit log</h1>" in page and "<title>Audit log" in page
        assert 'href="/moderation/audit" aria-current="page"' in page
        assert "AuditQuery" not in page  # the header's search box keeps its own value


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/moderation/audit")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_queue_links_the_audit_log(new_client, people):
    queue = text_of(as_user(new_client, people["mo"]).get("/moderation/"))
    assert 'href="/moderation/audit"' in queue


def test_the_page_shows_who_what_which_object_version_and_reason(
        app, new_client, people, make_material):
    material_id = make_material(people["anna"], title="Breuken met pizza",
                                publish_by=people["mo"])
    with app.app_context():
        audit.record("material.withdrawn", actor_id=people["mo"].id,
                     target=("material", material_id),
                     details={"reason": "Auteursrecht van de plaatjes is onduidelijk.",
                              "version": 1})
        audit.record("login.failed", target=("user", people["anna"].id),
                     details={"reason": "wrong password"})
        current_uow().commit()
    admin = as_user(new_client, people["admin"])
    page = text_of(admin.get("/moderation/audit"))
    assert "Material withdrawn" in page and "Mo Moderator" in page
    assert f'href="/materials/{material_id}">Breuken met pizza</a>' in page
    assert f'href="/materials/{material_id}/v/1">1</a>' in page
    assert "Auteursrecht van de plaatjes is onduidelijk." in page
    assert "Sign-in failed" in page and "wrong password" in page
    # An admin may open the user's page; the moderator gets the name without the link.
    assert f'href="/admin/users/{people["anna"].id}">Anna Auteur</a>' in page
    moderator_page = text_of(as_user(new_client, people["mo"]).get("/moderation/audit"))
    assert f'href="/admin/users/{people["anna"].id}"' not in moderator_page
    assert "Anna Auteur" in moderator_page
    # Newest first: the sign-in attempt of this test came after the withdrawal.
    table = page.split("<tbody>")[1]
    assert table.index("Sign-in failed") < table.index("Material withdrawn")


def test_the_page_is_in_dutch_for_a_dutch_reader(app, new_client, people):
    with app.app_context():
        audit.record("role.granted", actor_id=people["admin"].id,
                     target=("user", people["anna"].id), details={"role": "moderator"})
        current_uow().commit()
    dutch = new_client(locale="nl")
    dutch.login(people["admin"].email)
    page = text_of(dutch.get("/moderation/audit"))
    assert "<h1>Auditlog</h1>" in page and "Rol toegekend" in page


def test_secrets_are_never_shown_even_if_a_writer_stored_one(app, new_client, people):
    with app.app_context():
        audit.record("password.changed", actor_id=people["anna"].id,
                     details={"password": "hunter2-secret", "reset_token": "abc123xyz",
                              "note": "via profiel"})
        current_uow().commit()
    page = text_of(as_user(new_client, people["admin"]).get("/moderation/audit"))
    assert "hunter2" not in page and "abc123xyz" not in page and "via profiel" in page


def test_filters_by_actor_action_object_and_date(app, new_client, people, make_material):
    material_id = make_material(people["anna"], title="Fotosynthese")
    mo = as_user(new_client, people["mo"])
    long_ago = utcnow() - timedelta(days=40)
    add_entries(app, 3, people["mo"].id, "review.comment", ("material", material_id),
                at=long_ago)
    add_entries(app, 2, people["admin"].id, "role.granted", ("user", people["anna"].id),
                {"role": "teacher"})

    def shown(**params) -> str:
        response = mo.get("/moderation/audit", query_string=params)
        assert response.status_code == 200
        return text_of(response)

    by_name = shown(actor="mo moder")
    assert len(entry_ids(by_name)) == 3 + 2  # and Mo's account.created and login.succeeded
    assert len(entry_ids(shown(actor=str(people["admin"].id)))) == 2 + 1
    actions = shown(action="role.granted")
    assert len(entry_ids(actions)) == 2
    assert '<option value="role.granted" selected>Role granted</option>' in actions
    assert '<option value="review.comment">Review comment</option>' in actions
    about = shown(type="material", object=str(material_id))
    assert len(entry_ids(about)) == 3 + 1  # material.created
    assert len(entry_ids(shown(type="material", object=str(material_id),
                               action="review.comment"))) == 3
    recent = (utcnow() - timedelta(days=5)).date().isoformat()
    assert "Review comment" not in shown(**{"from": recent}).split("<tbody>")[1]
    old_day = long_ago.date()
    until = shown(to=(old_day + timedelta(days=1)).isoformat())
    assert len(entry_ids(until)) == 3
    # Nonsense filters filter nothing rather than fail.
    assert shown(object="x", **{"from": "gisteren"}).count("<time") >= 5


def test_pages_of_fifty_keep_the_filters_forwards_and_back(app, new_client, people):
    add_entries(app, 120, people["mo"].id, "review.comment", ("material", 1))
    mo = as_user(new_client, people["mo"])
    first = text_of(mo.get("/moderation/audit", query_string={"action": "review.comment"}))
    assert len(entry_ids(first)) == 50
    assert "Newer entries" not in first
    older = re.search(r'href="(/moderation/audit\?[^"]+)" rel="next"', first).group(1)
    older = older.replace("&amp;", "&")
    assert "action=review.comment" in older
    second = text_of(mo.get(older))
    assert len(entry_ids(second)) == 50
    assert set(entry_ids(first)).isdisjoint(entry_ids(second))
    third = text_of(mo.get(re.search(r'href="([^"]+)" rel="next"', second).group(1)
                           .replace("&amp;", "&")))
    assert len(entry_ids(third)) == 20 and 'rel="next"' not in third
    back = text_of(mo.get(re.search(r'href="([^"]+)" rel="prev"', third).group(1)
                          .replace("&amp;", "&")))
    assert entry_ids(back) == entry_ids(second)
    assert entry_ids(first) + entry_ids(second) + entry_ids(third) == sorted(
        entry_ids(first) + entry_ids(second) + entry_ids(third), reverse=True)


def test_reading_the_log_writes_nothing(app, new_client, people):
    mo = as_user(new_client, people["mo"])
    before = audit_count(app)
    assert mo.get("/moderation/audit?actor=x&action=login.failed").status_code == 200
    assert audit_count(app) == before
    assert mo.raw.post("/moderation/audit").status_code in (400, 405)




def waiting_requests(app, make_material, author, n: int) -> list[int]:
    """``n`` materials, each with a request waiting for review."""
    ids = []
    for i in range(n):
        material_id = make_material(author, title=f"Les {i}")
        with app.app_context():
            request = lifecycle.submit_for_review(db.session.get(User, author.id),
                                                  db.session.get(Material, material_id))
            current_uow().commit()
            ids.append(request.id)
    return ids


def test_the_audit_page_costs_the_same_statements_for_20_or_200_entries(
        app, new_client, people, make_material):
    mo = as_user(new_client, people["mo"])
    material_id = make_material(people["anna"])
    kinds = [("review.comment", ("material", material_id), {"version": 1, "review": 1}),
             ("role.granted", ("user", people["anna"].id), {"role": "teacher"}),
             ("login.failed", None, {"reason": "unknown account"})]
    for action, target, details in kinds:
        add_entries(app, 7, people["mo"].id, action, target, details)
    few = page_statements(app, mo, "/moderation/audit")
    for action, target, details in kinds:
        add_entries(app, 60, people["admin"].id, action, target, details)
    waiting_requests(app, make_material, people["anna"], 200)
    many = page_statements(app, mo, "/moderation/audit")
    filtered = page_statements(app, mo, f"/moderation/audit?actor=Ada&action=role.granted"
                                    f"&type=user&object={people['anna'].id}&from=2020-01-01")
    # The session's user, the filters' choices, one page of entries with their names: 3
    # (one more is room for a count the header may show moderators on every page).
    assert len(few) == len(many) == len(filtered), (few, many)
    assert len(many) <= 4, many


def test_the_review_screen_costs_the_same_statements_with_200_waiting_requests(
        app, new_client, people, make_material):
    mo = as_user(new_client, people["mo"])
    first, _second = waiting_requests(app, make_material, people["anna"], 2)
    few = page_statements(app, mo, f"/moderation/reviews/{first}")
    waiting_requests(app, make_material, people["anna"], 198)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReviewRequest)) == 200
        # A long conversation too: comments both ways and a second round of the same
        # request (changes asked, the version submitted again).
        from oer_portal.moderation import conversation, review

        moderator, author = (db.session.get(User, people[name].id) for name in ("mo", "anna"))
        request = db.session.get(ReviewRequest, first)
        for i in range(15):
            conversation.add_comment(moderator, first, f"Vraag {i}")
            conversation.add_comment(author, first, f"Antwoord {i}")
        review.decide(moderator, first, review.Decision.REQUEST_CHANGES, request.version_id,
                      comment="Graag een voorbeeld.")
        current_uow().commit()
        lifecycle.submit_for_review(author, db.session.get(Material, request.material_id))
        current_uow().commit()
    many = page_statements(app, mo, f"/moderation/reviews/{first}")
    assert "Antwoord 14" in text_of(mo.get(f"/moderation/reviews/{first}"))
    assert len(few) == len(many), (few, many)
    # The session's user, the request, its material, authors, versions, files and
    # proposals, the two of the conversation, own work, the vocabularies.
    assert len(many) <= 12, many


# --- 3b. A lesson cannot carry an image that loads a page of ours ----------------------------

LESSON = {"title": "Fotosynthese", "description": "Hoe planten licht gebruiken.",
          "language": "nl", "licence": "CC-BY-4.0", "subjects": ["biology"],
          "levels": ["havo"], "keywords": "planten, licht", "save": "1"}


def test_saving_a_lesson_with_an_image_of_a_page_of_ours_is_refused_with_the_reason(
        app, new_client, people, make_material):
    teacher = as_user(new_client, people["anna"])
    body = "## Inleiding\n\nPlanten maken suiker.\n\n![beheer](/admin/users/1)\n"
    before = audit_count(app)
    response = teacher.post("/materials/new/lesson", {**LESSON, "body": body})
    page = text_of(response)
    assert response.status_code == 200
    assert "An image in the text points at a page of this portal, not at a file: " \
           "/admin/users/1." in page
    assert "Planten maken suiker." in page and "![beheer](/admin/users/1)" in page
    assert 'value="Fotosynthese"' in page  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 0
    assert audit_count(app) == before

    # Editing an existing lesson: the same refusal, no new version.
    material_id = make_material(people["anna"], title="Fotosynthese", body="Een.\n")
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version_id
    response = teacher.post(f"/materials/{material_id}/edit", {
        **LESSON, "body": "Een.\n\n![](https://localhost/moderation/audit)\n",
        "base_version_id": str(head)})
    assert response.status_code == 200
    assert "https://localhost/moderation/audit" in text_of(response)
    assert "not at a file" in text_of(response)
    with app.app_context():
        assert db.session.get(Material, material_id).latest_version_id == head

    # An image of the material's own files is fine.
    saved = teacher.post(f"/materials/{material_id}/edit", {
        **LESSON, "body": f"Een.\n\n![blad](/materials/{material_id}/files/1/blad.png)\n",
        "base_version_id": str(head)})
    assert saved.status_code == 302


# --- 4. Every moderation and admin action is in the log ----------------------------------------


def last(app, action: str) -> AuditEntry:
    found = rows(app, action)
    assert found, f"no {action} entry"
    return found[-1]


def test_review_decisions_are_logged_with_moderator_material_version_and_reason(
        app, new_client, people, make_material):
    mo = as_user(new_client, people["mo"])
    review_ids = waiting_requests(app, make_material, people["anna"], 3)
    with app.app_context():
        requests = [db.session.get(ReviewRequest, i) for i in review_ids]
        targets = [(r.material_id, r.version_id) for r in requests]
    for review_id, (_material_id, version_id), (decision, words) in zip(
            review_ids, targets, [("reject", "Bronnen ontbreken."),
                                  ("request_changes", "Voeg een bron toe."),
                                  ("approve", "Mooi.")], strict=True):
        response = mo.post(f"/moderation/reviews/{review_id}/decision",
                           {"decision": decision, "comment": words, "back": "review",
                            "version_id": str(version_id), "checklist": ["rights"]})
        assert response.status_code == 302, text_of(response)
    for (material_id, version_id), action, key, words in zip(
            targets, ["review.rejected", "review.changes_requested", "review.approved"],
            ["reason", "comment", "comment"], ["Bronnen ontbreken.", "Voeg een bron toe.",
                                                "Mooi."], strict=True):
        entry = [e for e in rows(app, action) if e.target_id == material_id][-1]
        assert entry.actor_id == people["mo"].id
        assert (entry.target_type, entry.target_id) == ("material", material_id)
        assert entry.details["version_id"] == version_id and entry.details["version"] == 1
        assert entry.details[key] == words and entry.details["checklist"] == ["rights"]
    published = last(app, "material.published")
    assert (published.actor_id, published.target_id, published.details["version"]) == (
        people["mo"].id, targets[2][0], 1)
    # The queue's one-click rejection goes the same way.
    review_id = waiting_requests(app, make_material, people["anna"], 1)[0]
    with app.app_context():
        version_id = db.session.get(ReviewRequest, review_id).version_id
    assert mo.post(f"/moderation/reviews/{review_id}/reject",
                   {"reason": "Niet passend.", "version_id": str(version_id)}
                   ).status_code == 302
    assert last(app, "review.rejected").details["reason"] == "Niet passend."
    # The author's submission names the version too.
    submitted = last(app, "review.submitted")
    assert submitted.actor_id == people["anna"].id and submitted.details["version"] == 1
    # The page shows it readably.
    page = text_of(as_user(new_client, people["admin"]).get(
        "/moderation/audit?action=review.rejected"))
    assert "Review: rejected" in page and "Niet passend." in page and "Bronnen ontbreken." in page


def test_role_changes_are_logged_with_admin_user_and_role(app, new_client, people):
    admin = as_user(new_client, people["admin"])
    path = f"/admin/users/{people['anna'].id}"
    assert admin.post(path, {"role": "moderator", "action": "grant"}).status_code == 302
    assert admin.post(path, {"role": "moderator", "action": "revoke"}).status_code == 302
    # Taking away a role the user does not have changes nothing and logs nothing.
    assert admin.post(path, {"role": "moderator", "action": "revoke"}).status_code == 302
    granted, revoked = last(app, "role.granted"), rows(app, "role.revoked")
    assert (granted.actor_id, granted.target_type, granted.target_id, granted.details) == (
        people["admin"].id, "user", people["anna"].id, {"role": "moderator"})
    assert [(e.actor_id, e.target_id, e.details) for e in revoked] == [
        (people["admin"].id, people["anna"].id, {"role": "moderator"})]


def test_logins_and_failed_logins_are_logged_without_the_password(app, client, people):
    assert client.login(people["anna"].email, "a wrong password!").status_code == 200
    assert client.login("nobody@example.org", "whatever it is 123").status_code == 200
    assert client.login(people["anna"].email).status_code == 302
    failed = rows(app, "login.failed")
    assert [(e.actor_id, e.target_type, e.target_id, e.details) for e in failed] == [
        (None, "user", people["anna"].id, {"reason": "wrong password"}),
        (None, None, None, {"reason": "unknown account"})]
    succeeded = last(app, "login.succeeded")
    assert (succeeded.actor_id, succeeded.target_id) == (people["anna"].id, people["anna"].id)
    with app.app_context():
        logged = " ".join(str(e.details) for e in db.session.scalars(select(AuditEntry)))
    assert "wrong password!" not in logged and "whatever it is" not in logged
    assert "nobody@example.org" not in logged


def test_teacher_request_decisions_are_logged_with_admin_applicant_note_and_role(
        app, new_client, people, make_user):
    applicants = [make_user("student"), make_user("student")]
    for applicant in applicants:
        as_user(new_client, applicant).post("/account/teacher-request",
                                            {"school": "De School", "motivation": "Ik geef les."})
    from oer_portal.accounts.models import TeacherRequest

    with app.app_context():
        request_ids = list(db.session.scalars(select(TeacherRequest.id).order_by(
            TeacherRequest.id)))
    admin = as_user(new_client, people["admin"])
    admin.post(f"/admin/teacher-requests/{request_ids[0]}", {"approve": "1",
                                                             "note": "Welkom!"})
    admin.post(f"/admin/teacher-requests/{request_ids[1]}", {"reject": "1",
                                                             "note": "Geen school gevonden."})
    approved, rejected = last(app, "teacher_request.approved"), last(
        app, "teacher_request.rejected")
    assert (approved.actor_id, approved.target_type, approved.target_id, approved.details) == (
        people["admin"].id, "teacher_request", request_ids[0],
        {"user": applicants[0].id, "note": "Welkom!", "role": "teacher"})
    assert (rejected.actor_id, rejected.target_id, rejected.details) == (
        people["admin"].id, request_ids[1],
        {"user": applicants[1].id, "note": "Geen school gevonden."})


def test_a_withdrawal_is_logged_with_moderator_material_version_and_whole_reason(
        app, new_client, people, make_material):
    material_id = make_material(people["anna"], publish_by=people["mo"])
    reason = "Auteursrecht: " + "de plaatjes komen uit een methode. " * 10
    mo = as_user(new_client, people["mo"])
    assert mo.post(f"/materials/{material_id}/withdraw", {"reason": reason}).status_code == 302
    entry = last(app, "material.withdrawn")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        people["mo"].id, "material", material_id)
    assert entry.details == {"reason": reason.strip(), "version": 1}


# --- The migration ---------------------------------------------------------------------------


def test_0012_keeps_every_entry_and_its_downgrade_allows_changes_again(tmp_path):
    """SQLite copies the table to change the key: the entries must survive it; downgrading
    drops the triggers and brings back ``SET NULL``."""
    from flask_migrate import downgrade, upgrade

    from oer_portal import create_app
    from tests.conftest import make_config

    uri = f"sqlite:///{tmp_path / 'data.db'}"
    app = create_app(make_config(tmp_path, uri))
    with app.app_context():
        upgrade(revision="0008_review_conversation")
        now = "2026-01-05 10:00:00.000000"
        db.session.execute(text(
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', :now)"), {"now": now})
        db.session.execute(text(
            "INSERT INTO audit_entries (id, created_at, actor_id, action, target_type, "
            "target_id, details) VALUES (1, :now, 1, 'login.succeeded', 'user', 1, '{}'), "
            "(2, :now, NULL, 'login.failed', NULL, NULL, '{\"reason\": \"unknown account\"}')"),
            {"now": now})
        db.session.commit()
        upgrade()
        assert [tuple(r) for r in db.session.execute(text(
            "SELECT id, actor_id, action FROM audit_entries ORDER BY id"))] == [
            (1, 1, "login.succeeded"), (2, None, "login.failed")]
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_entries"))
        db.session.rollback()
        downgrade(revision="0008_review_conversation")
        db.session.execute(text("DELETE FROM users WHERE id = 1"))  # SET NULL again
        assert db.session.execute(text("SELECT actor_id FROM audit_entries WHERE id = 1")
                                  ).scalar() is None
        db.session.execute(text("DELETE FROM audit_entries"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_dates_are_days_in_the_readers_time_zone(app, new_client, people):
    """23:30 UTC on 5 January is 00:30 on the 6th in Amsterdam (the portal's zone)."""
    from datetime import UTC, datetime

    add_entries(app, 1, people["admin"].id, "role.granted", ("user", people["anna"].id),
                at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC))
    mo = as_user(new_client, people["mo"])

    def count(day_from: str, day_to: str) -> int:
        return len(entry_ids(text_of(mo.get("/moderation/audit", query_string={
            "action": "role.granted", "from": day_from, "to": day_to}))))

    assert count("2026-01-06", "2026-01-06") == 1
    assert count("2026-01-05", "2026-01-05") == 0
    assert count("2026-01-01", "2026-01-07") == 1


def test_every_action_and_object_the_code_writes_has_a_readable_label():
    """The audit page names actions and objects in the reader's language; one a writer adds
    without a label would show as its code.  Read every writer in the source."""
    from pathlib import Path

    from oer_portal.moderation import audit_log

    source = "\n".join(path.read_text() for path in
                       (Path(__file__).parents[2] / "oer_portal").rglob("*.py"))
    actions = set(re.findall(r'(?:audit\.record|_audit)\(\s*"([a-z_]+\.[a-z_.]+)"', source))
    actions |= {"teacher_request.approved", "teacher_request.rejected"}  # + request.status
    actions |= set(re.findall(r'audit\.record\(\s*"([a-z_]+)"', source))  # "logout"
    targets = set(re.findall(r'target=\(\s*"([a-z_]+)"', source))
    assert {"review.claimed", "trust.granted", "material.unpublished"} <= actions  # the regex
    assert actions - set(audit_log.ACTION_LABELS) == set()
    assert targets - set(audit_log.TARGET_LABELS) == set()


def test_details_show_a_flag_only_when_it_is_set_and_in_the_readers_words(app):
    from flask_babel import force_locale

    from oer_portal.moderation.audit_log import describe

    with app.test_request_context(), force_locale("nl"):
        shown = describe({"post_review": False, "renewed": True, "category": "copyright",
                          "version": 3, "password_hash": "x"})
    assert shown == (("Verlengd", "ja"), ("Categorie", "auteursrecht"))
