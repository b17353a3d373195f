"""Personal access tokens through the API: the scope decides what a token may do; an
expired, revoked, unknown or malformed token is refused (401, never read as a visitor)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oer_portal.extensions import db
from tests.fixtures.api import ApiClient, build_world, make_token, problem_of, slug_of, token_id

LESSON = {"kind": "lesson", "title": "Tokens en rechten"}


@pytest.fixture()
def world(app, make_user, make_material):
    return build_world(app, make_user, make_material)


def test_a_read_token_reads_as_its_owner_but_may_not_write(app, world):
    reader = ApiClient(app, make_token(app, world["teacher"], "read"))
    assert reader.get(f"/api/v1/materials/{world['ids']['draft']}").status_code == 200
    response = reader.post("/api/v1/materials", json=LESSON)
    assert response.status_code == 403 and slug_of(response) == "insufficient-scope"
    assert problem_of(response)["required_scope"] == "write"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    for path in (f"/api/v1/materials/{world['ids']['published']}/submit",
                 f"/api/v1/materials/{world['ids']['published']}/remix",
                 f"/api/v1/materials/{world['ids']['published']}/versions"):
        assert reader.post(path, json={}).status_code == 403, path


def test_a_write_token_writes(app, world):
    writer = ApiClient(app, make_token(app, world["teacher"], "write"))
    assert writer.post("/api/v1/materials", json=LESSON).status_code == 201
    assert writer.get("/api/v1/me/materials").status_code == 200  # write implies read


def test_writing_without_a_token_is_401_with_the_bearer_challenge(app, world):
    response = ApiClient(app).post("/api/v1/materials", json=LESSON)
    assert response.status_code == 401 and slug_of(response) == "token-required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header, reason", [
    ("Basic dXNlcjpwYXNz", "malformed"), ("Bearer", "malformed"),
    ("Bearer not-a-portal-token", "malformed"),
    ("Bearer oer_pat_" + "x" * 43, "unknown")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_refused_token_is_401_even_for_reading(app, world, header, reason, method):
    client = ApiClient(app)
    response = client.open("/api/v1/materials", method, headers={"Authorization": header},
                           json=LESSON if method == "POST" else None)
    assert response.status_code == 401
    problem = problem_of(response)
    assert slug_of(response) == "invalid-token" and problem["reason"] == reason
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_refused(app, world):
    from oer_portal.accounts.tokens import ApiToken
    from oer_portal.core.types import utcnow
    from oer_portal.core.uow import current_uow

    plaintext = make_token(app, world["teacher"], "write")
    client = ApiClient(app, plaintext)
    assert client.get("/api/v1/me/materials").status_code == 200
    expiring = token_id(app, plaintext)
    with app.app_context():
        token = db.session.get(ApiToken, expiring)
        token.expires_at = utcnow() - timedelta(seconds=1)
        current_uow().commit()
    for response in (client.get("/api/v1/me/materials"),
                     client.get(f"/api/v1/materials/{world['ids']['published']}"),
                     client.post("/api/v1/materials", json=LESSON)):
        assert response.status_code == 401
        assert problem_of(response)["reason"] == "expired"


def test_a_revoked_token_is_refused_at_once(app, world):
    from oer_portal.accounts.models import User
    from oer_portal.accounts.tokens import revoke
    from oer_portal.core.uow import current_uow

    plaintext = make_token(app, world["teacher"], "write")
    client = ApiClient(app, plaintext)
    assert client.get(f"/api/v1/materials/{world['ids']['draft']}").status_code == 200
    revoked = token_id(app, plaintext)
    with app.app_context():
        revoke(db.session.get(User, world["teacher"].id), revoked)
        current_uow().commit()
    response = client.get(f"/api/v1/materials/{world['ids']['draft']}")
    assert response.status_code == 401 and problem_of(response)["reason"] == "revoked"
    assert client.post("/api/v1/materials", json=LESSON).status_code == 401


def test_a_token_acts_for_its_own_user_only(app, world):
    """Another teacher's write token neither sees nor changes the teacher's draft."""
    other = ApiClient(app, make_token(app, world["other"], "write"))
    draft = world["ids"]["draft"]
    assert other.get(f"/api/v1/materials/{draft}").status_code == 404
    assert other.post(f"/api/v1/materials/{draft}/submit").status_code == 404
    mine = ApiClient(app, make_token(app, world["teacher"], "write"))
    assert mine.post(f"/api/v1/materials/{draft}/submit").status_code == 200


def test_a_moderator_token_sees_pending_versions_like_the_web(app, world):
    moderator = ApiClient(app, make_token(app, world["moderator"]))
    m = world["ids"]["published"]
    assert moderator.get(f"/api/v1/materials/{m}/versions/2").status_code == 200
    assert moderator.get(f"/api/v1/materials/{m}").get_json()["draft"]["number"] == 2
