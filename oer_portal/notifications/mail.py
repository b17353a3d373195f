"""E-mail for notifications, sent after the commit that wrote them.

``notify`` runs in the unit of work of the decision it tells of; this module is its
``on_notified`` listener, so a message leaves only once the decision is durable, and a mail
server that is down or slow is logged and never undoes it (the inbox keeps the
notification either way).  Each message is in its recipient's saved language, with the
subject, the sentence and an absolute link (``web.py``).

With ``MAIL_SERVER`` set the messages go out over SMTP through Flask-Mailman; without it
they are written to the log (development, demos), so nothing needs a mail server to run.
In process, sending happens in the request (after its commit) and waits at most
``MAIL_TIMEOUT``.  With a task queue (``TASK_BROKER_URL``) each notification's e-mail is a
job of its own (``notifications.email``), sent by a worker and retried when the mail server
fails: one per notification, so a retry never sends anyone's message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask_babel import force_locale, gettext

from oer_portal.core import jobs
from oer_portal.core import mail as core_mail
from oer_portal.core.db import read_only
from oer_portal.extensions import db
from oer_portal.notifications import messages, service, web
from oer_portal.notifications.service import Delivery


def init_app(app: Flask) -> None:
    """SMTP when a server is configured, the log otherwise (an explicit ``MAIL_BACKEND``
    wins: ``locmem`` for a test that reads the outbox), and e-mail on every notification."""
    core_mail.init_app(app)
    service.on_notified(email_after_commit)


def email_after_commit(notification_ids: Sequence[int]) -> None:
    """The ``on_notified`` listener: in process, one connection for them all; with a task
    queue, a job per notification."""
    if jobs.queued():
        for notification_id in notification_ids:
            jobs.dispatch("notifications.email", notification_id)
    else:
        send_notification_emails(notification_ids)


class MailNotSent(Exception):
    """The mail server refused or could not be reached: the job is retried."""


@jobs.job("notifications.email")
def email_job(notification_id: int) -> int:
    """A worker's e-mail of one notification (if its recipient wants it); raises to be
    retried when it could not be sent."""
    wanted, sent = send_notification_emails([notification_id])
    if sent < wanted:
        raise MailNotSent(f"the e-mail of notification {notification_id} was not sent")
    return sent


def send_notification_emails(notification_ids: Sequence[int]) -> tuple[int, int]:
    """E-mail the notifications whose recipients want them; each failure is logged alone.
    Returns how many were to be sent and how many were."""
    with read_only():
        outgoing = [(delivery, compose(delivery))
                    for delivery in service.deliveries(notification_ids)]
    # End the read before talking to a mail server: no transaction (on SQLite perhaps the
    # writer's slot, after a POST) stays open while it answers or times out.
    db.session.rollback()
    return len(outgoing), core_mail.send_now([letter for _delivery, letter in outgoing])


def compose(delivery: Delivery) -> core_mail.Letter:
    """The message in the recipient's language (their saved choice, else the default)."""
    with force_locale(core_mail.reader_locale(delivery.locale)):
        subject = core_mail.subject(messages.subject(delivery.kind, delivery.params))
        body = _body(delivery)
    return core_mail.Letter(address=delivery.email, name=delivery.display_name,
                            subject=subject, body=body,
                            failure_message=(
                                f"E-mail for notification {delivery.notification_id} "
                                f"({delivery.kind}) to user {delivery.recipient_id} could not "
                                "be sent; it stays in their inbox"))


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
