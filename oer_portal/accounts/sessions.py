"""Login sessions of their own: one row per browser that logged in (issue 16).

The login cookie (Flask-Login's session entry and its remember cookie alike) carries
``"<user id>:<session id>:<token>"``; the row keeps only the token's SHA-256 (the token is 32
random bytes, so a fast digest suffices), a coarse device label and no IP address.  Ending a
session deletes its row, which voids every copy of its cookie.  ``users.session_token`` stays
as the account's generation: "log out everywhere" replaces it as before and deletes every row.

"Last seen" is written at most once per ``SESSION_TOUCH_INTERVAL`` and after the request's
commit, in a short transaction of its own, so a page view does not turn a reading request into
a writer.  A session without a request for ``SESSION_IDLE_TIMEOUT`` (a remembered one:
``REMEMBER_COOKIE_DURATION``) is over; ``flask users prune-sessions`` deletes such rows.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    String,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.accounts import user_agents
from oer_portal.accounts.models import User
from oer_portal.core import audit, public_state
from oer_portal.core.errors import NotFound
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db

log = logging.getLogger(__name__)


class UserSession(db.Model):
    """One logged-in browser of a user."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token in the cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Browser family and operating system from the User-Agent ("Firefox", "Linux").
    browser: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(40))
    #: Logged in with "stay logged in": lives as long as the remember cookie.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)

    def device_label(self) -> str:
        """"Firefox on Linux", in the reader's language."""
        browser = self.browser or _("Unknown browser")
        if self.platform is None:
            return browser
        return _("%(browser)s on %(platform)s", browser=browser, platform=self.platform)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _idle_limit(remember: bool) -> timedelta:
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_IDLE_TIMEOUT"]


def start(user: User, user_agent: str | None, remember: bool) -> str:
    """A new session of ``user`` for this browser; returns the cookie id, which ``user``
    now also answers to ``get_id()`` with (Flask-Login stores it)."""
    browser, platform = user_agents.describe(user_agent)
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_digest(token), browser=browser,
                      platform=platform, remember=remember)
    db.session.add(row)
    db.session.flush()
    prune(user.id)
    _attach(user, row, f"{user.id}:{row.id}:{token}")
    return user.session_cookie_id


def _attach(user: User, row: UserSession, cookie_id: str) -> None:
    user.session_cookie_id = cookie_id
    user.current_session_id = row.id


def parse_cookie_id(cookie_id: str) -> tuple[int, int, str] | None:
    """``(user id, session id, token)`` of a login cookie's id, or ``None``."""
    parts = cookie_id.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    if len(parts[0]) > 18 or len(parts[1]) > 18 or len(parts[2]) > 128:
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def accept(user: User, row: UserSession, cookie_id: str, token: str) -> bool:
    """Whether ``row`` is a live session that ``token`` opens; if so ``user`` is marked as
    logged in through it and its "last seen" is refreshed after the commit when stale."""
    if row.user_id != user.id or not hmac.compare_digest(row.token_hash, _digest(token)):
        return False
    now = utcnow()
    if row.last_seen_at < now - _idle_limit(row.remember):
        return False
    _attach(user, row, cookie_id)
    if row.last_seen_at < now - current_app.config["SESSION_TOUCH_INTERVAL"]:
        current_uow().on_commit(lambda: _touch(row.id, now))
    return True


def _touch(session_id: int, now: datetime) -> None:
    """Write "last seen" in a transaction of its own; a busy database skips it (the next
    request tries again), it never fails a page."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == session_id)
                               .values(last_seen_at=now))
    except Exception:
        log.warning("Could not record when session %s was last seen", session_id,
                    exc_info=True)


def current_session_id(user: Any) -> int | None:
    """The session the current request is logged in through (``None`` for API tokens)."""
    return getattr(user, "current_session_id", None)


def is_remembered(user: User) -> bool:
    """Whether this browser's session was started with "stay logged in"."""
    session_id = current_session_id(user)
    row = db.session.get(UserSession, session_id) if session_id is not None else None
    return bool(row and row.remember)


def of_user(user: User) -> list[UserSession]:
    """The user's live sessions, most recently seen first (a read: the ones that are over
    are left for ``prune``, so that showing the profile writes nothing)."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, ~_over(utcnow()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def sessions_of(user: User) -> list[dict[str, Any]]:
    """The user's sessions as plain data (the privacy export's "sessions" section)."""
    return [{"created_at": row.created_at.isoformat(),
             "last_seen_at": row.last_seen_at.isoformat(),
             "device": row.device_label(),
             "remember": row.remember} for row in of_user(user)]


def end(user: User, session_id: int) -> None:
    """End one session of ``user`` (a foreign or unknown id is not found)."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    db.session.delete(row)
    audit.record("session.ended", actor_id=user.id, target=("user", user.id))


def end_current(user: User) -> None:
    """Log out this browser only: its row goes, the other sessions stay."""
    session_id = current_session_id(user)
    if session_id is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == session_id,
                                                     UserSession.user_id == user.id))
    audit.record("logout", actor_id=user.id, target=("user", user.id))


def end_others(user: User) -> int:
    """"Log out everywhere else": every session of ``user`` but this one ends."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    session_id = current_session_id(user)
    if session_id is not None:
        statement = statement.where(UserSession.id != session_id)
    ended = db.session.execute(statement).rowcount or 0
    audit.record("sessions.ended_others", actor_id=user.id, target=("user", user.id),
                 details={"sessions": ended})
    return ended


def end_all(user: User) -> None:
    """Every session of ``user`` ends (log out everywhere, password change or reset)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def _over(now: datetime) -> ColumnElement[bool]:
    """Sessions idle for longer than their kind may be."""
    return or_(
        and_(UserSession.remember.is_(False),
             UserSession.last_seen_at < now - _idle_limit(False)),
        and_(UserSession.remember.is_(True),
             UserSession.last_seen_at < now - _idle_limit(True)))


def prune(user_id: int | None = None) -> int:
    """Delete sessions that are over (of one user, or of everyone); returns how many."""
    statement = delete(UserSession).where(_over(utcnow()))
    if user_id is not None:
        statement = statement.where(UserSession.user_id == user_id)
    return db.session.execute(statement).rowcount or 0

public_state.never_shown(UserSession)
