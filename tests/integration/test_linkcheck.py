"""The periodic link check against a real HTTP server on loopback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from oer_portal.extensions import db
from oer_portal.materials.linkcheck import check_link
from oer_portal.materials.models import Material


class _Site(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        if self.path == "/no-head":
            self.send_response(405)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
        else:
            self.send_response(200 if self.path in ("/ok",) else 404)
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200 if self.path in ("/ok", "/no-head") else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "ok"), [("/ok", True), ("/moved", True), ("/no-head", True),
                                          ("/gone", False)])
def test_reachable_and_dead_addresses(site, path, ok):
    assert check_link(site + path, timeout=5, allow_private=True).ok is ok


def test_private_addresses_are_never_requested_by_default(site):
    result = check_link(site + "/ok", timeout=5)
    assert not result.ok and "public internet" in result.problem


def test_the_command_flags_dead_links_for_their_owners(app, runner, client, make_user, site):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    owner, moderator = make_user("teacher"), make_user("moderator")
    ids = {}
    with app.app_context():
        for path in ("/ok", "/gone"):
            material = service.create_material(
                db.session.get(User, owner.id), MaterialKind.LINK,
                VersionFields(title=f"Site {path}", link_url=site + path))
            db.session.flush()
            lifecycle.publish(material, db.session.get(MaterialVersion,
                                                       material.latest_version_id),
                              db.session.get(User, moderator.id))
            ids[path] = material.id
        current_uow().commit()
    app.config["LINK_CHECK_ALLOW_PRIVATE"] = True
    result = runner.invoke(args=["materials", "check-links"])
    assert result.exit_code == 0 and "1 dead links flagged" in result.output
    with app.app_context():
        flags = dict(db.session.execute(select(Material.id, Material.link_ok)).all())
    assert flags == {ids["/ok"]: True, ids["/gone"]: False}
    client.login(owner.email)
    assert "Link unreachable" in client.get("/my/materials").get_data(as_text=True)
    page = client.get(f"/materials/{ids['/gone']}", follow_redirects=True)
    assert "HTTP 404" in page.get_data(as_text=True)
