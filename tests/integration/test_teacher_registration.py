"""Registering as a teacher: the teacher-role request is part of registration; the applicant
is told the decision once, on the next page, and on the dashboard; admins see how many
requests wait; every required field says what to fill in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from oer_portal.accounts.models import TeacherRequest, User
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db
from tests.conftest import PASSWORD
from tests.fixtures.mailbox import Mailbox, confirm_address

APPROVED = "Your request for the teacher role has been approved."
REJECTED = "Your request for the teacher role has been rejected."
NOTICE = re.compile(r'<div class="decision-notice[^"]*" role="status">')


@pytest.fixture(autouse=True)
def _outbox(mailbox):
    """Every registration here reads its confirmation link from the outbox."""
    return mailbox


def _register(client, confirm: bool = True, **overrides):
    """Register; when the form went through, confirm the address from the e-mail and log in
    (as the new teacher does), returning the registration's own response."""
    form = {"display_name": "Dana Docent", "email": "dana@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "is_teacher": "y", "school": "Stedelijk Lyceum",
            "motivation": "Ik geef scheikunde in havo 4 en 5."}
    form.update(overrides)
    response = client.post("/account/register", {k: v for k, v in form.items() if v is not None})
    if confirm and response.status_code == 302:
        confirm_address(client, Mailbox(client.raw.application), form["email"])
        assert client.login(form["email"]).status_code == 302
    return response


def _requests(app) -> list[TeacherRequest]:
    with app.app_context():
        return list(db.session.scalars(select(TeacherRequest).order_by(TeacherRequest.id)))


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _decide(admin_client, app, approve: bool, note: str = "") -> None:
    request_id = _requests(app)[-1].id
    response = admin_client.post(f"/admin/teacher-requests/{request_id}",
                                 {"approve" if approve else "reject": "1", "note": note})
    assert response.status_code == 302


def _admin_decides(app, new_client, make_user, approve: bool, note: str = "") -> None:
    """An admin, in a browser of their own, decides the newest request."""
    admin = new_client()
    admin.login(make_user("admin").email)
    _decide(admin, app, approve, note)


# --- registration -------------------------------------------------------------------------


def test_registering_as_a_teacher_sends_the_request_with_the_account(app, client):
    response = _register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/register/sent"
    [request] = _requests(app)
    assert (request.school, request.motivation, request.status) == (
        "Stedelijk Lyceum", "Ik geef scheikunde in havo 4 en 5.", "pending")
    with app.app_context():
        user = db.session.get(User, request.user_id)
        assert user.email == "dana@example.org" and user.roles == {"student"}
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[:3] == ["account.created", "teacher_request.created",
                           "account.email_confirmed"]
    dashboard = client.get("/my/materials").get_data(as_text=True)
    assert "Your request for the teacher role" in dashboard


def test_registering_without_the_tick_makes_a_student_and_no_request(app, client):
    response = _register(client, is_teacher=None, school="", motivation="")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/register/sent"
    assert _requests(app) == [] and _users(app) == 1


def test_a_teacher_without_school_or_motivation_is_refused_and_keeps_what_was_typed(app, client):
    response = _register(client, school="  ", motivation="Ik geef les.")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fill in your school or institution." in page
    assert 'value="Dana Docent"' in page and 'value="dana@example.org"' in page
    assert "Ik geef les.</textarea>" in page
    assert re.search(r'<input[^>]*checked[^>]*name="is_teacher"|<input[^>]*name="is_teacher"'
                     r'[^>]*checked', page)
    assert _users(app) == 0 and _requests(app) == []

    page = _register(client, motivation="").get_data(as_text=True)
    assert "Tell us why you want the teacher role." in page
    assert _users(app) == 0


def test_teacher_fields_filled_in_without_the_tick_are_pointed_out(app, client):
    page = _register(client, is_teacher=None).get_data(as_text=True)
    assert "Tick “I am a teacher” to send this, or leave it empty." in page
    assert _users(app) == 0


def test_the_service_refuses_an_application_before_it_creates_the_account(app):
    from oer_portal.accounts import confirmation, service
    from oer_portal.core.errors import ValidationError

    with app.test_request_context():
        with pytest.raises(ValidationError) as refused:
            confirmation.register("eva@example.org", "Eva", PASSWORD,
                                  service.TeacherApplication(school="Het Lyceum",
                                                             motivation=" "), "en")
        assert refused.value.field == "motivation"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_required_fields_say_what_to_fill_in(client, new_client, make_user):
    page = client.post("/account/register", {}).get_data(as_text=True)
    for message in ("Fill in a display name.", "Fill in your e-mail address.",
                    "Choose a password.", "Repeat your password."):
        assert message in page
    assert "This field is required." not in page
    assert "Fill in an e-mail address like name@school.nl." in client.post(
        "/account/register", {"email": "dana"}).get_data(as_text=True)

    dutch = new_client(None).post("/account/register", {}).get_data(as_text=True)
    assert "Vul een weergavenaam in." in dutch and "Kies een wachtwoord." in dutch

    client.login(make_user("student").email)
    page = client.post("/account/teacher-request", {}).get_data(as_text=True)
    assert "Fill in your school or institution." in page
    assert "Tell us why you want the teacher role." in page


def test_a_form_with_errors_puts_the_focus_on_its_summary(client):
    page = client.post("/account/register", {}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary"[^>]*>', page).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert page.count("autofocus") == 1
    assert "autofocus" not in client.get("/account/register").get_data(as_text=True)


# --- the decision, told -------------------------------------------------------------------


def test_an_approval_is_told_once_on_the_next_page(app, client, new_client, make_user):
    _register(client)
    assert not NOTICE.search(client.get("/").get_data(as_text=True))  # nothing decided yet
    _admin_decides(app, new_client, make_user, approve=True, note="Welkom bij het portaal!")

    page = client.get("/search?q=breuken").get_data(as_text=True)
    assert NOTICE.search(page) and APPROVED in page and "Welkom bij het portaal!" in page
    assert re.search(r'<a class="button button--primary" href="/materials/new/lesson">'
                     r'Write a new lesson</a>', page)
    assert _requests(app)[0].notified_at is not None

    again = client.get("/").get_data(as_text=True)
    assert not NOTICE.search(again) and APPROVED not in again
    # Now a teacher: the header offers new material.
    assert '<a href="/materials/new">New material</a>' in again


def test_a_rejection_is_told_once_with_the_admins_note(app, client, new_client, make_user):
    _register(client)
    _admin_decides(app, new_client, make_user, approve=False, note="We vonden je school niet.")
    page = client.get("/").get_data(as_text=True)
    assert REJECTED in page and "We vonden je school niet." in page
    assert 'href="/account/teacher-request">Ask again</a>' in page
    assert "Write a new lesson" not in page
    assert REJECTED not in client.get("/").get_data(as_text=True)


def test_a_decision_claimed_by_a_redirect_is_shown_on_the_page_after_it(
        app, client, new_client, make_user):
    _register(client)
    token = client.csrf_token()  # taken now: the client's own page load would claim it
    _admin_decides(app, new_client, make_user, approve=True)
    response = client.raw.post("/language", data={"csrf_token": token, "locale": "en",
                                                  "next": "/"})
    assert response.status_code == 302
    assert _requests(app)[0].notified_at is not None
    assert APPROVED in client.get("/").get_data(as_text=True)
    assert APPROVED not in client.get("/").get_data(as_text=True)


def test_an_address_that_is_no_page_leaves_the_decision_for_the_next_page(
        app, client, new_client, make_user):
    _register(client)
    _admin_decides(app, new_client, make_user, approve=True)
    assert client.get("/bestaat-niet").status_code == 404
    assert _requests(app)[0].notified_at is None
    assert APPROVED in client.get("/").get_data(as_text=True)


def test_the_decision_is_told_on_one_device_only(app, client, new_client, make_user):
    _register(client)
    laptop = new_client()
    laptop.login("dana@example.org")
    _admin_decides(app, new_client, make_user, approve=True)
    assert APPROVED in laptop.get("/").get_data(as_text=True)
    assert not NOTICE.search(client.get("/").get_data(as_text=True))


def test_a_stale_or_foreign_notice_in_the_session_shows_nothing(app, client, new_client,
                                                                 make_user):
    other = new_client()
    _register(other, email="other@example.org")
    _admin_decides(app, new_client, make_user, approve=False, note="Geheime toelichting")
    client.login(make_user("student").email)
    with client.raw.session_transaction() as session:
        session["teacher_decision"] = _requests(app)[0].id
    page = client.get("/").get_data(as_text=True)
    assert not NOTICE.search(page) and "Geheime toelichting" not in page


def test_the_dashboard_says_where_the_request_stands(app, client, new_client, make_user):
    _register(client)
    assert "Your request for the teacher role" in client.get("/my/materials").get_data(
        as_text=True)
    _admin_decides(app, new_client, make_user, approve=True, note="Veel plezier.")

    dashboard = client.get("/my/materials").get_data(as_text=True)
    # Said once on the page: in the dashboard's own section, not again in the header.
    assert dashboard.count(APPROVED) == 1 and not NOTICE.search(dashboard)
    assert "Veel plezier." in dashboard
    assert 'href="/materials/new/lesson">Write a new lesson</a>' in dashboard
    assert _requests(app)[0].notified_at is not None  # told here, so not on the next page
    assert APPROVED not in client.get("/").get_data(as_text=True)
    assert APPROVED in client.get("/my/materials").get_data(as_text=True)  # still here


def test_the_request_page_tells_the_decision_itself(app, client, new_client, make_user):
    _register(client)
    _admin_decides(app, new_client, make_user, approve=False, note="Nog geen lesbevoegdheid.")
    page = client.get("/account/teacher-request").get_data(as_text=True)
    assert "Rejected" in page and page.count("Nog geen lesbevoegdheid.") == 1
    assert not NOTICE.search(page)
    assert not NOTICE.search(client.get("/").get_data(as_text=True))


def test_the_dashboard_shows_a_rejection_with_the_note(app, client, new_client, make_user):
    _register(client)
    _admin_decides(app, new_client, make_user, approve=False, note="Stuur een schoolmailadres mee.")
    dashboard = client.get("/my/materials").get_data(as_text=True)
    assert REJECTED in dashboard and "Stuur een schoolmailadres mee." in dashboard
    assert "Ask again" in dashboard


# --- the header ---------------------------------------------------------------------------


def _badge(page: str) -> str | None:
    found = re.search(r'<a class="count-badge" href="/admin/teacher-requests"[^>]*>(.*?)</a>',
                      page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else None


def test_admins_see_how_many_teacher_requests_wait(app, client, new_client, make_user):
    admin = new_client()
    admin.login(make_user("admin").email)
    assert _badge(admin.get("/").get_data(as_text=True)) is None  # none waiting: no badge
    for n in range(2):
        _register(new_client(), email=f"docent{n}@example.org")
    assert _badge(admin.get("/").get_data(as_text=True)) == (
        "Teacher requests waiting for a decision: 2")
    _decide(admin, app, approve=True)
    assert _badge(admin.get("/search").get_data(as_text=True)) == (
        "Teacher requests waiting for a decision: 1")


def test_only_admins_see_the_count(client, new_client, make_user):
    _register(new_client())
    for role in ("student", "teacher", "moderator"):
        visitor = new_client()
        visitor.login(make_user(role).email)
        page = visitor.get("/").get_data(as_text=True)
        assert _badge(page) is None and "Teacher requests waiting" not in page
    assert _badge(client.get("/").get_data(as_text=True)) is None  # anonymous


def test_teachers_have_new_material_in_the_header_and_students_do_not(new_client, make_user):
    teacher, student = new_client(), new_client()
    teacher.login(make_user("teacher").email)
    student.login(make_user("student").email)
    assert '<a href="/materials/new">New material</a>' in teacher.get("/").get_data(
        as_text=True)
    assert 'href="/materials/new"' not in student.get("/").get_data(as_text=True)


def test_the_page_that_tells_the_decision_writes_as_a_writer(app, client, new_client,
                                                               make_user):
    """A GET reads in a deferred transaction; the one that claims the notice restarts as a
    writer (on SQLite ``BEGIN IMMEDIATE``, which waits for the writer slot), so it never
    fails on a snapshot another writer made stale."""
    from sqlalchemy import event

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the transaction modes are SQLite's")
    _register(client)
    _admin_decides(app, new_client, make_user, approve=True)
    begins: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: begins.append(args[2]) if args[2].startswith("BEGIN") else None)
    client.get("/")
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    begins.clear()
    client.get("/")
    assert begins == ["BEGIN"]
