"""Device cookies (OWASP "Slow down online guessing attacks with device cookies").

After a successful login the browser gets a signed, HttpOnly, SameSite=Lax cookie naming the
account and a random nonce.  A login attempt that presents a valid cookie for the account it
is trying is judged by that device's own counter (``login_throttle``), not by the account's
delay: whoever types wrong passwords for an address from elsewhere cannot lock its owner's
known browsers out.  The cookie names the account by a keyed digest of the address, never the
address itself (cookies end up in logs and proxies); forged, expired or another account's
cookies count for nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

_SALT = "device-cookie"


def account_digest(email: str) -> str:
    """The account a typed address names, as a keyed digest: the key of its counters and of
    its device cookies, so neither the limiter's storage nor a cookie holds the address."""
    normalised = email.strip().lower()[:254]
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"account:" + normalised.encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def presented(request: Request, email: str) -> str | None:
    """The nonce of the request's device cookie if it is genuine, unexpired and for the
    account ``email`` names; otherwise ``None`` (the client is untrusted for it)."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw or len(raw) > 512:
        return None
    max_age = int(current_app.config["DEVICE_COOKIE_DURATION"].total_seconds())
    try:
        data = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    if not hmac.compare_digest(str(data.get("a", "")), account_digest(email)):
        return None
    return data["n"]


def issue(response: Response, request: Request, email: str) -> None:
    """Give the browser a fresh device cookie for ``email``'s account (after a successful
    login); Secure whenever the request came over https or the session cookie is Secure."""
    config = current_app.config
    value = _serializer().dumps({"a": account_digest(email), "n": secrets.token_urlsafe(16)})
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"], value,
        max_age=int(config["DEVICE_COOKIE_DURATION"].total_seconds()),
        secure=bool(request.is_secure or config["SESSION_COOKIE_SECURE"]),
        httponly=True, samesite="Lax", path="/")
