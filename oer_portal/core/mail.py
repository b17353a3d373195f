"""E-mail that belongs to a request's outcome: sent only after its commit, never undoing it.

Account e-mails (confirm your address, reset your password, "someone tried to register with
your address") and notifications share this rule: a message leaves once what it tells of is
durable, and a mail server that is down or slow is logged, never raised into the request.
Account e-mails leave after the answer too (``send_after_answer``), so their timing says
nothing about which addresses have accounts.  Without ``MAIL_SERVER`` messages go to the
log (``LogEmailBackend``), so nothing needs a mail server to run; tests set
``MAIL_BACKEND = "locmem"`` and read ``flask_mailman``'s outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formataddr

from flask import Flask, current_app
from flask_babel import gettext
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend
from werkzeug.wrappers import Response

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
                send_now(committed)

    response.call_on_close(send)


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
