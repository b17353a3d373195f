"""Password hashing with argon2id (argon2-cffi); long passwords work, hashes upgrade on login."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@lru_cache(maxsize=4)
def _hasher(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))  # argon2id unless told otherwise


def hasher() -> PasswordHasher:
    """The configured hasher (``PASSWORD_HASHER`` tunes it; tests make it cheap)."""
    return _hasher(tuple(sorted(current_app.config["PASSWORD_HASHER"].items())))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=4)
def _dummy_hash(params: tuple[tuple[str, int], ...]) -> str:
    return _hasher(params).hash("not a real password")


def burn_verification_time(password: str) -> None:
    """Verify against a dummy hash so an unknown e-mail takes as long as a wrong password."""
    params = tuple(sorted(current_app.config["PASSWORD_HASHER"].items()))
    verify_password(_dummy_hash(params), password)
