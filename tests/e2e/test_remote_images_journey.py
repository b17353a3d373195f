"""A reader opens a lesson that shows an image of another site (issue 16, privacy): the
browser makes no request to that site, only to the portal.  Before the portal has a copy
the alt text shows, as a link to the original; once it has one (fetched by the portal, not
by the browser), the image shows from the portal.  The conftest's guard fails any test whose
pages request another origin; this one also counts what the other site was asked."""

from __future__ import annotations

import http.server
import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"


@dataclass
class OtherSite:
    url: str = ""
    requested: list[str] = field(default_factory=list)


@pytest.fixture()
def other_site() -> Iterator[OtherSite]:
    """A second local web server, reached as ``localhost``: another origin than the live
    server's 127.0.0.1."""
    site = OtherSite()
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 90, 160)).save(buffer, "PNG")
    png = buffer.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://localhost:{server.server_port}"
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _publish_lesson(live_server, body: str) -> tuple[int, str]:
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion
    from oer_portal.materials.service import create_material

    tag = uuid.uuid4().hex[:8]
    title = f"De provincies {tag}"
    with live_server.app.app_context():
        teacher = accounts.create_user(f"docent-kaart-{tag}@example.org", "Karel Kaart",
                                       PASSWORD, [Role.TEACHER])
        moderator = accounts.create_user(f"moderator-kaart-{tag}@example.org",
                                         "Mo Moderator", PASSWORD, [Role.MODERATOR])
        db.session.flush()
        material = create_material(teacher, MaterialKind.LESSON, VersionFields(
            title=title, description="Twaalf provincies op een kaart.", body=body,
            language="nl", licence="CC-BY-4.0", subjects=("geography",), levels=("havo",)),
            [])
        db.session.flush()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          moderator)
        current_uow().commit()
        return material.id, title


def test_a_lesson_with_another_sites_image_makes_no_request_to_it(
        page: Page, live_server, other_site, check_page, third_party_requests):
    base = live_server.url
    image = f"{other_site.url}/provincies.png"
    body = (f"## De kaart\n\n![Kaart van de twaalf provincies]({image})\n\n"
            "Zoek je eigen provincie.\n")

    # Not fetched (plain http to a local address is refused): the alt text, as a link.
    material_id, title = _publish_lesson(live_server, body)
    page.goto(f"{base}/materials/{material_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    link = page.get_by_role("link", name="Kaart van de twaalf provincies")
    expect(link).to_have_attribute("href", image)
    src = page.locator(".lesson img, main img").first.get_attribute("src")
    assert src and src.startswith("/media/remote/")
    check_page(page, "lesson-with-remote-image")
    assert other_site.requested == []

    # Fetched by the portal (the test-only setting lets it use the local server): the image
    # shows, served by the portal; the other site was asked once, by the portal.
    live_server.app.config["REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"] = ["localhost"]
    try:
        material_id, title = _publish_lesson(live_server, body.replace(".png", ".png?v=2"))
    finally:
        live_server.app.config["REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"] = []
    assert other_site.requested == ["/provincies.png?v=2"]
    page.goto(f"{base}/materials/{material_id}")
    shown = page.get_by_role("img", name="Kaart van de twaalf provincies")
    expect(shown).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 120",
                           arg=shown.element_handle())
    check_page(page, "lesson-with-fetched-remote-image")
    assert other_site.requested == ["/provincies.png?v=2"]
    assert third_party_requests is not None and third_party_requests.foreign == []
