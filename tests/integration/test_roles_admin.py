"""Granting and revoking roles on the admin pages."""

from __future__ import annotations

from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db


def _roles(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).roles


def test_admin_grants_and_revokes_a_role(app, client, make_user):
    admin, student = make_user("admin"), make_user("student")
    client.login(admin.email)
    client.post(f"/admin/users/{student.id}", {"role": "moderator", "action": "grant"})
    assert _roles(app, student.id) == {"student", "moderator"}
    client.post(f"/admin/users/{student.id}", {"role": "moderator", "action": "revoke"})
    assert _roles(app, student.id) == {"student"}
    with app.app_context():
        actions = [(e.action, e.actor_id, e.target_id, e.details.get("role")) for e in
                   db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("role.%"))
                                      .order_by(AuditEntry.id))]
    assert actions == [("role.granted", admin.id, student.id, "moderator"),
                       ("role.revoked", admin.id, student.id, "moderator")]


def test_admin_cannot_take_away_their_own_admin_role(app, client, make_user):
    admin = make_user("admin")
    client.login(admin.email)
    response = client.post(f"/admin/users/{admin.id}", {"role": "admin", "action": "revoke"},
                           follow_redirects=True)
    assert "cannot take away your own admin role" in response.get_data(as_text=True)
    assert "admin" in _roles(app, admin.id)


def test_unknown_role_is_refused(app, client, make_user):
    admin, student = make_user("admin"), make_user("student")
    client.login(admin.email)
    response = client.post(f"/admin/users/{student.id}", {"role": "superuser",
                                                          "action": "grant"})
    assert response.status_code == 200  # the page again, nothing granted
    assert _roles(app, student.id) == {"student"}


def test_user_list_filters_by_name_or_address(client, make_user):
    admin = make_user("admin", name="Ada Admin")
    make_user("student", name="Bram Bakker", email="bram@example.org")
    make_user("student", name="Cato Cools", email="cato@example.org")
    client.login(admin.email)
    page = client.get("/admin/users?q=bakker").get_data(as_text=True)
    assert "Bram Bakker" in page and "Cato Cools" not in page
    page = client.get("/admin/users?q=CATO@").get_data(as_text=True)
    assert "Cato Cools" in page and "Bram Bakker" not in page


def test_unknown_user_is_404(client, make_user):
    client.login(make_user("admin").email)
    assert client.get("/admin/users/424242").status_code == 404
