"""Personal access tokens for the JSON API: created and revoked on the profile page, shown
once, stored as a SHA-256 digest, scoped ``read`` or ``write``, always with an expiry.

A token is 256 random bits, so a plain digest is as good as a slow hash here (there is
nothing to guess) and lets a request find its token with one indexed lookup.  The API
takes identity from ``Authorization: Bearer`` only, never from the session cookie, so a
token is the one way a program acts for a user.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core import audit, public_state
from oer_portal.core.errors import DomainError, NotFound, ValidationError
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db

log = logging.getLogger(__name__)

#: What every token starts with, so a leaked one is recognisable (secret scanners, logs).
PREFIX = "oer_pat_"
#: The lifetimes offered; a token never lives longer than a year.
LIFETIMES_DAYS = (7, 30, 90, 365)
MAX_NAME_LENGTH = 80
#: Active (unrevoked, unexpired) tokens one user may hold.
MAX_ACTIVE_TOKENS = 20
#: ``last_used_at`` is written at most this often per token (a read must not write each time).
LAST_USED_PRECISION = timedelta(hours=1)


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


SCOPE_VALUES = tuple(scope.value for scope in Scope)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"scope IN {SCOPE_VALUES!r}", name="known_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The owner's own words for it ("Moodle-koppeling"); shown in their list only.
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    scope: Mapped[str] = mapped_column(String(8))
    #: SHA-256 of the whole token, hex; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so the owner can tell their tokens apart.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"


@dataclass(frozen=True)
class TokenGrant:
    """Who a request acts for, and how far."""

    user: User
    scope: Scope
    token_id: int

    def allows(self, scope: Scope) -> bool:
        return self.scope == Scope.WRITE or scope == Scope.READ


class TokenRefused(DomainError):
    """An ``Authorization`` header that does not let the request through; ``reason`` is a
    stable code for programs, ``message`` a sentence for people."""

    status_code = 401
    MESSAGES = {
        "malformed": _l("Send the token as 'Authorization: Bearer <token>'."),
        "unknown": _l("This token is not known."),
        "expired": _l("This token has expired."),
        "revoked": _l("This token has been revoked."),
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(str(self.MESSAGES[reason]))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, *, name: str, scope: Scope, expires_in_days: int) -> tuple[ApiToken, str]:
    """Create a token (flushed; the caller commits) and return it with its plaintext, which
    is shown once and never again."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(str(_l("Give the token a name.")))
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(str(_l("Use at most %(max)d characters.", max=MAX_NAME_LENGTH)))
    if expires_in_days not in LIFETIMES_DAYS:
        raise ValidationError(str(_l("Choose one of the offered lifetimes.")))
    scope = Scope(scope)
    if count_active(user) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(str(_l(
            "You have %(max)d active tokens; revoke one before you create another.",
            max=MAX_ACTIVE_TOKENS)))
    plaintext = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, scope=scope.value, token_hash=digest(plaintext),
                     hint=plaintext[:len(PREFIX) + 4], created_at=now,
                     expires_at=now + timedelta(days=expires_in_days))
    db.session.add(token)
    db.session.flush()
    audit.record("token.created", actor_id=user.id, target=("user", user.id),
                 details={"token": token.id, "name": name, "scope": scope.value,
                          "expires": token.expires_at.isoformat(timespec="seconds")})
    return token, plaintext


def revoke(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens at once; someone else's token is "not found"."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if token is None or token.user_id != user.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", actor_id=user.id, target=("user", user.id),
                     details={"token": token.id, "name": token.name})


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of ``user``, newest first (revoked and expired ones too, so the owner sees
    what happened to them)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def grant_for(authorization: str | None) -> TokenGrant | None:
    """The grant an ``Authorization`` header carries: ``None`` without the header;
    :class:`TokenRefused` for another scheme, a malformed value, or an unknown, expired or
    revoked token."""
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(PREFIX) or len(value) > 200:
        raise TokenRefused("malformed")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(value)))
    if token is None:
        raise TokenRefused("unknown")
    now = utcnow()
    state = token.state(now)
    if state != "active":
        raise TokenRefused(state)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        current_uow().on_commit(functools.partial(_note_use, token.id, now))
    return TokenGrant(user=token.user, scope=Scope(token.scope), token_id=token.id)


def _note_use(token_id: int, now: datetime) -> None:
    """Write ``last_used_at`` (at most hourly) after the request's commit, in a transaction
    of its own: a read request's transaction stays read-only (on SQLite a read that turns
    into a write can fail at commit), and a lost update of this hint harms nobody."""
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    except Exception:  # the database is busy or read-only: the hint waits for the next use
        log.warning("could not note the use of token %d", token_id, exc_info=True)


def count_active(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > utcnow())) or 0

public_state.never_shown(ApiToken)
