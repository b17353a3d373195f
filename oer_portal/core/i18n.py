"""Interface language: Dutch first, English second; remembered per user and per session."""

from __future__ import annotations

import os

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from oer_portal.extensions import babel

#: Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}

ROLE_LABELS = {
    "student": _l("Student"),
    "teacher": _l("Teacher"),
    "moderator": _l("Moderator"),
    "admin": _l("Administrator"),
}


def select_locale() -> str:
    """The user's own choice, else this session's choice, else Dutch.

    The browser's Accept-Language is deliberately not consulted: the portal is Dutch first,
    and the switch in the header is one click away.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return _command_line_locale(languages)
    if g.get("api_locale"):  # the JSON API follows Accept-Language (``api.auth.identify``)
        return g.api_locale
    choice = None
    if current_user.is_authenticated:
        choice = current_user.locale
    choice = choice or session.get("locale")
    return choice if choice in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _command_line_locale(languages: tuple[str, ...]) -> str:
    """CLI commands follow the shell's language (LC_ALL, LC_MESSAGES, LANG), else Dutch."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "")[:2].lower()
        if code in languages:
            return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_context() -> dict[str, object]:
        return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "ROLE_LABELS": ROLE_LABELS,
                "current_locale": str(get_locale()),
                "format_date": format_date, "format_datetime": format_datetime,
                "format_decimal": format_decimal, "format_timedelta": format_timedelta}


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


#: Flask-Login flashes this; it is translated by ``localize_callback`` at flash time.
LOGIN_MESSAGE = N_("Please log in to open this page.")
