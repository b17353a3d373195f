"""Logging that cannot be forged: user input never starts a new log line."""

from __future__ import annotations

import logging

from flask import Flask

_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x00, 0x20), 0x7F)}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
# Line separators and bidi controls would make a line read differently from what it holds.
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F),
                                             *range(0x2066, 0x206A))})


def escape(text: str) -> str:
    """Make control, line-separator and bidi characters visible as escapes."""
    return text.translate(_CONTROL)


class EscapingFilter(logging.Filter):
    """Escapes the formatted message of each record before any handler sees it.

    A filter rather than a formatter, because the handlers belong to whoever runs the app
    (gunicorn, pytest, the dev server); the traceback, kept apart in ``exc_info``, keeps its
    own lines.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = escape(record.getMessage()), None
        return True


def init_app(app: Flask) -> None:
    """Escape what the app logs (request paths in error reports, for instance)."""
    # Werkzeug's own request lines log the raw, still percent-encoded request line.
    if not any(isinstance(f, EscapingFilter) for f in app.logger.filters):
        app.logger.addFilter(EscapingFilter())
