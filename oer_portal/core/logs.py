"""Logging that cannot be forged: user input never starts a new log line."""

from __future__ import annotations

import logging

from flask import Flask

_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x00, 0x20), 0x7F)}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
# Bidi overrides would make a line read differently from what it holds.
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F),
                                             *range(0x2066, 0x206A))})


def escape(text: str) -> str:
    """Make control, line-separator and bidi characters visible as escapes."""
    return text.translate(_CONTROL)


class EscapingFormatter(logging.Formatter):
    """Escapes the message; the traceback, added after, keeps its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape(super().formatMessage(record))


def init_app(app: Flask) -> None:
    formatter = EscapingFormatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
    for handler in app.logger.handlers:
        handler.setFormatter(formatter)
