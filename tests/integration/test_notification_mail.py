"""E-mail for notifications, against a real SMTP server (aiosmtpd on a free port): sent after
the commit, in the recipient's language, with the subject, the sentence and an absolute link
on the portal's configured address; per-kind settings on the profile page decide; a server
that is down or refuses a mailbox is logged and never undoes the decision."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from oer_portal import create_app
from oer_portal.accounts import service as accounts
from oer_portal.accounts.models import Role, User
from oer_portal.core import mail as core_mail
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.notifications import mail, service
from oer_portal.notifications.models import (
    Notification,
    NotificationKind,
    NotificationSetting,
    TargetType,
)
from tests.conftest import CSRF_RE, PASSWORD, Client, make_config
from tests.fixtures.smtp import SMTPServer, free_port, smtp_server

PORTAL = "https://oer.example.nl"


@pytest.fixture()
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as server:
        yield server


def _mailing(app: Flask, another_app: Any, tmp_path: Any, port: int, **extra: Any) -> Flask:
    """The test's database, served by an app that sends its mail to ``port``."""
    return another_app(make_config(
        tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port, MAIL_TIMEOUT=5, PORTAL_URL=PORTAL,
        MAIL_DEFAULT_SENDER="OER-portaal <portaal@oer.example.nl>", **extra))


@pytest.fixture()
def mailing_app(app, another_app, tmp_path, smtp) -> Flask:
    return _mailing(app, another_app, tmp_path, smtp.port)


def _applicant(app: Flask, make_user: Any, name: str, locale: str | None = None) -> Any:
    user = make_user("student", name=name)
    with app.app_context():
        account = db.session.get(User, user.id)
        account.locale = locale
        accounts.request_teacher_role(account, "Het Lyceum", "Ik geef les.")
        current_uow().commit()
    return user


def _request_of(app: Flask, user: Any) -> int:
    with app.app_context():
        return accounts.latest_teacher_request(db.session.get(User, user.id)).id


def _decide(client: Client, app: Flask, user: Any, approve: bool = True, **kwargs: Any) -> Any:
    return client.post(f"/admin/teacher-requests/{_request_of(app, user)}",
                       {"approve" if approve else "reject": "1", "note": ""}, **kwargs)


def _admin(app: Flask, make_user: Any) -> Client:
    admin = Client(app.test_client())
    admin.login(make_user("admin", name="Bram Beheerder").email)
    return admin


def test_a_teacher_decision_is_mailed_in_the_applicants_language(
        app, mailing_app, smtp, make_user):
    dutch = _applicant(app, make_user, "Dana Docent")  # no choice saved: Dutch
    english = _applicant(app, make_user, "Emma English", locale="en")
    # The admin's browser names another host the portal answers on (an untrusted one gets
    # 400: test_trusted_hosts.py): only PORTAL_URL may end up in an e-mail.
    admin = mailing_app.test_client()
    evil = {"base_url": "http://127.0.0.1"}

    def form(**values: str) -> dict[str, str]:
        page = admin.get("/", **evil).get_data(as_text=True)
        return {"csrf_token": CSRF_RE.search(page)[1], **values}

    admin.post("/account/login", data=form(email=make_user("admin", name="Bram Beheerder").email,
                                           password=PASSWORD), **evil)
    for user, choice in ((dutch, "approve"), (english, "reject")):
        response = admin.post(f"/admin/teacher-requests/{_request_of(app, user)}",
                              data=form(**{choice: "1", "note": ""}), **evil)
        assert response.status_code == 302

    assert [r.recipients for r in smtp.received] == [[dutch.email], [english.email]]
    nl, en = smtp.received
    assert nl.message["To"] == f"Dana Docent <{dutch.email}>"
    assert nl.message["From"] == "OER-portaal <portaal@oer.example.nl>"
    assert nl.message["Auto-Submitted"] == "auto-generated"
    assert nl.subject == "OER-portaal: Je bent nu docent op het portaal"
    assert nl.body.startswith("Hallo Dana Docent,\n\n"
                              "Bram Beheerder heeft je aanvraag voor de docentrol goedgekeurd.\n")
    assert f"Bekijk het op het portaal:\n{PORTAL}/account/teacher-request\n" in nl.body
    assert f"{PORTAL}/account/profile#email-settings" in nl.body
    assert "127.0.0.1" not in nl.body

    assert en.subject == "OER portal: Your request for the teacher role was rejected"
    assert "Bram Beheerder rejected your request for the teacher role." in en.body
    assert f"Open it on the portal:\n{PORTAL}/account/teacher-request\n" in en.body


def test_the_profile_page_offers_each_kind_with_its_default(app, client, make_user):
    user = make_user("teacher")
    client.login(user.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert '<h2 id="email-settings">E-mail</h2>' in page
    assert "<legend>Send me an e-mail when</legend>" in page
    checked = {kind: f'value="{kind.value}" checked' in page for kind in NotificationKind}
    assert all(f'value="{kind.value}"' in page for kind in NotificationKind)
    assert checked == {kind: kind is not NotificationKind.UPSTREAM_CHANGED
                       for kind in NotificationKind}


def test_a_kind_turned_off_is_not_mailed_but_stays_in_the_inbox(
        app, mailing_app, smtp, make_user):
    applicant = _applicant(app, make_user, "Dana Docent")
    own = Client(mailing_app.test_client())
    own.login(applicant.email)
    kept = [k.value for k in NotificationKind if k is not NotificationKind.TEACHER_APPROVED]
    response = own.post("/account/email-settings", {"emailed": kept})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profile#email-settings"
    assert "Your e-mail settings have been saved." in own.get("/account/profile").get_data(
        as_text=True)

    _decide(_admin(mailing_app, make_user), mailing_app, applicant)
    assert smtp.received == []
    assert "approved your request for the teacher role" in own.get(
        "/my/notifications").get_data(as_text=True)


def test_settings_store_only_what_differs_from_the_defaults(app, client, make_user):
    user, other = make_user("teacher"), make_user("teacher")
    client.login(user.email)
    everything = [kind.value for kind in NotificationKind]
    client.post("/account/email-settings", {"emailed": everything})
    with app.app_context():
        rows = db.session.execute(select(NotificationSetting.kind, NotificationSetting.email)
                                  .where(NotificationSetting.user_id == user.id)).all()
        assert [tuple(row) for row in rows] == [("upstream.changed", True)]
        assert service.email_settings(other.id)[NotificationKind.UPSTREAM_CHANGED] is False
    client.post("/account/email-settings", {})  # nothing ticked: nothing e-mailed
    with app.app_context():
        assert not any(service.email_settings(user.id).values())
        assert service.email_settings(other.id)[NotificationKind.REVIEW_APPROVED] is True


def test_a_tampered_setting_changes_nothing(app, client, make_user):
    user = make_user("teacher")
    client.login(user.email)
    response = client.post("/account/email-settings", {"emailed": ["review.approved",
                                                                   "everything"]})
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NotificationSetting)) == 0
    assert Client(app.test_client()).post("/account/email-settings", {}).status_code == 302


def test_upstream_changes_are_mailed_only_to_those_who_chose_them_with_the_portals_link(
        app, mailing_app, smtp, make_user, make_material):
    from oer_portal.materials import lifecycle
    from oer_portal.materials import service as materials
    from oer_portal.materials.attachments import refs_of
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material
    from oer_portal.remix import service as remixing

    anna, bea, cor = (make_user("teacher", name="Anna Aalders"),
                      make_user("teacher", name="Bea Bakker"),
                      make_user("teacher", name="Cor Claassen"))
    mod = make_user("moderator", name="Mo Moderator")
    source = make_material(anna, title="Breuken", publish_by=mod)
    with mailing_app.app_context():
        remix = remixing.remix(db.session.get(User, bea.id), source, None, "CC-BY-4.0",
                               "Breuken voor groep 7")
        materials.add_co_author(db.session.get(User, bea.id), remix.id, cor.email)
        service.save_email_settings(cor.id, [NotificationKind.UPSTREAM_CHANGED])
        current_uow().commit()
        remix_id = remix.id
    with mailing_app.app_context():  # a publication outside any request, as a command's
        material = db.session.get(Material, source)
        head = material.latest_version
        version = materials.save_version(
            db.session.get(User, anna.id), source, head.id,
            replace(VersionFields.of(head), body="Regel een\nRegel twee\n"),
            refs_of(head.attachments)).version
        lifecycle.publish(material, version, db.session.get(User, mod.id))
        current_uow().commit()

    assert [r.recipients for r in smtp.received] == [[cor.email]]
    body = smtp.received[0].body
    assert smtp.received[0].subject == \
        "OER-portaal: Nieuwe versie van het origineel van “Breuken voor groep 7”"
    assert f"{PORTAL}/materials/{remix_id}/upstream" in body
    with app.app_context():
        told = db.session.scalars(select(Notification.user_id).where(
            Notification.kind == NotificationKind.UPSTREAM_CHANGED)).all()
        assert sorted(told) == sorted([bea.id, cor.id])


def test_with_the_mail_server_down_the_decision_stands_and_the_failure_is_logged(
        app, another_app, tmp_path, make_user, caplog):
    down = _mailing(app, another_app, tmp_path, free_port())
    applicant = _applicant(app, make_user, "Dana Docent")
    caplog.set_level(logging.ERROR)
    assert _decide(_admin(down, make_user), down, applicant).status_code == 302

    with app.app_context():
        user = db.session.get(User, applicant.id)
        assert user.has_role(Role.TEACHER)
        assert service.unread_count(applicant.id) == 1
        notification_id = db.session.scalar(select(Notification.id))
    failures = [r for r in caplog.records if "could not be sent" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].getMessage() == (
        f"E-mail for notification {notification_id} (teacher.approved) to user "
        f"{applicant.id} could not be sent; it stays in their inbox")
    assert failures[0].exc_info is not None


def test_a_refused_mailbox_is_logged_alone_and_the_others_are_sent(
        app, mailing_app, smtp, make_user, caplog):
    gone, fine = make_user("teacher"), make_user("teacher")
    smtp.refused.add(gone.email)
    caplog.set_level(logging.ERROR)
    with mailing_app.app_context():
        service.notify([gone.id, fine.id], NotificationKind.REVIEW_APPROVED,
                       (TargetType.MATERIAL, 1), {"title": "Breuken", "version": 1})
        current_uow().commit()
    assert [r.recipients for r in smtp.received] == [[fine.email]]
    assert [f"to user {gone.id} could not be sent" in r.getMessage()
            for r in caplog.records] == [True]


def test_without_a_mail_server_the_message_is_written_to_the_log(
        app, client, make_user, caplog):
    applicant = _applicant(app, make_user, "Dana Docent")
    caplog.set_level(logging.INFO)
    _decide(_admin(app, make_user), app, applicant)
    logged = [r.getMessage() for r in caplog.records if "not sent: no MAIL_SERVER" in
              r.getMessage()]
    assert len(logged) == 1
    assert f"to Dana Docent <{applicant.email}>" in logged[0]
    assert "OER-portaal: Je bent nu docent op het portaal" in logged[0]
    # Written through the app's logger, which escapes line breaks: one line per e-mail.
    assert "\n" not in logged[0] and "http://localhost/account/teacher-request" in logged[0]


def test_links_follow_the_portals_address_and_need_one_outside_a_request(
        app, another_app, tmp_path):
    from oer_portal.notifications import web

    under_a_path = another_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                                           PORTAL_URL="https://school.example.nl/oer/"))
    with under_a_path.app_context():
        assert web.notification_url("teacher.approved", "teacher_request", 1, {},
                                    external=True) \
            == "https://school.example.nl/oer/account/teacher-request"
    with app.app_context():  # no address configured and no request: no link at all
        assert web.notification_url("review.approved", "material", 1, {}, external=True) \
            is None
        delivery = service.Delivery(1, "review.approved", "material", 1,
                                    {"title": "Breuken", "version": 2}, "Mo", 1,
                                    "a@example.org", "Anna", "en")
        body = mail.compose(delivery).body
        assert "Mo approved version 2 of “Breuken”." in body
        assert "http" not in body


@pytest.fixture()
def production(tmp_path, monkeypatch):
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("OER_ENV", "OER_PORTAL_URL", "OER_MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    return {"SECRET_KEY": "k" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TRUSTED_HOSTS": "oer.example.nl"}


def test_production_mail_needs_the_portals_address(production):
    with pytest.raises(RuntimeError, match="OER_PORTAL_URL=https://"):
        create_app({**production, "MAIL_SERVER": "smtp.example.nl"})
    with pytest.raises(RuntimeError, match="must be an address like"):
        create_app({**production, "PORTAL_URL": "oer.example.nl"})
    app = create_app({**production, "MAIL_SERVER": "smtp.example.nl",
                      "PORTAL_URL": "https://oer.example.nl/"})
    assert app.config["PORTAL_URL"] == "https://oer.example.nl"
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert create_app(production).config["MAIL_BACKEND"] == core_mail.LOG_BACKEND


def test_the_profile_page_shows_the_language_in_use_when_none_was_chosen(new_client,
                                                                         make_user):
    """The profile's two forms are shown together; the language radio shows the language in
    force even for someone who never chose one (it showed none, and saving the name then
    asked for it)."""
    client = new_client(None)
    client.login(make_user("teacher").email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="nl"|value="nl"[^>]*checked', page)
    response = client.post("/account/email-settings", {"emailed": ["nonsense"]})
    assert re.search(r'<input checked[^>]*value="nl"|value="nl"[^>]*checked',
                     response.get_data(as_text=True))


def test_moderators_decisions_are_mailed_with_a_link_to_act_on(app, mailing_app, smtp,
                                                              make_user, make_material):
    """A request for changes reaches the author with a link to the review; a dismissed
    report reaches the reporter with a link to the material; and a moderator whose
    request for changes is answered hears it, with a link to the review screen."""
    from oer_portal.materials import lifecycle
    from oer_portal.materials.models import Material
    from oer_portal.moderation.models import Report
    from tests.integration.test_review import decide

    author = make_user("teacher", name="Anna Auteur")
    moderator = make_user("moderator", name="Mo Moderator")
    student = make_user("student", name="Sam Student")
    material_id = make_material(author, title="Breuken", body="Breuken.\n")
    with app.app_context():
        request = lifecycle.submit_for_review(db.session.get(User, author.id),
                                              db.session.get(Material, material_id))
        current_uow().commit()
        review_id, version_id = request.id, request.version_id
    mo = Client(mailing_app.test_client(), locale=None)
    mo.login(moderator.email)
    assert decide(mo, review_id, "request_changes", version_id,
                  comment="Voeg een voorbeeld toe.").status_code == 302
    [changes] = smtp.received
    assert changes.recipients == [author.email]
    assert changes.subject == "OER-portaal: Wijzigingen gevraagd: “Breuken”"
    assert "Mo Moderator vraagt om wijzigingen in versie 1 van “Breuken”." in changes.body
    assert f"{PORTAL}/moderation/reviews/{review_id}\n" in changes.body

    anna = Client(mailing_app.test_client(), locale=None)
    anna.login(author.email)
    assert anna.post(f"/materials/{material_id}/submit", {}).status_code in (302, 303)
    resubmitted = smtp.received[-1]
    assert resubmitted.recipients == [moderator.email]
    assert resubmitted.subject == "OER-portaal: Nieuwe versie om te beoordelen: “Breuken”"
    assert f"{PORTAL}/moderation/reviews/{review_id}\n" in resubmitted.body
    assert decide(mo, review_id, "approve", version_id).status_code == 302

    sam = Client(mailing_app.test_client(), locale=None)
    sam.login(student.email)
    assert sam.post(f"/materials/{material_id}/report",
                    {"category": "incorrect", "comment": ""}).status_code == 303
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    assert mo.post(f"/moderation/reports/{report_id}/dismiss",
                   {"note": "Het klopt wel."}).status_code == 303
    to_reporter, to_author = smtp.received[-2:]
    assert to_reporter.recipients == [student.email]
    assert to_reporter.subject == "OER-portaal: Je melding over “Breuken”: het lesmateriaal " \
        "blijft online"
    assert "Het klopt wel." in to_reporter.body
    assert f"{PORTAL}/materials/{material_id}" in to_reporter.body
    # The authors hear it stays online, without the note and without who reported it.
    assert to_author.recipients == [author.email]
    assert "Het klopt wel." not in to_author.body and "Sam" not in to_author.body


def test_with_the_mail_server_down_a_review_decision_publishes_and_the_failure_is_logged(
        app, another_app, tmp_path, make_user, make_material, caplog):
    """The moderator's approval is the decision that matters most: with nobody listening on
    the mail port it still publishes exactly the reviewed version, the author's notification
    stays in their inbox, and the failed e-mail is logged with its notification."""
    from oer_portal.materials import lifecycle
    from oer_portal.materials.models import Material
    from oer_portal.materials.reviews import ReviewRequest
    from tests.integration.test_review import decide

    down = _mailing(app, another_app, tmp_path, free_port())
    author = make_user("teacher", name="Anna Auteur")
    moderator = make_user("moderator", name="Mo Moderator")
    material_id = make_material(author, title="Breuken", body="Breuken.\n")
    with app.app_context():
        request = lifecycle.submit_for_review(db.session.get(User, author.id),
                                              db.session.get(Material, material_id))
        current_uow().commit()
        review_id, version_id = request.id, request.version_id
    mo = Client(down.test_client(), locale=None)
    mo.login(moderator.email)
    caplog.set_level(logging.ERROR)
    assert decide(mo, review_id, "approve", version_id, comment="Mooi.").status_code == 302

    with app.app_context():
        assert db.session.get(Material, material_id).published_version_id == version_id
        assert db.session.get(ReviewRequest, review_id).status == "approved"
        assert service.unread_count(author.id) == 1
        notification_id = db.session.scalar(select(Notification.id).where(
            Notification.user_id == author.id))
    failures = [r for r in caplog.records if "could not be sent" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        f"E-mail for notification {notification_id} (review.approved) to user {author.id} "
        "could not be sent; it stays in their inbox"]
    assert failures[0].exc_info is not None
    public = Client(down.test_client(), locale=None).get(f"/materials/{material_id}",
                                                         follow_redirects=True)
    assert public.status_code == 200 and "Breuken." in public.get_data(as_text=True)
