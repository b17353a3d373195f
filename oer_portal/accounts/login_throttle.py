"""Login throttling that slows guessing without locking the owner out (issue 16).

Three counters, all in the rate limiter's storage (``RATELIMIT_STORAGE_URI``: memory for one
process, Redis for several), keyed by digests, never by addresses:

- per account, for clients without a device cookie for it: the first
  ``LOGIN_FREE_FAILURES`` failures are free; after that each failure makes the account's
  untrusted clients wait, twice as long each time (``LOGIN_DELAY_SECONDS`` doubling, capped
  at ``LOGIN_DELAY_MAX_SECONDS``).  While the wait runs an attempt is refused before its
  password is checked.  The owner's new browser waits too, or resets the password.
- per device (a valid device cookie for the account, ``devices``): its own, generous
  counter; the account's wait does not apply to it.
- per client address: Flask-Limiter's ``LOGIN_LIMIT_PER_ADDRESS`` on the view.

A successful login from a known browser forgets that device's failures; one from an
untrusted client (the owner's new browser, once its wait is over) the account's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app
from limits.storage import MemoryStorage, Storage

from oer_portal.accounts.devices import account_digest
from oer_portal.extensions import limiter


@dataclass(frozen=True)
class Refusal:
    """The attempt may not be checked now; try again in ``retry_after`` seconds."""

    retry_after: int
    #: True when a known browser used up its own counter (not the account's delay).
    device: bool = False


#: Where the counters live when the limiter is turned off (``RATELIMIT_ENABLED=False``
#: leaves it without storage): this process's memory, so the delay still protects accounts.
_OWN_STORAGE = MemoryStorage()


def _storage() -> Storage:
    return limiter.storage if limiter.enabled else _OWN_STORAGE


def _keys(email: str) -> tuple[str, str]:
    digest = account_digest(email)
    return f"login-failures:{digest}", f"login-wait:{digest}"


def _device_key(nonce: str) -> str:
    return f"login-device:{nonce}"


def _seconds_until(key: str) -> int:
    return max(1, math.ceil(_storage().get_expiry(key) - time.time()))


def check(email: str, device: str | None) -> Refusal | None:
    """Whether an attempt for ``email`` (from a browser with device nonce ``device``, or
    none) may have its password checked now."""
    storage = _storage()
    if storage is None:  # the rate limiter is switched off: so is this
        return None
    if device is not None:
        key = _device_key(device)
        if storage.get(key) >= current_app.config["LOGIN_DEVICE_FAILURES"]:
            return Refusal(_seconds_until(key), device=True)
        return None
    _failures, wait = _keys(email)
    if storage.get(wait) > 0:
        return Refusal(_seconds_until(wait))
    return None


def delay_after(failures: int) -> int:
    """Seconds an untrusted client waits after the account's ``failures``-th failure."""
    config = current_app.config
    extra = failures - config["LOGIN_FREE_FAILURES"]
    if extra < 0:
        return 0
    return int(min(config["LOGIN_DELAY_SECONDS"] * 2 ** min(extra, 32),
                   config["LOGIN_DELAY_MAX_SECONDS"]))


def failed(email: str, device: str | None) -> None:
    """Count a wrong password: on the device's counter, or on the account's."""
    config = current_app.config
    storage = _storage()
    if storage is None:
        return
    if device is not None:
        storage.incr(_device_key(device), config["LOGIN_DEVICE_WINDOW_SECONDS"])
        return
    failures_key, wait_key = _keys(email)
    failures = storage.incr(failures_key, config["LOGIN_FAILURE_MEMORY_SECONDS"])
    delay = delay_after(failures)
    if delay:
        storage.clear(wait_key)
        storage.incr(wait_key, delay)


def succeeded(email: str, device: str | None) -> None:
    """The owner is in.  From a known browser: forget that device's failures only (whoever
    guesses elsewhere keeps waiting); from an untrusted one: forget the account's."""
    if _storage() is None:
        return
    if device is not None:
        _storage().clear(_device_key(device))
    else:
        forgive(email)


def forgive(email: str) -> None:
    """Forget the account's failures and end its wait (a login or a password reset)."""
    if _storage() is None:
        return
    for key in _keys(email):
        _storage().clear(key)


def end_delay(email: str) -> None:
    """End the account's current wait but keep its count (the wait is simply over)."""
    _storage().clear(_keys(email)[1])
