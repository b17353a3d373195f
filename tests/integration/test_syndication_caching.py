"""How long readers and crawlers may keep robots.txt, the sitemaps and the Atom feeds
(``Cache-Control`` with a ``max-age``).  Asked without a cookie, as crawlers and feed readers
ask, the answer is everyone's (``public``) and sets no cookie; asked with one (a signed-in
visitor, whose feed is in the session's language and whose session cookie may be set again)
only the asker's own cache may keep it (``private``).  Every answer varies with the cookie."""

from __future__ import annotations

import pytest

PATHS = ["/robots.txt", "/sitemap.xml", "/sitemaps/pages.xml", "/sitemaps/materials-1.xml",
         "/feeds/materials.atom", "/feeds/subjects/mathematics.atom", "/feeds/levels/havo.atom"]


@pytest.fixture()
def anna(make_user, make_material):
    anna = make_user("teacher", name="Anna Aalders")
    mod = make_user("moderator", name="Mo Moderator")
    make_material(anna, title="Breuken", publish_by=mod, subjects=("mathematics",),
                  levels=("havo",))
    return anna


def _directives(response) -> dict[str, str | None]:
    return {d.strip().split("=")[0]: (d.split("=")[1] if "=" in d else None)
            for d in response.headers.get("Cache-Control", "").split(",") if d.strip()}


@pytest.mark.parametrize("path", [*PATHS, "/feeds/people/1.atom"])
def test_without_a_cookie_any_cache_may_keep_it(new_client, anna, path):
    response = new_client(None).get(path.replace("/1.atom", f"/{anna.id}.atom"))
    assert response.status_code == 200
    directives = _directives(response)
    assert "public" in directives and "private" not in directives
    assert int(directives["max-age"]) > 0
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.vary


def test_with_a_cookie_only_the_askers_own_cache_may(client, anna):
    client.login(anna.email)
    for path in [*PATHS, f"/feeds/people/{anna.id}.atom"]:
        response = client.get(path)
        assert response.status_code == 200, path
        directives = _directives(response)
        assert "private" in directives and "public" not in directives, path
        assert int(directives["max-age"]) > 0, path
        assert "Cookie" in response.vary, path


def test_feeds_are_kept_for_less_time_than_sitemaps(new_client, anna):
    visitor = new_client(None)
    feed = int(_directives(visitor.get("/feeds/materials.atom"))["max-age"])
    sitemap = int(_directives(visitor.get("/sitemap.xml"))["max-age"])
    assert 0 < feed <= sitemap
