"""Who calls the API: the personal access token in ``Authorization: Bearer``, and nothing else.

The API never reads the session cookie: a page of another site could otherwise make a
signed-in visitor's browser call it (the API is exempt from CSRF, having no forms).  Before
any other hook runs, :func:`identify` puts the token's user, or a visitor, where Flask-Login
looks (``g._login_user``), so every service and policy that asks ``current_user`` sees the
token's user, with the same rules as on the web.

A refused token is remembered, not raised, until the rate limiter has counted the request
(:func:`refuse_bad_token`): guessing tokens costs requests like anything else.
"""

from __future__ import annotations

from flask import current_app, g, request

from oer_portal.accounts import tokens
from oer_portal.api.problems import ApiProblem, is_api_request
from oer_portal.extensions import login_manager

REALM = 'Bearer realm="oer-portal-api"'


def identify() -> None:
    """Set the caller of an API request from its token (runs first, for every request
    under ``/api/v1/``)."""
    if not is_api_request():
        return
    g.api_grant = None
    g.api_refusal = None
    # A program says which language it reads (problem details, labels, credits); without
    # Accept-Language the token's user's choice applies, else Dutch, as on the web.
    if request.accept_languages:
        g.api_locale = request.accept_languages.best_match(
            current_app.config["LANGUAGES"])
    try:
        g.api_grant = tokens.grant_for(request.headers.get("Authorization"))
    except tokens.TokenRefused as refusal:
        g.api_refusal = refusal
    g._login_user = g.api_grant.user if g.api_grant is not None \
        else login_manager.anonymous_user()


def current_grant() -> tokens.TokenGrant | None:
    return g.get("api_grant")


def rate_limit_key() -> str:
    """The rate limiter's bucket: the token, or the client address without one."""
    grant = g.get("api_grant")
    if grant is not None:
        return f"api-token:{grant.token_id}"
    return f"api-address:{request.remote_addr or 'unknown'}"


def refuse_bad_token() -> None:
    """A token that was sent but refused is a 401, whatever the operation (a client must
    not silently fall back to reading as a visitor)."""
    refusal = g.get("api_refusal")
    if refusal is not None:
        raise ApiProblem(
            "invalid-token", refusal.message, reason=refusal.reason,
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token", '
                                         f'error_description="{refusal.reason}"'})


def require_token(scope: tokens.Scope = tokens.Scope.READ) -> tokens.TokenGrant:
    """The caller's grant, which must allow ``scope``: 401 without a token, 403 with one
    that may only read."""
    grant = current_grant()
    if grant is None:
        raise ApiProblem("token-required", headers={"WWW-Authenticate": REALM})
    if not grant.allows(scope):
        raise ApiProblem("insufficient-scope", required_scope=str(scope), headers={
            "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'})
    return grant
