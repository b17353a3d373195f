"""Browser tests: the real app served on a random localhost port, driven by Debian's Chromium
through pytest-playwright, with axe-core checking every page it visits, and every request
the browser makes recorded: a test fails when any went to another origin than the portal's
(issue 16, privacy: no page may make the reader's browser contact a third party)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from oer_portal import create_app
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_config,
    migrate_to_head,
    postgres_uri_from_env,
)

CHROMIUM = os.environ.get("OER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("OER_SCREENSHOT_DIR")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"],
    }


@dataclass
class LiveServer:
    url: str
    app: Any


class _ClosingHandler(WSGIRequestHandler):
    """Werkzeug's development server skips closing a response when the browser drops the
    connection while it drains the request (a cancelled image load): the open file of a
    thumbnail was then left to the garbage collector and surfaced as a ResourceWarning in
    whichever test ran next.  Close the response here too; closing twice is harmless."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        response = (environ or {}).get("oer.test.response")
        if response is not None and hasattr(response, "close"):
            response.close()


def _remember_response(app: Any) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        environ["oer.test.response"] = response = app(environ, start_response)
        return response
    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The portal on 127.0.0.1:<random>, with a database of its own."""
    tmp = tmp_path_factory.mktemp("live")
    server_uri = postgres_uri_from_env()
    uri = create_postgres_database(server_uri) if server_uri else f"sqlite:///{tmp / 'live.db'}"
    migrate_to_head(tmp, uri)
    os.environ["OER_INSTANCE_PATH"] = str(tmp / "instance")
    # E-mail stays in memory: ``live_mailbox`` reads the links a journey opens.  Every
    # journey logs in from 127.0.0.1: all of them on one server passed the per-address
    # login limit in four minutes ("Te veel pogingen"); that limit is proven by
    # tests/integration/test_throttle.py.
    app = create_app(make_config(tmp, uri, MAIL_BACKEND="locmem",
                                 LOGIN_LIMIT_PER_ADDRESS="10000 per 15 minutes"))
    server = make_server("127.0.0.1", 0, _remember_response(app), threaded=True,
                         request_handler=_ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        from oer_portal.extensions import db

        db.engine.dispose()
    if server_uri:
        drop_postgres_database(server_uri, uri)


@pytest.fixture()
def live_mailbox(live_server: LiveServer) -> Any:
    """What the live portal e-mailed (``locmem``): ``live_mailbox.confirmation_link(address)``.
    Shared by every test of the worker: read by address, never by count."""
    from tests.fixtures.mailbox import Mailbox

    return Mailbox(live_server.app)


#: Addresses that are no request to anyone: inline data, the page's own objects, blank
#: frames, Chromium's error page (shown where a frame was refused), and files on the test's
#: own disk (an export a test unpacked and opens).
NO_ORIGIN_SCHEMES = ("data:", "blob:", "about:", "chrome-error:", "file:")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class OriginGuard:
    """Every request of every browser context a test opens, checked against the portal's
    origin (and any a test explicitly stands in for another site with, :meth:`allow`)."""

    portal: str
    allowed: set[str] = field(default_factory=set)
    foreign: list[str] = field(default_factory=list)

    def allow(self, url: str) -> None:
        """Requests to ``url``'s origin are the test's own doing (a site that embeds the
        portal, say), not the portal's."""
        self.allowed.add(_origin(url))

    def record(self, request: Any) -> None:
        url = request.url
        if url.startswith(NO_ORIGIN_SCHEMES):
            return
        origin = _origin(url)
        if origin != self.portal and origin not in self.allowed:
            try:
                page = request.frame.url
            except Exception:  # a worker's request has no frame
                page = "?"
            self.foreign.append(f"{request.method} {url} (from {page})")

    def watch(self, context: Any) -> Any:
        context.on("request", self.record)
        return context


@pytest.fixture(autouse=True)
def third_party_requests(request: pytest.FixtureRequest) -> Iterator[OriginGuard | None]:
    """Watch every context and page the test opens (pytest-playwright's ``page`` and
    ``context``, and ``browser.new_context()``/``new_page()`` in the test itself) and fail
    the test at teardown when any request left the portal's origin."""
    if "browser" not in request.fixturenames and "page" not in request.fixturenames:
        yield None
        return
    browser = request.getfixturevalue("browser")
    live = request.getfixturevalue("live_server")
    guard = OriginGuard(_origin(live.url))
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(*args: Any, **kwargs: Any) -> Any:
        return guard.watch(new_context(*args, **kwargs))

    def watched_page(*args: Any, **kwargs: Any) -> Any:
        page = new_page(*args, **kwargs)
        guard.watch(page.context)
        return page

    browser.new_context, browser.new_page = watched_context, watched_page
    try:
        yield guard
    finally:
        del browser.new_context, browser.new_page  # the class's methods again
    assert not guard.foreign, ("requests to another origin than the portal's:\n"
                               + "\n".join(dict.fromkeys(guard.foreign)))


@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


#: The phone every page must fit: no sideways scrolling at this width.
PHONE = {"width": 390, "height": 844}


def _serious_violations(axe: Any, page: Any) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture()
def check_page(axe: Any, request: pytest.FixtureRequest) -> Any:
    """Run axe on the page as it is and again at a phone's width, where the page must also
    fit (``scrollWidth`` within the viewport: nothing pushes it sideways); fail on serious or
    critical violations; optionally screenshot.

    Not for pages in a context with JavaScript disabled: axe needs timers and hangs there;
    load the same HTML in a normal context instead (see test_materials_journey.py).
    """

    def check(page: Any, name: str) -> None:
        bad = _serious_violations(axe, page)
        assert not bad, f"axe on {name} ({page.url}):\n" + "\n".join(bad)
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"{name} ({page.url}) is {width[0]} px wide on a " \
                                         f"{width[1]} px phone"
            bad = _serious_violations(axe, page)
            assert not bad, f"axe on {name} at 390 px ({page.url}):\n" + "\n".join(bad)
        finally:
            page.set_viewport_size(size)
        if SCREENSHOTS:
            folder = Path(SCREENSHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            size = page.viewport_size
            for label, width in (("desktop", 1280), ("phone", 390)):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=folder / f"{name}-{label}.png", full_page=True)
            page.set_viewport_size(size)

    return check
