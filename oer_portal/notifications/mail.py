"""E-mail for notifications, sent after the commit that wrote them.

``notify`` runs in the unit of work of the decision it tells of; this module is its
``on_notified`` listener, so a message leaves only once the decision is durable, and a mail
server that is down or slow is logged and never undoes it (the inbox keeps the
notification either way).  Each message is in its recipient's saved language, with the
subject, the sentence and an absolute link (``web.py``).

With ``MAIL_SERVER`` set the messages go out over SMTP through Flask-Mailman; without it
they are written to the log (development, demos), so nothing needs a mail server to run.
Sending happens in the request (after its commit) and waits at most ``MAIL_TIMEOUT``: a
delivery queue that survives a crash between commit and send is work for when the portal
has background workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formataddr
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale, gettext
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

from oer_portal.core.db import read_only
from oer_portal.extensions import db, mail
from oer_portal.notifications import messages, service, web
from oer_portal.notifications.service import Delivery

#: The backend used when no SMTP server is configured.
LOG_BACKEND = "oer_portal.notifications.mail.LogEmailBackend"


class LogEmailBackend(BaseEmailBackend):
    """Writes each message to the app's log instead of sending it (no ``MAIL_SERVER``)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            current_app.logger.info("E-mail (not sent: no MAIL_SERVER) to %s\nSubject: %s\n\n%s",
                                    ", ".join(message.to), message.subject, message.body)
        return len(email_messages)


def init_app(app: Flask) -> None:
    """SMTP when a server is configured, the log otherwise (an explicit ``MAIL_BACKEND``
    wins: ``locmem`` for a test that reads the outbox), and e-mail on every notification."""
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = "smtp" if app.config.get("MAIL_SERVER") else LOG_BACKEND
    mail.init_app(app)
    service.on_notified(send_notification_emails)


def send_notification_emails(notification_ids: Sequence[int]) -> None:
    """E-mail the notifications whose recipients want them; each failure is logged alone."""
    with read_only():
        outgoing = [(delivery, compose(delivery))
                    for delivery in service.deliveries(notification_ids)]
    # End the read before talking to a mail server: no transaction (on SQLite perhaps the
    # writer's slot, after a POST) stays open while it answers or times out.
    db.session.rollback()
    if not outgoing:
        return
    connection = mail.get_connection()
    try:
        connection.open()
    except Exception:
        for delivery, _message in outgoing:
            _log_failure(delivery)
        return
    try:
        for delivery, message in outgoing:
            try:
                connection.send_messages([message])
            except Exception:
                _log_failure(delivery)
    finally:
        try:
            connection.close()
        except Exception:  # a server that went away while closing: the messages are sent
            current_app.logger.warning("Closing the connection to the mail server failed")


def _log_failure(delivery: Delivery) -> None:
    current_app.logger.exception(
        "E-mail for notification %d (%s) to user %d could not be sent; it stays in their "
        "inbox", delivery.notification_id, delivery.kind, delivery.recipient_id)


def compose(delivery: Delivery) -> EmailMessage:
    """The message in the recipient's language (their saved choice, else the default)."""
    locale = delivery.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = " ".join(
            f"{gettext('OER portal')}: "
            f"{messages.subject(delivery.kind, delivery.params)}".split())
        body = _body(delivery)
    return EmailMessage(subject=subject, body=body,
                        to=[formataddr((delivery.display_name, delivery.email))],
                        headers={"Auto-Submitted": "auto-generated"})


def _body(delivery: Delivery) -> str:
    lines: list[Any] = [
        gettext("Hello %(name)s,", name=delivery.display_name), "",
        messages.sentence(delivery.kind, delivery.params, delivery.actor_name), "",
    ]
    link = web.notification_url(delivery.kind, delivery.target_type, delivery.target_id,
                                delivery.params, external=True)
    if link:
        lines += [gettext("Open it on the portal:"), link, ""]
    lines.append("-- ")
    lines.append(gettext("You get this e-mail because you have an account on the OER portal."))
    settings = web.absolute_settings_url()
    if settings:
        lines += [gettext("Choose which e-mails you get on your profile:"), settings]
    return "\n".join(lines) + "\n"
