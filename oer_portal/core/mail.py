"""E-mail that belongs to a request's outcome: sent only after its commit, never undoing it.

Account e-mails (confirm your address, reset your password, "someone tried to register with
your address") and notifications share this rule: a message leaves once what it tells of is
durable, and a mail server that is down or slow is logged, never raised into the request.
Account e-mails leave after the answer too (``send_after_answer``), so their timing says
nothing about which addresses have accounts.  Without ``MAIL_SERVER`` messages go to the
log (``LogEmailBackend``), so nothing needs a mail server to run; tests set
``MAIL_BACKEND = "locmem"`` and read ``flask_mailman``'s outbox.

With a task queue (``TASK_BROKER_URL``) each letter is a job of its own (``mail.send``),
queued after the answer and sent by a worker, retried while the mail server fails; its
arguments hold a link that must not be kept, so a failure is recorded without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.utils import formataddr

from flask import Flask, current_app
from flask_babel import gettext
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend
from werkzeug.wrappers import Response

from oer_portal.core import jobs
from oer_portal.core.uow import current_uow
from oer_portal.extensions import mail

#: The backend used when no SMTP server is configured.
LOG_BACKEND = "oer_portal.core.mail.LogEmailBackend"


class LogEmailBackend(BaseEmailBackend):
    """Writes each message to the app's log instead of sending it (no ``MAIL_SERVER``)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            current_app.logger.info("E-mail (not sent: no MAIL_SERVER) to %s\nSubject: %s\n\n%s",
                                    ", ".join(message.to), message.subject, message.body)
        return len(email_messages)


def subject(topic: str) -> str:
    """An e-mail's subject: the portal's name, then ``topic`` (call under the reader's
    ``force_locale``)."""
    return f"{gettext('OER portal')}: {topic}"


def reader_locale(saved: str | None) -> str:
    """The language to write to someone in: their saved choice, else the default."""
    return saved or current_app.config["BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class Letter:
    """One message, already worded in its reader's language (compose it under
    ``flask_babel.force_locale``)."""

    address: str
    name: str
    subject: str
    body: str
    #: What the log says when it cannot be sent (never the address: logs are kept longer).
    failure_message: str = "An account e-mail could not be sent"
    headers: dict[str, str] = field(default_factory=lambda: {"Auto-Submitted": "auto-generated"})

    def message(self) -> EmailMessage:
        to = formataddr((self.name, self.address)) if self.name else self.address
        return EmailMessage(subject=" ".join(self.subject.split()), body=self.body, to=[to],
                            headers=dict(self.headers))


def send_after_answer(response: Response, letters: Sequence[Letter]) -> None:
    """Send ``letters`` once the request has committed *and* its answer has gone out (the
    WSGI server closes the response after writing it).  For the account e-mails whose
    sending must not show in the answer's timing (a reset, a registration, "send the link
    again" mail some addresses and not others): how long the mail server takes then tells
    the asker nothing about which accounts exist.  The same hooks are set whether or not
    there is a letter; a rollback sends nothing."""
    committed: list[Letter] = []
    current_uow().on_commit(lambda: committed.extend(letters))
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def send() -> None:
        if committed:
            with app.app_context():
                send_or_queue(committed)

    response.call_on_close(send)


def send_or_queue(letters: Sequence[Letter]) -> None:
    """Send ``letters`` now (in process), or queue a job per letter (with a task queue)."""
    if jobs.queued():
        for letter in letters:
            jobs.dispatch("mail.send", asdict(letter))
    else:
        send_now(letters)


class MailNotSent(Exception):
    """The mail server refused the letter or could not be reached: the job is retried."""


@jobs.job("mail.send", sensitive=True)
def send_letter_job(letter: dict[str, object]) -> int:
    """A worker's sending of one letter; raises to be retried when it was not sent."""
    if not send_now([Letter(**letter)]):  # type: ignore[arg-type]
        raise MailNotSent("an account e-mail was not sent")
    return 1


def send_now(letters: Sequence[Letter]) -> int:
    """Send ``letters`` over one connection; each failure is logged alone.  Returns how many
    were handed to the server."""
    if not letters:
        return 0
    connection = mail.get_connection()
    try:
        connection.open()
    except Exception:
        for letter in letters:
            _log_failure(letter)
        return 0
    sent = 0
    try:
        for letter in letters:
            try:
                sent += connection.send_messages([letter.message()]) or 0
            except Exception:
                _log_failure(letter)
    finally:
        try:
            connection.close()
        except Exception:  # a server that went away while closing: the messages are sent
            current_app.logger.warning("Closing the connection to the mail server failed")
    return sent


def _log_failure(letter: Letter) -> None:
    current_app.logger.exception("%s", letter.failure_message)


def init_app(app: Flask) -> None:
    """SMTP when a server is configured, the log otherwise (an explicit ``MAIL_BACKEND``
    wins: ``locmem`` for a test that reads the outbox)."""
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = "smtp" if app.config.get("MAIL_SERVER") else LOG_BACKEND
    mail.init_app(app)
