"""Every role-protected URL refuses the wrong roles (flaskr's parametrised style)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db

ROLES = ("student", "teacher", "moderator", "admin")

# (method, path template, roles allowed, form data, the status an allowed role gets: a page
# is 200, a change redirects after the POST). {user} is another user, {request} a pending
# teacher request of that user.
PROTECTED = [
    ("GET", "/admin/users", {"admin"}, None, 200),
    ("GET", "/admin/users/{user}", {"admin"}, None, 200),
    ("POST", "/admin/users/{user}", {"admin"}, {"role": "teacher", "action": "grant"}, 302),
    ("GET", "/admin/teacher-requests", {"admin"}, None, 200),
    ("POST", "/admin/teacher-requests/{request}", {"admin"}, {"approve": "1"}, 302),
    ("GET", "/moderation/", {"moderator", "admin"}, None, 200),
    ("GET", "/moderation/audit", {"moderator", "admin"}, None, 200),
    ("GET", "/materials/new", {"teacher", "admin"}, None, 200),
    ("GET", "/materials/new/lesson", {"teacher", "admin"}, None, 200),
    ("POST", "/materials/preview", {"teacher", "admin"}, {"body": "# Hoi"}, 200),
]
# (method, path, the status every role gets).
LOGGED_IN = [
    ("GET", "/account/profile", 200),
    ("GET", "/account/password", 200),
    ("GET", "/account/teacher-request", 200),
    ("GET", "/account/tokens", 200),
    ("POST", "/account/logout", 302),
    ("GET", "/my/materials", 200),
]


@pytest.fixture()
def targets(app, make_user, client):
    """Another user with a pending teacher request, created through the real pages."""
    other = make_user("student")
    client.login(other.email)
    client.post("/account/teacher-request", {"school": "De School", "motivation": "Ik geef les."})
    client.logout()
    from oer_portal.accounts.models import TeacherRequest

    with app.app_context():
        request_id = db.session.scalar(select(TeacherRequest.id))
    return {"user": other.id, "request": request_id}


def _call(client, method, path, data):
    if method == "GET":
        return client.get(path)
    return client.post(path, data or {})


@pytest.mark.parametrize(("method", "template", "allowed", "data", "status"), PROTECTED)
@pytest.mark.parametrize("role", ROLES)
def test_protected_url_refuses_wrong_roles(app, client, make_user, targets, role, method,
                                           template, allowed, data, status):
    path = template.format(**targets)
    user = make_user(role)
    client.login(user.email)
    response = _call(client, method, path, data)
    if role in allowed:
        assert response.status_code == status
    else:
        assert response.status_code == 403
        assert "403" in response.get_data(as_text=True)
        with app.app_context():
            denial = db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "access.denied")
            ).all()
            assert [(e.actor_id, e.details["path"]) for e in denial] == [(user.id, path)]


@pytest.mark.parametrize(("method", "template", "allowed", "data", "status"), PROTECTED)
def test_protected_url_sends_anonymous_visitors_to_login(client, targets, method, template,
                                                         allowed, data, status):
    response = _call(client, method, template.format(**targets), data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize(("method", "path", "status"), LOGGED_IN)
def test_account_pages_need_a_login(client, method, path, status):
    response = _call(client, method, path, None)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path", "status"), LOGGED_IN)
def test_account_pages_open_for_every_role(client, make_user, method, path, status):
    for role in ROLES:
        user = make_user(role)
        client.login(user.email)
        assert _call(client, method, path, None).status_code == status, role
        client.logout()


def test_a_refused_change_leaves_nothing_behind(app, client, make_user, targets):
    teacher = make_user("teacher")
    client.login(teacher.email)
    response = client.post(f"/admin/users/{targets['user']}", {"role": "admin", "action": "grant"})
    assert response.status_code == 403
    from oer_portal.accounts.models import User

    with app.app_context():
        assert db.session.get(User, targets["user"]).roles == {"student"}
