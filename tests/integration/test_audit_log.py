"""The audit log you can trust: the database refuses to change or delete an entry (SQLite and
PostgreSQL, whichever the run uses), a page load never writes to it, every moderation and
admin action is in it, and moderators read it on a page that costs a fixed number of
statements however long the log is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, text
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
        app, new_client, people, make_material):
    """The attack of the issue, end to end: the stored lesson cannot even carry the image
    (it is dropped when rendered), and the browser's request for it would write nothing."""
    material_id = make_material(people["anna"], title="Plaatjes",
                                body="Kijk: ![x](/admin/users/1)\n", publish_by=people["mo"])
    reader = as_user(new_client, people["student"])
    before = audit_count(app)
    page = text_of(reader.get(f"/materials/{material_id}", follow_redirects=True))
    assert "/admin/users/1" not in page
    assert reader.get("/admin/users/1", headers=IMAGE_LOAD).status_code == 403
    assert audit_count(app) == before
