"""Other sites' images in lessons (issue 16, privacy): fetched once by the portal (https,
public addresses, size and type checked) and served from its copy; a reader's request never
makes the portal fetch anything.

The "other site" is a local HTTP server.  The portal refuses plain http and loopback
addresses, so the tests that fetch allow its host with the test-only setting
``REMOTE_IMAGE_ALLOW_LOCAL_HOSTS``; the refusals are proven with it off.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PIL import Image
from sqlalchemy import select

from oer_portal.extensions import db
from oer_portal.materials import remote_images
from oer_portal.materials.remote_images import FetchRules, Refused, RemoteImage, fetch_image


def _png(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@dataclass
class OtherSite:
    """A web server on another origin that counts what it is asked for."""

    url: str
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)


@pytest.fixture()
def other_site() -> Iterator[OtherSite]:
    site = OtherSite(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            if self.path.startswith("/redirect?to="):
                self.send_response(302)
                self.send_header("Location", self.path.removeprefix("/redirect?to="))
                self.end_headers()
                return
            found = site.files.get(self.path)
            if found is None:
                self.send_error(404)
                return
            media_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            if not self.path.startswith("/unsized"):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_port}"
    site.files.update({
        "/kaart.png": ("image/png", PNG),
        "/groot.png": ("image/png", _png(400, 400) + b"\0" * 200_000),
        "/unsized-groot.png": ("image/png", _png(400, 400) + b"\0" * 200_000),
        "/pagina.png": ("image/png", b"<!doctype html><html><body>geen plaatje</body></html>"),
        "/script.gif": ("image/gif", b"GIF89a<script>alert(1)</script>"),
    })
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


LOCAL = FetchRules(local_hosts=frozenset({"127.0.0.1"}))


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


@pytest.fixture()
def teacher(make_user):
    return make_user("teacher", name="Anna Aalders")


@pytest.fixture()
def moderator(make_user):
    return make_user("moderator", name="Mo Moderator")


def _row(app, url: str) -> RemoteImage | None:
    with app.app_context():
        row = db.session.get(RemoteImage, _key(url))
        if row is not None:
            db.session.expunge(row)
        return row


# --- The lesson and the copy -----------------------------------------------------------------


def test_a_saved_lesson_shows_the_portals_copy_of_another_sites_image(
        app, client, other_site, teacher, moderator, make_material):
    app.config["REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"] = ["127.0.0.1"]
    url = f"{other_site.url}/kaart.png"
    material_id = make_material(teacher, body=f"De kaart:\n\n![Kaart van Nederland]({url})\n",
                                publish_by=moderator)
    assert other_site.requested == ["/kaart.png"]  # fetched once, after the save

    page = client.get(f"/materials/{material_id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert f'src="/media/remote/{_key(url)}"' in html
    assert f'src="{url}"' not in html and f"src='{url}'" not in html
    assert f'<a href="{url}"' in html  # the original stays one click away
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]

    copy = client.get(f"/media/remote/{_key(url)}")
    assert copy.status_code == 200
    assert copy.mimetype == "image/png"
    assert copy.get_data() == PNG
    assert copy.headers["X-Content-Type-Options"] == "nosniff"
    assert copy.headers["Cache-Control"] == "public, max-age=86400"
    assert "sandbox" in copy.headers["Content-Security-Policy"]
    client.get(f"/media/remote/{_key(url)}")
    assert other_site.requested == ["/kaart.png"]  # served from the copy, every time

    row = _row(app, url)
    assert row.status == "fetched" and row.media_type == "image/png"
    with app.app_context():
        assert row.blob_sha256 in set(remote_images.referenced_blobs())


def test_a_reader_never_makes_the_portal_fetch_anything(app, client, other_site, teacher,
                                                          make_material):
    app.config.update(REMOTE_IMAGE_ALLOW_LOCAL_HOSTS=["127.0.0.1"],
                      REMOTE_IMAGE_FETCH_ON_SAVE=False)
    url = f"{other_site.url}/kaart.png"
    make_material(teacher, body=f"![kaart]({url})\n")
    assert _row(app, url).status == "pending"
    assert client.get(f"/media/remote/{_key(url)}").status_code == 404
    never_saved = f"{other_site.url}/kaart.png?nooit"
    assert client.get(f"/media/remote/{_key(never_saved)}").status_code == 404
    assert client.get("/media/remote/" + "g" * 64).status_code == 404
    assert client.get("/media/remote/abc").status_code == 404
    # a preview renders the copy's address too, and registers nothing
    client.login(teacher.email)
    client.post("/materials/preview", {"body": f"![p]({never_saved})"})
    assert other_site.requested == []
    assert _row(app, never_saved) is None


def test_a_copy_that_could_not_be_fetched_shows_the_alt_text_as_a_link(
        app, client, other_site, teacher, moderator, make_material):
    url = f"{other_site.url}/kaart.png"  # plain http on loopback: refused by default
    material_id = make_material(teacher, body=f"![Kaart van Nederland]({url})\n",
                                publish_by=moderator)
    row = _row(app, url)
    assert row.status == "failed" and row.error == "not an https address"
    assert other_site.requested == []
    html = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    assert f'<a href="{url}" rel="nofollow noopener noreferrer">' in html
    assert 'alt="Kaart van Nederland"' in html
    assert client.get(f"/media/remote/{_key(url)}").status_code == 404


# --- The fetch rules -------------------------------------------------------------------------


def test_plain_http_is_refused(app, other_site):
    with app.app_context(), pytest.raises(Refused, match="not an https address"):
        fetch_image(f"{other_site.url}/kaart.png", FetchRules())
    with app.app_context(), pytest.raises(Refused, match="not an https address"):
        fetch_image("http://example.org/kaart.png", FetchRules())
    assert other_site.requested == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.8",
                                  "192.168.1.1", "169.254.169.254"])
def test_private_and_loopback_addresses_are_refused(app, other_site, host):
    port = other_site.url.rsplit(":", 1)[1]
    with app.app_context(), pytest.raises(Refused, match="not on the public internet"):
        fetch_image(f"https://{host}:{port}/kaart.png", FetchRules())
    assert other_site.requested == []


def test_a_redirect_must_follow_the_same_rules(app, other_site):
    port = other_site.url.rsplit(":", 1)[1]
    for target in (f"http://localhost:{port}/kaart.png", "https://10.0.0.8/kaart.png"):
        with app.app_context(), pytest.raises(Refused):
            fetch_image(f"{other_site.url}/redirect?to={target}", LOCAL)
    assert "/kaart.png" not in other_site.requested


def test_a_too_large_image_is_refused_and_nothing_is_kept(app, other_site, tmp_path):
    rules = FetchRules(max_bytes=100_000, local_hosts=frozenset({"127.0.0.1"}))
    for path in ("/groot.png", "/unsized-groot.png"):
        with app.app_context(), pytest.raises(Refused, match="larger than 100000 bytes"):
            fetch_image(f"{other_site.url}{path}", rules)
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == []


@pytest.mark.parametrize("path", ["/pagina.png", "/script.gif", "/bestaat-niet.png"])
def test_what_is_not_an_image_is_refused_and_nothing_is_kept(app, other_site, tmp_path, path):
    with app.app_context(), pytest.raises(Refused):
        fetch_image(f"{other_site.url}{path}", LOCAL)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


def test_a_good_image_is_kept_in_the_file_store(app, other_site):
    with app.app_context():
        copy = fetch_image(f"{other_site.url}/kaart.png", LOCAL)
        from oer_portal.core.storage import file_store

        assert file_store().path(copy.sha256).read_bytes() == PNG
    assert copy.media_type == "image/png" and copy.size == len(PNG)


# --- The command -----------------------------------------------------------------------------


def test_the_command_fetches_what_saves_registered(app, runner, other_site, teacher,
                                                   make_material, client):
    app.config.update(REMOTE_IMAGE_ALLOW_LOCAL_HOSTS=["127.0.0.1"],
                      REMOTE_IMAGE_FETCH_ON_SAVE=False)
    good, bad = f"{other_site.url}/kaart.png", f"{other_site.url}/pagina.png"
    make_material(teacher, body=f"![a]({good}) ![b]({bad})\n")
    result = runner.invoke(args=["media", "fetch-remote"])
    assert result.exit_code == 0, result.output
    assert f"fetched {good}" in result.output
    assert f"not fetched {bad}" in result.output
    assert "1 fetched, 1 not fetched." in result.output
    assert client.get(f"/media/remote/{_key(good)}").status_code == 200

    again = runner.invoke(args=["media", "fetch-remote"])
    assert "0 fetched, 0 not fetched." in again.output
    other_site.files["/pagina.png"] = ("image/png", PNG)
    retried = runner.invoke(args=["media", "fetch-remote", "--retry-failed"])
    assert "1 fetched, 0 not fetched." in retried.output
    with app.app_context():
        assert db.session.scalar(select(RemoteImage.attempts).where(
            RemoteImage.key == _key(bad))) == 2


def test_the_same_image_in_two_lessons_is_one_copy(app, other_site, teacher, make_material):
    app.config["REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"] = ["127.0.0.1"]
    url = f"{other_site.url}/kaart.png"
    make_material(teacher, title="Een", body=f"![a]({url})\n")
    make_material(teacher, title="Twee", body=f"![b]({url})\n")
    assert other_site.requested == ["/kaart.png"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(RemoteImage)) == 1


def test_production_refuses_the_test_only_setting(tmp_path, monkeypatch):
    from oer_portal import create_app

    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("OER_ENV", "OER_PORTAL_URL", "OER_TRUSTED_HOSTS", "OER_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"):
        create_app({"SECRET_KEY": "k" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "PORTAL_URL": "https://oer.example.nl",
                    "REMOTE_IMAGE_ALLOW_LOCAL_HOSTS": ["127.0.0.1"]})


def test_an_arrangement_page_registers_its_images_too(app, client, other_site, teacher):
    """Every row written with rendered HTML registers its images: here an arrangement's own
    page (``arrangement_nodes``), saved through the builder form.  Its offline export links
    the portal's copy by its full address (a path from the root leads nowhere in a ZIP)."""
    app.config["REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"] = ["127.0.0.1"]
    url = f"{other_site.url}/kaart.png"
    client.login(teacher.email)
    response = client.post("/materials/new/arrangement", {
        "title": "Water in Nederland", "description": "Een reeks over water",
        "body": "Welkom.", "language": "nl", "licence": "CC-BY-4.0", "nodes": "1",
        "node-0-kind": "page", "node-0-depth": "0", "node-0-title": "De kaart",
        "node-0-body": f"![Kaart]({url})", "save": "Save draft"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _row(app, url).status == "fetched"
    assert other_site.requested == ["/kaart.png"]
    from oer_portal.arrangements.models import ArrangementNode

    with app.app_context():
        stored = db.session.scalar(select(ArrangementNode.body_html)
                                   .where(ArrangementNode.kind == "page"))
    assert f'src="/media/remote/{_key(url)}"' in stored and f'src="{url}"' not in stored

    import zipfile

    material_id = int(response.headers["Location"].split("/materials/")[1].split("-")[0]
                      .split("/")[0])
    export = client.get(f"/materials/{material_id}/export.zip")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        pages = [archive.read(n).decode() for n in archive.namelist()
                 if n.startswith("parts/") and n.endswith(".html")]
    assert any(f'src="http://localhost/media/remote/{_key(url)}"' in page for page in pages)
    assert not any('src="/media/remote/' in page for page in pages)
