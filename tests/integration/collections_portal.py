"""Portal B for the collection tests: a second portal (its own database, index and files)
served over HTTP on a free port, behind a switch that can make it fail the way real sources
do — an HTTP 500, malformed XML or no answer — for the requests that follow a resumption
token (so a harvest fails half-way, after its first page came in)."""

from __future__ import annotations

import gzip
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from oer_portal import create_app
from oer_portal.accounts import service as accounts
from oer_portal.accounts.models import Role, User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import service as materials
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from tests.conftest import make_config, migrate_to_head

#: What the switch does to requests with a resumption token.
MODES = ("ok", "error", "oai_error", "malformed", "huge", "down", "hang")


class Switch:
    """WSGI middleware in front of portal B."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.mode = "ok"
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        if self.mode != "ok" and "resumptionToken" in query:
            if self.mode == "error":
                start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/html")])
                return [b"<html><body>Internal Server Error</body></html>"]
            if self.mode == "oai_error":
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
                return [oai_response("ListRecords", '<error code="badResumptionToken">'
                                     'expired</error>')]
            if self.mode == "malformed":
                body = b"".join(self.app(environ, lambda *a, **k: None))
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
                return [body[: len(body) // 2]]
            if self.mode == "down":
                # B goes away mid-answer: the connection ends without a response.
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
                return [b""]
            if self.mode == "huge":
                # A small gzip answer that unpacks to megabytes (a comment of spaces).
                body = b"".join(self.app(environ, lambda *a, **k: None))
                body = body.replace(b"<OAI-PMH", b"<!--" + b" " * 3_000_000 + b"--><OAI-PMH", 1)
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                          ("Content-Encoding", "gzip")])
                return [gzip.compress(body)]
            # "hang": answer only after the harvester gave up (or the test ended).
            self.release.wait(30)
        return self.app(environ, start_response)


@dataclass
class PortalB:
    app: Flask
    url: str
    switch: Switch
    teacher_id: int
    moderator_id: int
    #: title → material id, of every lesson made
    ids: dict[str, int] = field(default_factory=dict)

    def publish(self, title: str, **fields: Any) -> int:
        """A published lesson of B (subjects, levels, licence … as ``VersionFields``)."""
        with self.app.app_context():
            teacher = db.session.get(User, self.teacher_id)
            values = {"description": f"Over {title}.", "language": "nl",
                      "licence": "CC-BY-4.0", **fields}
            material = materials.create_material(
                teacher, MaterialKind.LESSON, VersionFields(title=title, body="Tekst.\n",
                                                            **values))
            db.session.flush()
            lifecycle.publish(material, db.session.get(MaterialVersion,
                                                       material.latest_version_id),
                              db.session.get(User, self.moderator_id))
            current_uow().commit()
            self.ids[title] = material.id
            return material.id

    def draft(self, title: str) -> int:
        with self.app.app_context():
            teacher = db.session.get(User, self.teacher_id)
            material = materials.create_material(
                teacher, MaterialKind.LESSON, VersionFields(title=title, body="Geheim.\n"))
            current_uow().commit()
            self.ids[title] = material.id
            return material.id

    def withdraw(self, title: str) -> None:
        with self.app.app_context():
            teacher = db.session.get(User, self.teacher_id)
            lifecycle.withdraw(teacher, db.session.get(Material, self.ids[title]), "Weg.")
            current_uow().commit()


def _database(folder: Path, template: Any) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    if template.kind == "sqlite":
        shutil.copyfile(template.uri, folder / "portal.db")
    else:  # B never shares A's database: its own SQLite file
        migrate_to_head(folder, f"sqlite:///{folder / 'portal.db'}")
    return f"sqlite:///{folder / 'portal.db'}"


@contextmanager
def serve_portal_b(tmp_path: Path, template: Any, monkeypatch: Any,
                   page_size: int = 2) -> Iterator[PortalB]:
    """Build portal B and serve it until the block ends."""
    folder = tmp_path / "portal-b"
    uri = _database(folder, template)
    with monkeypatch.context() as patch:
        patch.setenv("OER_INSTANCE_PATH", str(folder / "instance"))
        app = create_app(make_config(folder, uri, OAI_PAGE_SIZE=page_size,
                                     OAI_REPOSITORY_NAME="Portaal B",
                                     OAI_REPOSITORY_IDENTIFIER="portal-b.example"))
    with app.app_context():
        teacher = accounts.create_user("b-teacher@example.org", "Bea Bakker", "wachtwoord-b-1",
                                       [Role.TEACHER])
        moderator = accounts.create_user("b-mod@example.org", "Bo Moderator",
                                         "wachtwoord-b-2", [Role.MODERATOR])
        current_uow().commit()
        teacher_id, moderator_id = teacher.id, moderator.id
    switch = Switch(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, switch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PortalB(app, f"http://127.0.0.1:{server.server_port}/oai", switch, teacher_id,
                      moderator_id)
    finally:
        switch.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
        with app.app_context():
            db.engine.dispose()


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """For the rare test that must wait on another thread (never a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def titles(hits: Iterable[dict[str, Any]]) -> set[str]:
    return {hit["title"] for hit in hits}


@contextmanager
def serve_canned(answer: Callable[[dict[str, str]], bytes]
                 ) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A source that answers every request with ``answer(query)``; yields its base URL and the
    queries it was sent."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qsl, urlsplit

    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            seen.append(query)
            body = answer(query)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def oai_response(verb: str, inner: str, date: str = "2026-12-01T10:00:00Z") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            f'<responseDate>{date}</responseDate><request verb="{verb}">x</request>'
            f'{inner}</OAI-PMH>').encode()


def dc_record(identifier: str, title: str, description: str = "", deleted: bool = False,
              extra: str = "") -> str:
    if deleted:
        return (f'<record><header status="deleted"><identifier>{identifier}</identifier>'
                f'<datestamp>2026-11-30</datestamp></header></record>')
    return (f'<record><header><identifier>{identifier}</identifier>'
            f'<datestamp>2026-11-30</datestamp></header><metadata>'
            f'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
            f'<dc:description>{description}</dc:description>'
            f'<dc:identifier>https://source.example/{identifier}</dc:identifier>{extra}'
            f'</oai_dc:dc></metadata></record>')
