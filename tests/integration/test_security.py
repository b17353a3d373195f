"""Security headers on every response, friendly error pages, no state change on GET."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import make_config

PAGES = ["/", "/account/login", "/account/register", "/search?q=fractions", "/does-not-exist",
         "/static/css/portal.css", "/users/1"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # static files are streamed from an open file
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_inline_script_or_style_in_pages(client):
    for path in ["/", "/account/login", "/account/register", "/does-not-exist"]:
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " onclick=" not in page and "style=" not in page


def test_404_is_a_friendly_page_in_the_site_layout(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'id="main"' in page and 'href="/"' in page


def test_405_for_a_wrong_method(client):
    assert client.raw.put("/").status_code == 405


@pytest.fixture()
def failing_app(app: Flask, tmp_path, another_app) -> Flask:
    """The app as in production (exceptions handled, not propagated) with a broken route."""
    config = make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    config.update(TESTING=False, ENV="development")
    broken = another_app(config)

    @broken.route("/boom")
    @broken.route("/boom/<rest>")
    def boom(rest: str = "") -> str:
        raise RuntimeError("kaboom\nFAKE LOG LINE")

    return broken


def test_500_is_friendly_carries_headers_and_hides_the_error(failing_app, caplog):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "kaboom" not in page and 'id="main"' in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers


def test_log_lines_escape_user_input(failing_app, caplog):
    failing_app.test_client().get("/boom/%0AFORGED%20login%20ok")
    messages = [record.getMessage() for record in caplog.records]
    assert any("/boom/\\nFORGED login ok" in m for m in messages), messages
    assert not any("\n" in m for m in messages)


def test_get_requests_never_start_write_transactions(app, client, make_user):
    """GETs run deferred transactions; a write attempted on GET would fail loudly, not wait."""
    from oer_portal.core.uow import READ_ONLY_METHODS

    assert {"GET", "HEAD"} <= READ_ONLY_METHODS
    assert client.get("/account/logout").status_code == 405


def test_mutating_routes_do_not_accept_get(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {"accounts.logout", "pages.set_language",
                             "admin.decide_teacher_request"}:
            assert "GET" not in rule.methods, rule
