"""Personal access tokens: shown once, stored only as a digest, scoped, expiring, revocable
by their owner alone, created and listed on the profile's tokens page, audited without the
secret.  (What the API does with a grant is tested with the API.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from oer_portal.accounts import tokens
from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db

TOKEN_RE = re.compile(r'id="new-token"[^>]*value="(oer_pat_[^"]+)"')


def issue(app, user_id: int, scope: str = "read", days: int = 30) -> tuple[int, str]:
    with app.app_context():
        token, plaintext = tokens.issue(db.session.get(User, user_id), name="Moodle",
                                        scope=tokens.Scope(scope), expires_in_days=days)
        current_uow().commit()
        return token.id, plaintext


@dataclass(frozen=True)
class Granted:
    user_id: int
    scope: str
    token_id: int
    may_write: bool


def grant(app, header: str | None) -> Granted | None:
    """What ``grant_for`` gives, read inside the app context (the user row is gone after)."""
    with app.app_context():
        result = tokens.grant_for(header)
        current_uow().commit()
        return result and Granted(result.user.id, result.scope, result.token_id,
                                  result.allows(tokens.Scope.WRITE))


def refusal(app, header: str) -> str:
    with pytest.raises(tokens.TokenRefused) as refused:
        grant(app, header)
    return refused.value.reason


def test_a_token_grants_its_owner_and_scope_and_only_its_digest_is_stored(app, make_user):
    teacher = make_user("teacher")
    token_id, plaintext = issue(app, teacher.id, "read")
    assert plaintext.startswith("oer_pat_") and len(plaintext) > 40

    read = grant(app, f"Bearer {plaintext}")
    assert read == Granted(teacher.id, "read", token_id, may_write=False)
    assert grant(app, f"bearer   {plaintext} ").token_id == token_id  # scheme is case-free

    _, writer = issue(app, teacher.id, "write")
    assert grant(app, f"Bearer {writer}").may_write
    with app.app_context():
        assert tokens.grant_for(f"Bearer {writer}").allows(tokens.Scope.READ)

    with app.app_context():
        row = db.session.get(tokens.ApiToken, token_id)
        stored = [str(getattr(row, column.key)) for column in tokens.ApiToken.__table__.columns]
        assert not any(plaintext in value or plaintext[8:] in value for value in stored)
        assert row.token_hash == tokens.digest(plaintext)
        assert plaintext.startswith(row.hint) and len(row.hint) <= 12


def test_no_header_is_a_visitor_and_every_bad_header_is_refused_with_its_reason(app, make_user):
    teacher = make_user("teacher")
    _, plaintext = issue(app, teacher.id)
    assert grant(app, None) is None
    assert refusal(app, "Basic dXNlcjpwYXNz") == "malformed"
    assert refusal(app, "Bearer") == "malformed"
    assert refusal(app, f"Token {plaintext}") == "malformed"
    assert refusal(app, "Bearer not-a-portal-token") == "malformed"
    assert refusal(app, "Bearer oer_pat_" + "x" * 300) == "malformed"
    assert refusal(app, f"Bearer {plaintext[:-1]}") == "unknown"


def test_an_expired_or_revoked_token_is_refused(app, make_user):
    teacher = make_user("teacher")
    old_id, old = issue(app, teacher.id, days=7)
    gone_id, gone = issue(app, teacher.id)
    with app.app_context():
        db.session.execute(update(tokens.ApiToken).where(tokens.ApiToken.id == old_id)
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        tokens.revoke(db.session.get(User, teacher.id), gone_id)
        current_uow().commit()
    assert refusal(app, f"Bearer {old}") == "expired"
    assert refusal(app, f"Bearer {gone}") == "revoked"


def test_only_the_owner_revokes_and_revoking_twice_changes_nothing(app, make_user):
    owner, other = make_user("teacher"), make_user("teacher")
    token_id, plaintext = issue(app, owner.id)
    with app.app_context():
        with pytest.raises(NotFound):
            tokens.revoke(db.session.get(User, other.id), token_id)
        with pytest.raises(NotFound):
            tokens.revoke(db.session.get(User, owner.id), 2**64)
    assert grant(app, f"Bearer {plaintext}").user_id == owner.id
    with app.app_context():
        user = db.session.get(User, owner.id)
        tokens.revoke(user, token_id)
        first = db.session.get(tokens.ApiToken, token_id).revoked_at
        tokens.revoke(user, token_id)
        assert db.session.get(tokens.ApiToken, token_id).revoked_at == first
        current_uow().commit()


@pytest.mark.parametrize(("name", "scope", "days"), [
    ("", "read", 30), ("   ", "read", 30), ("x" * 81, "read", 30),
    ("Moodle", "read", 10_000), ("Moodle", "read", 0), ("Moodle", "admin", 30)])
def test_issue_refuses_what_the_form_would_not_offer(app, make_user, name, scope, days):
    teacher = make_user("teacher")
    with app.app_context():
        with pytest.raises((ValidationError, ValueError)):
            tokens.issue(db.session.get(User, teacher.id), name=name,
                         scope=scope, expires_in_days=days)
        db.session.rollback()
        assert db.session.scalar(select(tokens.ApiToken)) is None


def test_a_user_holds_at_most_twenty_active_tokens(app, make_user):
    teacher = make_user("teacher")
    ids = [issue(app, teacher.id)[0] for _ in range(tokens.MAX_ACTIVE_TOKENS)]
    with app.app_context():
        with pytest.raises(ValidationError):
            tokens.issue(db.session.get(User, teacher.id), name="one more",
                         scope=tokens.Scope.READ, expires_in_days=7)
        db.session.rollback()
        tokens.revoke(db.session.get(User, teacher.id), ids[0])
        current_uow().commit()
    assert issue(app, teacher.id)[0] > ids[-1]


def test_last_use_is_noted_after_the_commit_at_most_hourly(app, make_user):
    teacher = make_user("teacher")
    token_id, plaintext = issue(app, teacher.id)
    with app.app_context():
        tokens.grant_for(f"Bearer {plaintext}")
        assert db.session.get(tokens.ApiToken, token_id).last_used_at is None
        current_uow().commit()
        db.session.expire_all()
        first = db.session.get(tokens.ApiToken, token_id).last_used_at
        assert first is not None
        current_uow().commit()
    grant(app, f"Bearer {plaintext}")
    with app.app_context():
        assert db.session.get(tokens.ApiToken, token_id).last_used_at == first
        db.session.execute(update(tokens.ApiToken).where(tokens.ApiToken.id == token_id)
                           .values(last_used_at=first - timedelta(hours=2)))
        current_uow().commit()
    grant(app, f"Bearer {plaintext}")
    with app.app_context():
        assert db.session.get(tokens.ApiToken, token_id).last_used_at > first


def test_the_tokens_page_shows_a_new_token_once_and_lists_it(app, client, make_user):
    assert client.get("/account/tokens").status_code == 302  # to the login page
    teacher = make_user("teacher")
    client.login(teacher.email)
    assert "You have no tokens yet." in client.get("/account/tokens").get_data(as_text=True)

    created = client.post("/account/tokens", {"name": "Moodle-koppeling", "scope": "write",
                                              "lifetime": "90"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    plaintext = TOKEN_RE.search(created.get_data(as_text=True)).group(1)
    found = grant(app, f"Bearer {plaintext}")
    assert (found.user_id, found.scope) == (teacher.id, "write")
    with app.app_context():
        row = db.session.get(tokens.ApiToken, found.token_id)
        assert timedelta(days=89) < row.expires_at - row.created_at <= timedelta(days=90)

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "Moodle-koppeling" in listing and plaintext[:12] in listing
    assert plaintext not in listing
    assert "/account/tokens" in client.get("/account/profile").get_data(as_text=True)


@pytest.mark.parametrize("tampered", [{"scope": "admin"}, {"lifetime": "3650"},
                                      {"lifetime": "x"}, {"name": ""}])
def test_a_tampered_or_incomplete_form_creates_nothing(app, client, make_user, tampered):
    teacher = make_user("teacher")
    client.login(teacher.email)
    response = client.post("/account/tokens", {"name": "Script", "scope": "read",
                                               "lifetime": "30", **tampered})
    assert response.status_code == 422
    assert "oer_pat_" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(tokens.ApiToken)) is None


def test_revoking_on_the_page_works_for_the_owner_only(app, client, new_client, make_user):
    owner, other = make_user("teacher"), make_user("student")
    token_id, plaintext = issue(app, owner.id)
    stranger = new_client()
    stranger.login(other.email)
    assert stranger.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert stranger.post(f"/account/tokens/{2**70}/revoke").status_code == 404
    assert grant(app, f"Bearer {plaintext}") is not None

    client.login(owner.email)
    no_csrf = client.raw.post(f"/account/tokens/{token_id}/revoke")
    assert no_csrf.status_code == 400
    assert grant(app, f"Bearer {plaintext}") is not None

    revoked = client.post(f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert refusal(app, f"Bearer {plaintext}") == "revoked"
    assert "Revoked on" in client.get("/account/tokens").get_data(as_text=True)


def test_creation_and_revocation_are_audited_without_the_secret(app, make_user):
    teacher = make_user("teacher")
    token_id, plaintext = issue(app, teacher.id, "write")
    with app.app_context():
        tokens.revoke(db.session.get(User, teacher.id), token_id)
        current_uow().commit()
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("token.created", "token.revoked")))
            .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.details["token"]) for e in entries] == [
        ("token.created", teacher.id, token_id), ("token.revoked", teacher.id, token_id)]
    assert entries[0].details["scope"] == "write"
    assert all(plaintext[8:] not in str(e.details) for e in entries)
