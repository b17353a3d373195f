"""Users, their roles and their requests for the teacher role."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, String, Text, case, literal
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class Role(StrEnum):
    """What a user may do; a user can hold several."""

    STUDENT = "student"
    TEACHER = "teacher"
    MODERATOR = "moderator"
    ADMIN = "admin"


ROLE_VALUES = tuple(role.value for role in Role)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


#: The stored display name of an account deleted by a user who chose to be credited as
#: "anonymous author" (``oer_portal.privacy``); a living account always has a name.
ANONYMOUS_NAME = ""


def anonymous_author() -> str:
    """How an anonymous author is named, in the reader's language (Dutch without a request)."""
    try:
        return gettext("anonymous author")
    except (RuntimeError, KeyError):  # no app at all: a script, a bare test
        return "anonymous author"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Private; stored lower-case so that uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Public; shown on profiles and in credits.  Read it as ``display_name``, which names an
    #: anonymous author (``ANONYMOUS_NAME``) in the reader's language, in Python and in SQL.
    stored_name: Mapped[str] = mapped_column("display_name", String(80))
    #: argon2id hash (the PHC string carries its own parameters).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The account's session generation: "log out everywhere" replaces it (and deletes every
    #: row of ``user_sessions``, which the login cookie names since issue 16).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    #: Interface language chosen by the user; ``None`` follows the session or the default.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the owner opened the mailed confirmation link; ``None`` while a self-registered
    #: account waits for it (it cannot log in then).  See ``accounts/confirmation.py``.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the account was deleted (``oer_portal.privacy``): the row stays as a tombstone
    #: for what refers to it (published work, the audit log), without personal data.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    #: The id of a decided teacher request the user has not been told about yet; loaded with
    #: the user by the session loader (one query for both), ``None`` when loaded otherwise.
    unnoticed_decision_id: Mapped[int | None] = query_expression()
    #: How many of the user's notifications are unread (the header's count); loaded with the
    #: user by the session loader, ``None`` when loaded otherwise.
    unread_notifications: Mapped[int | None] = query_expression()
    #: For moderators and admins, how much waits for them (reviews; the header's count next
    #: to "Review"), loaded by the session loader; ``None`` for others or when loaded
    #: otherwise.
    staff_waiting: Mapped[int | None] = query_expression()

    @hybrid_property
    def display_name(self) -> str:
        """The name every page, credit, feed, API and OAI record shows: the one place names
        come from, so an anonymous author is anonymous everywhere."""
        return self.stored_name if self.stored_name != ANONYMOUS_NAME else anonymous_author()

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.stored_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str]:
        return case((cls.stored_name == ANONYMOUS_NAME, literal(anonymous_author())),
                    else_=cls.stored_name)

    @property
    def credited_anonymously(self) -> bool:
        return self.stored_name == ANONYMOUS_NAME

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def has_role(self, role: Role) -> bool:
        return any(row.role == role for row in self.role_rows)

    def get_id(self) -> str:
        """Flask-Login's cookie id: the user id, the session's id and its token
        (``accounts.sessions``); a user not logged in through a session row (a test's bare
        ``login_user``) gets an id no loader accepts."""
        return getattr(self, "session_cookie_id", None) or f"{self.id}:0:-"

    def get_user_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES!r}", name="known_role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TeacherRequest(db.Model):
    """A student asks to become a teacher; an admin decides."""

    __tablename__ = "teacher_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Where the applicant teaches, and why they want the role (shown only to admins).
    school: Mapped[str] = mapped_column(String(200))
    motivation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The admin's reason, shown to the applicant.
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: When the applicant was shown the decision (once, on the next page they loaded).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class TrustedTeacher(db.Model):
    """A teacher a moderator trusts: their submissions are published at once and a
    moderator looks at them afterwards (post-review).

    A row of its own rather than columns of ``users``: trust is granted and revoked, not an
    attribute every page loads with the user, and a new table needs no rebuild of ``users``
    on SQLite.  Revoking deletes the row; the audit log (``trust.granted``,
    ``trust.revoked``) keeps the history.
    """

    __tablename__ = "trusted_teachers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Why, in the moderator's words (shown to moderators only).
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

# An author's name shows in credits; their address, password, sessions and logins never.
public_state.shown_to_public(User, hidden_columns=(
    "email", "password_hash", "session_token", "locale", "last_login_at",
    "email_confirmed_at"))
public_state.shown_to_public(UserRole)
public_state.never_shown(TeacherRequest)
public_state.never_shown(TrustedTeacher)
