"""A teacher opens a published lesson, opens "Insluiten" with the keyboard, reads the iframe
code and pastes it into a page of their learning environment (served here by the browser
itself): the lesson shows in the frame with its credits in view and links that open a new
tab, while the lesson's normal page refuses to be framed.  axe checks the material page with
the box open and the embed view, at 1280 and at 390 pixels."""

from __future__ import annotations

import http.server
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"


class _LearningEnvironment(http.server.BaseHTTPRequestHandler):
    """Another site that frames our pages: serves the HTML put in ``pages`` by path."""

    pages: dict[str, str] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def learning_environment(third_party_requests) -> Iterator[tuple[str, dict[str, str]]]:
    """A second local web server, reached as ``localhost`` (another origin and site than the
    live server's 127.0.0.1; Chromium lets a page on a local address frame another one,
    while a page it thinks public may not frame a local address at all)."""
    pages: dict[str, str] = {}
    handler = type("Handler", (_LearningEnvironment,), {"pages": pages})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"http://localhost:{server.server_port}"
    third_party_requests.allow(address)  # the test opens its page itself: not the portal's doing
    yield address, pages
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def lesson(live_server) -> tuple[int, str]:
    """A published lesson with a link out, a link within the text and learning objectives."""
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion
    from oer_portal.materials.service import create_material

    tag = uuid.uuid4().hex[:8]
    title = f"Getijden langs de kust {tag}"
    body = ("## Eb en vloed\n\nTweemaal per dag stijgt en daalt het water. Lees eerst "
            "[de uitleg van het getij](https://example.com/getij) en maak dan "
            "[de opdracht](#opdracht).\n\n" + "Het water komt en gaat.\n\n" * 30
            + "## Opdracht\n\nZoek de hoogwatertijden van morgen op.\n")
    with live_server.app.app_context():
        teacher = accounts.create_user(f"docent-embed-{tag}@example.org", "Greet Getij",
                                       PASSWORD, [Role.TEACHER])
        moderator = accounts.create_user(f"moderator-embed-{tag}@example.org",
                                         "Mo Moderator", PASSWORD, [Role.MODERATOR])
        db.session.flush()
        material = create_material(teacher, MaterialKind.LESSON, VersionFields(
            title=title, description="Waarom het water twee keer per dag komt en gaat.",
            body=body, language="nl", licence="CC-BY-SA-4.0", subjects=("geography",),
            levels=("havo",), objectives=("Ik kan uitleggen hoe eb en vloed ontstaan.",)), [])
        db.session.flush()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          moderator)
        current_uow().commit()
        return material.id, title


def test_embed_a_lesson_in_a_learning_environment(page: Page, live_server, lesson,
                                                  learning_environment, check_page):
    material_id, title = lesson
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/materials/{material_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # --- "Insluiten" opens with the keyboard and shows the iframe code to copy. ---
    summary = page.locator("summary", has_text="Insluiten")
    summary.focus()
    page.keyboard.press("Enter")
    code_field = page.get_by_label("Code om in te sluiten (iframe)")
    expect(code_field).to_be_visible()
    expect(code_field).to_have_attribute("readonly", "")
    snippet = code_field.input_value()
    assert snippet.startswith(f'<iframe src="{base}/materials/{material_id}/embed"')
    expect(page.get_by_role("button", name="Kopieer de code")).to_be_visible()
    check_page(page, "embed-code")

    # --- The code, pasted into a page of the learning environment, shows the lesson. ---
    lms, pages = learning_environment
    pages["/week-3"] = (f'<!doctype html><html lang="nl"><head><title>ELO</title></head>'
                        f'<body><h1>Week 3</h1>{snippet}'
                        f'<iframe src="{base}/materials/{material_id}" title="gewone pagina">'
                        f'</iframe></body></html>')
    page.goto(f"{lms}/week-3", wait_until="load")
    frame = page.frame_locator(f'iframe[title="{title}"]')
    expect(frame.get_by_role("heading", level=1)).to_have_text(title)
    credits = frame.locator(".embed__credits")
    expect(credits).to_be_visible()
    expect(credits).to_contain_text("Greet Getij")
    expect(credits).to_contain_text("CC BY-SA")
    expect(frame.get_by_role("link", name="de uitleg van het getij")).to_have_attribute(
        "target", "_blank")
    expect(frame.get_by_role("link", name=re.compile("Bekijk op"))).to_have_attribute(
        "target", "_blank")
    # the credits stay in view when the reader scrolls to the end of the lesson
    frame.get_by_role("heading", name="Opdracht").scroll_into_view_if_needed()
    expect(credits).to_be_in_viewport()
    # the lesson's own page refuses the frame (frame-ancestors 'none'): the browser shows
    # its error page there, nothing of the lesson
    plain = next(f for f in page.frames if f != page.main_frame and "/embed" not in f.url)
    assert plain.url.startswith("chrome-error://"), plain.url
    assert title not in plain.content()

    # --- The embed view on its own, at 1280 and 390 px. ---
    page.goto(f"{base}/materials/{material_id}/embed")
    links = page.locator("a[href]")
    for index in range(links.count()):
        link = links.nth(index)
        if (link.get_attribute("href") or "").startswith("#"):
            continue
        assert link.get_attribute("target") == "_blank", link.get_attribute("href")
    check_page(page, "embed-view")
    page.set_viewport_size({"width": 390, "height": 700})
    expect(page.locator(".embed__credits")).to_be_in_viewport()
