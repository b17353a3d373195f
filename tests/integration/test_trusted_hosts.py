"""The Host header is not trusted (issue 16): a request for a host the portal does not serve
gets 400 and nothing of that host in the answer, and with ``PORTAL_URL`` set every absolute
link is on it, whatever Host the request named."""

from __future__ import annotations

from pathlib import Path

import pytest

from oer_portal import create_app

EVIL = "evil.example"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def lesson(people, make_material) -> int:
    return make_material(people["anna"], title="Breuken", publish_by=people["mod"])


def _pages(material_id: int, user_id: int) -> list[str]:
    return [f"/materials/{material_id}", f"/materials/{material_id}/embed",
            f"/feeds/people/{user_id}.atom", "/feeds/materials.atom", "/sitemap.xml",
            "/sitemaps/materials-1.xml", "/robots.txt", "/oai?verb=Identify",
            f"/api/v1/materials/{material_id}", "/", "/no/such/page"]


def test_a_request_for_another_host_is_refused(client, people, lesson):
    for path in _pages(lesson, people["anna"].id):
        response = client.get(path, headers={"Host": EVIL})
        assert response.status_code == 400, path
        assert EVIL not in response.get_data(as_text=True), path
        assert EVIL not in str(response.headers), path


def test_the_refusal_is_a_page_of_the_portal(client):
    response = client.get("/", headers={"Host": f"{EVIL}:8080"})
    assert response.status_code == 400
    assert "text/html" in response.content_type
    assert "<h1" in response.get_data(as_text=True)


def test_the_hosts_of_development_and_tests_are_served(client, lesson):
    for host in ("localhost", "127.0.0.1", "localhost:5000", "127.0.0.1:8123"):
        assert client.get(f"/materials/{lesson}", headers={"Host": host},
                          follow_redirects=True).status_code == 200


def test_with_portal_url_every_absolute_link_is_on_it(app, client, people, lesson):
    app.config["PORTAL_URL"] = "https://oer.example.nl"
    page = client.get(f"/materials/{lesson}", headers={"Host": "127.0.0.1:8123"},
                      follow_redirects=True)
    html = page.get_data(as_text=True)
    assert f'<link rel="canonical" href="https://oer.example.nl/materials/{lesson}' in html
    assert "127.0.0.1" not in html
    for path in _pages(lesson, people["anna"].id)[1:-2]:
        body = client.get(path, headers={"Host": "127.0.0.1:8123"}).get_data(as_text=True)
        assert "127.0.0.1" not in body, path
        assert "https://oer.example.nl/" in body, path


def test_a_configured_host_is_served_and_others_are_not(app, client, lesson):
    app.config["TRUSTED_HOSTS"] = ["oer.example.nl", ".scholen.example"]
    for host in ("oer.example.nl", "a.scholen.example"):
        assert client.get(f"/materials/{lesson}", headers={"Host": host},
                          follow_redirects=True).status_code == 200
    assert client.get(f"/materials/{lesson}", headers={"Host": EVIL}).status_code == 400


# --- Configuration ----------------------------------------------------------------------------


@pytest.fixture()
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("OER_ENV", "OER_PORTAL_URL", "OER_MAIL_SERVER", "OER_TRUSTED_HOSTS",
                 "OER_SECRET_KEY", "OER_SERVER_NAME"):
        monkeypatch.delenv(name, raising=False)
    return {"SECRET_KEY": "k" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def test_production_refuses_to_start_without_its_hosts(environment):
    with pytest.raises(RuntimeError, match="OER_TRUSTED_HOSTS"):
        create_app(environment)


def test_production_serves_the_host_of_its_portal_url(environment):
    app = create_app({**environment, "PORTAL_URL": "https://oer.example.nl/portaal"})
    assert app.config["TRUSTED_HOSTS"] == ["oer.example.nl"]
    client = app.test_client()
    assert client.get("/robots.txt", base_url="https://oer.example.nl").status_code == 200
    assert client.get("/robots.txt", base_url="https://localhost").status_code == 400


def test_trusted_hosts_from_the_environment_are_a_list(environment, monkeypatch):
    monkeypatch.setenv("OER_TRUSTED_HOSTS", "oer.example.nl, www.oer.example.nl")
    app = create_app(environment)
    assert app.config["TRUSTED_HOSTS"] == ["oer.example.nl", "www.oer.example.nl"]
    monkeypatch.setenv("OER_TRUSTED_HOSTS", '["oer.example.nl"]')
    monkeypatch.setenv("OER_PORTAL_URL", "https://portaal.example.nl")
    assert create_app(environment).config["TRUSTED_HOSTS"] == [
        "oer.example.nl", "portaal.example.nl"]


def test_development_adds_the_local_hosts(environment):
    app = create_app({**environment, "ENV": "development", "TRUSTED_HOSTS": "oer.test"})
    assert app.config["TRUSTED_HOSTS"] == ["oer.test", "localhost", "127.0.0.1"]


def test_a_malformed_trusted_host_is_refused(environment):
    with pytest.raises(RuntimeError, match="OER_TRUSTED_HOSTS"):
        create_app({**environment, "TRUSTED_HOSTS": "https://oer.example.nl/"})
