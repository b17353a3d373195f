"""The teacher-role request: a student asks, an admin approves or rejects, all audited."""

from __future__ import annotations

from sqlalchemy import select

from oer_portal.accounts.models import TeacherRequest, User
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db


def _ask(client, school="Het Lyceum", motivation="Ik geef biologie in havo 4."):
    return client.post("/account/teacher-request", {"school": school, "motivation": motivation})


def _request_id(app):
    with app.app_context():
        return db.session.scalar(select(TeacherRequest.id).order_by(TeacherRequest.id.desc()))


def test_approval_makes_the_student_a_teacher(app, client, new_client, make_user):
    student, admin = make_user("student"), make_user("admin")
    client.login(student.email)
    assert _ask(client).status_code == 302
    assert "Waiting for a decision" in client.get("/account/teacher-request").get_data(
        as_text=True)

    admin_client = new_client()
    admin_client.login(admin.email)
    queue = admin_client.get("/admin/teacher-requests").get_data(as_text=True)
    assert "Het Lyceum" in queue and "biologie" in queue
    response = admin_client.post(f"/admin/teacher-requests/{_request_id(app)}",
                                 {"approve": "1", "note": "Welkom!"})
    assert response.status_code == 302

    with app.app_context():
        assert db.session.get(User, student.id).roles == {"student", "teacher"}
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "teacher_request.approved"))
        assert entry.actor_id == admin.id
    page = client.get("/account/teacher-request").get_data(as_text=True)
    assert "Approved" in page and "Welkom!" in page


def test_rejection_keeps_the_role_and_shows_the_reason(app, client, new_client, make_user):
    student, admin = make_user("student"), make_user("admin")
    client.login(student.email)
    _ask(client)
    admin_client = new_client()
    admin_client.login(admin.email)
    admin_client.post(f"/admin/teacher-requests/{_request_id(app)}",
                      {"reject": "1", "note": "Geen school gevonden."})
    with app.app_context():
        assert db.session.get(User, student.id).roles == {"student"}
    page = client.get("/account/teacher-request").get_data(as_text=True)
    assert "Rejected" in page and "Geen school gevonden." in page
    assert _ask(client).status_code == 302  # may ask again after a rejection


def test_a_second_pending_request_is_refused(app, client, make_user):
    client.login(make_user("student").email)
    _ask(client)
    response = client.raw.post("/account/teacher-request", data={
        "csrf_token": client.csrf_token(), "school": "X", "motivation": "Nog een keer"})
    # The form is not offered while a request waits; a forged post is refused with a reason.
    assert response.status_code == 200
    assert "already have a request" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(TeacherRequest)).all()) == 1


def test_a_decided_request_cannot_be_decided_again(app, client, new_client, make_user):
    client.login(make_user("student").email)
    _ask(client)
    admin_client = new_client()
    admin_client.login(make_user("admin").email)
    url = f"/admin/teacher-requests/{_request_id(app)}"
    admin_client.post(url, {"approve": "1"})
    response = admin_client.post(url, {"reject": "1"}, follow_redirects=True)
    assert "already been decided" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TeacherRequest, _request_id(app)).status == "approved"


def test_teachers_cannot_ask_for_the_role_they_have(client, make_user):
    client.login(make_user("teacher").email)
    assert "already have the teacher role" in client.get("/account/teacher-request").get_data(
        as_text=True)
    assert _ask(client).status_code == 403


def test_empty_request_gets_field_errors(app, client, make_user):
    client.login(make_user("student").email)
    response = _ask(client, school="", motivation="   ")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _request_id(app) is None
